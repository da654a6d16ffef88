"""Community assets (pubs, green spaces, Assets of Community Value ...): the repository
functions, with the same rules as local measures.

Every function takes the :class:`Principal` (``None`` for the public): the public sees published
assets only; an editor adds, edits, closes and removes assets of their own areas; an admin of
every area. Writes are one transaction each and recorded in ``asset_changes``; removal is a soft
delete; an edit names the version it is based on (a stale one is a :class:`Conflict`).

Where an asset is placed (2021 LSOA, local authority, map point) is worked out by the caller's
``placer`` (the observatory, from the postcode or else the area) and stored with the asset, so
the map and the open data need no look-up per asset.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from leftbehind.community.accounts import Principal
from leftbehind.community.db import Community
from leftbehind.community.inputs import ASSET_FIELDS, ASSET_NULLABLE, AssetIn, AssetPatch
from leftbehind.community.measures import (
    _check_area,
    _check_version,
    _iso,
    _plain,
    _require,
    change_record,
)
from leftbehind.community.models import AssetChange, CommunityAsset, User, utcnow
from leftbehind.errors import InvalidInput, UnknownName

#: (postcode, area_code) -> {"lsoa21_code", "ltla_code", "lon", "lat", "point_method"}.
Placer = Callable[[str, str], dict[str, Any]]
PLACE_FIELDS = ("lsoa21_code", "ltla_code", "lon", "lat", "point_method")
#: The planning data specification's names of the ACV fields (``asset-of-community-value``).
ACV_SPEC_NAMES = {
    "acv_nominating_group": "nominating-group",
    "acv_nomination_date": "nomination-date",
    "acv_decision": "decision",
    "acv_decision_date": "decision-date",
    "acv_protected_period_start_date": "protected-period-start-date",
    "acv_protected_period_end_date": "protected-period-end-date",
    "acv_notification_to_sell_date": "notification-to-sell-date",
}
#: Most assets one open-data read returns (anonymous requests are bounded work).
MAX_OPEN_ASSETS = 20000


class AssetNotFound(UnknownName):
    """No such community asset, or one this account may not see (a draft, or removed)."""


def is_acv(a: CommunityAsset | dict[str, Any]) -> bool:
    get = a.get if isinstance(a, dict) else lambda k: getattr(a, k)
    return bool(get("acv_decision") or get("acv_nomination_date") or get("acv_nominating_group"))


def asset_dict(a: CommunityAsset) -> dict[str, Any]:
    out: dict[str, Any] = {"id": a.id, "asset_id": f"community-{a.id}", "area_code": a.area_code}
    out.update({f: _plain(getattr(a, f)) for f in ASSET_FIELDS})
    out.update({f: getattr(a, f) for f in PLACE_FIELDS})
    out.update(
        {
            "asset_of_community_value": is_acv(a),
            "source": "community",
            "version": a.version,
            "published_by": _publisher(a),
            "created_at": _iso(a.created_at),
            "updated_at": _iso(a.updated_at),
        }
    )
    return out


def _publisher(a: CommunityAsset) -> str:
    user: User | None = a.publisher
    if user is None:
        return "a former editor"
    return user.name or "a community editor"


def _visible(a: CommunityAsset | None, principal: Principal | None, ident: int) -> CommunityAsset:
    if a is None or a.deleted_at is not None:
        raise AssetNotFound(f"there is no community asset {ident}")
    if a.publication != "published" and (principal is None or not principal.may_edit(a.area_code)):
        raise AssetNotFound(f"there is no published community asset {ident}")
    return a


def _check_dates(values: dict[str, Any]) -> None:
    pairs = (
        ("opened", "closed"),
        ("acv_nomination_date", "acv_decision_date"),
        ("acv_protected_period_start_date", "acv_protected_period_end_date"),
    )
    for first, then in pairs:
        a, b = values.get(first), values.get(then)
        if a is not None and b is not None and b < a:
            raise InvalidInput(
                f"field '{then}' ({b}) is before '{first}' ({a}); check the dates",
                parameter=then,
                where="body",
            )


def _record(
    session: Session, who: Principal, asset_id: int, action: str, fields: dict[str, Any]
) -> None:
    session.add(
        AssetChange(
            asset_id=asset_id,
            user_id=who.id,
            user_email=who.email,
            action=action,
            fields={
                k: [_plain(x) for x in v] if isinstance(v, list) else _plain(v)
                for k, v in fields.items()
            },
        )
    )


# -- reads -----------------------------------------------------------------------------------
def list_assets(
    community: Community, principal: Principal | None, area_code: str, drafts: bool = False
) -> list[dict[str, Any]]:
    """Community assets added for an area: published ones; with ``drafts``, also the drafts
    this account may see."""
    _check_area(area_code)
    show = drafts and principal is not None and principal.may_edit(area_code)
    query = select(CommunityAsset).where(
        CommunityAsset.area_code == area_code, CommunityAsset.deleted_at.is_(None)
    )
    if not show:
        query = query.where(CommunityAsset.publication == "published")
    with community.read() as session:
        return [asset_dict(a) for a in session.scalars(query.order_by(CommunityAsset.id))]


def published_assets(
    community: Community,
    ltla_code: str | None = None,
    category: str | None = None,
    area_codes: list[str] | None = None,
    limit: int = MAX_OPEN_ASSETS,
) -> list[dict[str, Any]]:
    """Published community assets, optionally of one local authority, one category, or added
    for some areas (bounded by ``limit``)."""
    query = select(CommunityAsset).where(
        CommunityAsset.publication == "published", CommunityAsset.deleted_at.is_(None)
    )
    if ltla_code:
        query = query.where(CommunityAsset.ltla_code == ltla_code)
    if category:
        query = query.where(CommunityAsset.category == category)
    if area_codes is not None:
        query = query.where(CommunityAsset.area_code.in_(area_codes))
    query = query.order_by(CommunityAsset.id).limit(limit)
    with community.read() as session:
        return [asset_dict(a) for a in session.scalars(query)]


def get_asset(community: Community, principal: Principal | None, asset_id: int) -> dict[str, Any]:
    with community.read() as session:
        return asset_dict(_visible(session.get(CommunityAsset, asset_id), principal, asset_id))


def asset_history(
    community: Community, principal: Principal | None, asset_id: int
) -> list[dict[str, Any]]:
    """Who changed what, when (oldest first); emails only for the area's editors and admins."""
    with community.read() as session:
        a = _visible(session.get(CommunityAsset, asset_id), principal, asset_id)
        insider = principal is not None and principal.may_edit(a.area_code)
        rows = session.execute(
            select(AssetChange, User)
            .outerjoin(User, User.id == AssetChange.user_id)
            .where(AssetChange.asset_id == asset_id)
            .order_by(AssetChange.id)
        ).all()
        return [change_record(change, user, insider) for change, user in rows]


# -- writes ----------------------------------------------------------------------------------
def create_asset(
    community: Community,
    principal: Principal | None,
    area_code: str,
    data: AssetIn,
    placer: Placer,
) -> dict[str, Any]:
    who = _require(principal)
    who.require_area(_check_area(area_code))
    values = data.model_dump()
    _check_dates(values)
    place = {k: placer(data.postcode, area_code).get(k) for k in PLACE_FIELDS}
    with community.write() as session:
        a = CommunityAsset(
            area_code=area_code,
            created_by=who.id,
            version=1,
            **values,
            **{k: ("" if v is None and k not in ("lon", "lat") else v) for k, v in place.items()},
        )
        session.add(a)
        session.flush()
        _record(session, who, a.id, "create", values)
        session.flush()
        session.refresh(a)
        return asset_dict(a)


def _editable(session: Session, who: Principal, asset_id: int) -> CommunityAsset:
    a = session.scalar(
        select(CommunityAsset)
        .where(CommunityAsset.id == asset_id)
        .with_for_update(of=CommunityAsset)
    )
    if a is None or a.deleted_at is not None:
        raise AssetNotFound(f"there is no community asset {asset_id}")
    if not who.may_edit(a.area_code):
        if a.publication != "published":
            raise AssetNotFound(f"there is no published community asset {asset_id}")
        who.require_area(a.area_code)
    return a


def update_asset(
    community: Community,
    principal: Principal | None,
    asset_id: int,
    patch: AssetPatch,
    placer: Placer,
    version: int | None = None,
) -> dict[str, Any]:
    """Change an asset (closing it is ``{"status": "closed"}``); re-placed when the postcode
    changes."""
    who = _require(principal)
    with community.write() as session:
        a = _editable(session, who, asset_id)
        expected = patch.version if patch.version is not None else version
        _check_version("community asset", asset_id, a.version, expected)
        changed: dict[str, list[Any]] = {}
        for name in sorted(patch.model_fields_set & set(ASSET_FIELDS)):
            new = getattr(patch, name)
            if new is None and name not in ASSET_NULLABLE:
                raise InvalidInput(f"field '{name}' may not be null", parameter=name, where="body")
            if getattr(a, name) != new:
                changed[name] = [getattr(a, name), new]
        merged = {f: getattr(a, f) for f in ASSET_FIELDS}
        merged.update({k: v[1] for k, v in changed.items()})
        _check_dates(merged)
        if changed:
            for name, (_, new) in changed.items():
                setattr(a, name, new)
            if "postcode" in changed:
                place = placer(a.postcode, a.area_code)
                for k in PLACE_FIELDS:
                    v = place.get(k)
                    setattr(a, k, "" if v is None and k not in ("lon", "lat") else v)
            a.version += 1
            a.updated_at = utcnow()
            new_pub = changed.get("publication", [None, None])[1]
            new_status = changed.get("status", [None, None])[1]
            action = (
                "publish" if new_pub == "published" else "close" if new_status == "closed"
                else "update"
            )  # fmt: skip
            _record(session, who, a.id, action, changed)
        session.flush()
        return asset_dict(a)


def delete_asset(
    community: Community, principal: Principal | None, asset_id: int, version: int | None = None
) -> str:
    """Remove an asset (soft: kept with the removal in its history); returns its area."""
    who = _require(principal)
    with community.write() as session:
        a = _editable(session, who, asset_id)
        if version is not None:
            _check_version("community asset", asset_id, a.version, version)
        a.deleted_at = utcnow()
        a.version += 1
        _record(session, who, a.id, "delete", {})
        return a.area_code
