"""Users' public funding files in the community database: each fund (a name) is one import,
replaced whole in one transaction; its awards and their parts by 2024 local authority.

Writing needs an admin account, or the site's operator on the command line (``local=True``);
everyone may read (the figures are public money).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from leftbehind.community.accounts import Principal
from leftbehind.community.db import Community
from leftbehind.community.models import PublicFundAward, PublicFundImport, PublicFundShare
from leftbehind.errors import Conflict, Forbidden, NotAuthenticated, UnknownName


def _check_writer(principal: Principal | None, local: bool) -> str:
    if local:
        return principal.email if principal else "local operator"
    if principal is None:
        raise NotAuthenticated("sign in as an admin to import a public funding file")
    if not principal.is_admin:
        raise Forbidden(f"{principal.email} is not an admin; only admins import funding files")
    return principal.email


def save_fund(
    community: Community,
    principal: Principal | None,
    *,
    fund: str,
    label: str,
    year: int | None,
    filename: str,
    sha256: str,
    awards: list[dict[str, Any]],
    shares: list[dict[str, Any]],
    replace: bool = False,
    local: bool = False,
) -> dict[str, Any]:
    """Store a fund's awards and shares in one transaction (a re-import needs ``replace``)."""
    who = _check_writer(principal, local)
    total = sum(int(a["amount_pence"]) for a in awards)
    with community.write() as session:
        existing = session.scalar(select(PublicFundImport).where(PublicFundImport.fund == fund))
        if existing is not None:
            if not replace:
                raise Conflict(
                    f"a fund named {fund!r} is already imported; add --replace to replace it "
                    "or choose another --fund name"
                )
            session.execute(delete(PublicFundShare).where(PublicFundShare.import_id == existing.id))
            session.execute(delete(PublicFundAward).where(PublicFundAward.import_id == existing.id))
            session.delete(existing)
            session.flush()
        row = PublicFundImport(
            fund=fund, label=label or fund, year=year, filename=filename[:255], sha256=sha256,
            bids=len(awards), amount_pence=total, imported_by=who,
        )  # fmt: skip
        session.add(row)
        session.flush()
        session.add_all([_award(row.id, a) for a in awards])
        session.add_all(
            [
                PublicFundShare(
                    import_id=row.id,
                    bid=int(s["bid"]),
                    ltla24_code=s["ltla24_code"],
                    amount_pence=int(s["amount_pence"]),
                    method=s["method"],
                )
                for s in shares
            ]
        )
        return _import_record(row)


def _award(import_id: int, a: dict[str, Any]) -> PublicFundAward:
    return PublicFundAward(
        import_id=import_id,
        bid=int(a["bid"]),
        lead=(a.get("lead") or "")[:300],
        bid_name=a.get("bid_name") or "",
        country=(a.get("country") or "")[:60],
        amount_pence=int(a["amount_pence"]),
        lads=a["lads"],
        notes=a.get("notes") or "",
    )


def _import_record(row: PublicFundImport) -> dict[str, Any]:
    return {
        "fund": row.fund,
        "label": row.label,
        "year": row.year,
        "filename": row.filename,
        "sha256": row.sha256,
        "bids": row.bids,
        "amount_pence": int(row.amount_pence),
        "imported_by": row.imported_by,
        "imported_at": row.imported_at.isoformat() if row.imported_at else None,
    }


def list_funds(community: Community) -> list[dict[str, Any]]:
    """Every imported fund (name order)."""
    with community.read() as session:
        rows = session.scalars(select(PublicFundImport).order_by(PublicFundImport.fund)).all()
        return [_import_record(r) for r in rows]


def fund_shares(community: Community, fund: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A fund's record and its shares by local authority (``UnknownName`` if not imported)."""
    with community.read() as session:
        row = session.scalar(select(PublicFundImport).where(PublicFundImport.fund == fund))
        if row is None:
            raise UnknownName(f"no imported fund named {fund!r}; see 'leftbehind funds summary'")
        shares = session.execute(
            select(PublicFundShare.bid, PublicFundShare.ltla24_code, PublicFundShare.amount_pence,
                   PublicFundShare.method)
            .where(PublicFundShare.import_id == row.id)
            .order_by(PublicFundShare.bid, PublicFundShare.id)
        ).all()  # fmt: skip
        return _import_record(row), [
            {"bid": b, "ltla24_code": c, "amount_pence": int(a), "method": m}
            for b, c, a, m in shares
        ]


def remove_fund(
    community: Community, principal: Principal | None, fund: str, local: bool = False
) -> None:
    _check_writer(principal, local)
    with community.write() as session:
        row = session.scalar(select(PublicFundImport).where(PublicFundImport.fund == fund))
        if row is None:
            raise UnknownName(f"no imported fund named {fund!r}")
        session.execute(delete(PublicFundShare).where(PublicFundShare.import_id == row.id))
        session.execute(delete(PublicFundAward).where(PublicFundAward.import_id == row.id))
        session.delete(row)
