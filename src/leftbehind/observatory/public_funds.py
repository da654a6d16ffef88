"""Public funding flows served to the CLI and the web: the Levelling Up Fund (rounds 1-2) and
core spending power by local authority, compared by group, and users' funding files (kept in
the community database) shown beside them.

The official figures are prepared at build time (:mod:`leftbehind.funding.public`, tables
``public_fund_*``); an imported file is split by population when it is imported and compared
with the same groups when it is read, so it shows at once without a restart.
"""

from __future__ import annotations

import hashlib
import logging
import threading
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from leftbehind.community import Community
from leftbehind.community import public_funds as repo
from leftbehind.community.accounts import Principal
from leftbehind.errors import InvalidInput, UnknownName
from leftbehind.funding import public as pf
from leftbehind.observatory.service import Observatory
from leftbehind.sources.registry import source_by_id

log = logging.getLogger(__name__)

#: A user's fund name: lower-case letters, digits, '-' and '_' (not an official fund's id).
FUND_NAME = r"^[a-z0-9][a-z0-9_-]{0,39}$"
GROUP_LABELS = {
    "left_behind": "Authorities with 'left behind' areas",
    "other_deprived": "Authorities with other deprived areas only",
    "rest": "The rest",
    "england": "England (all authorities of the edition)",
}


def _england(rows: pd.DataFrame) -> int:
    return int(rows.loc[rows["group"] == "england", "amount_pence"].sum())


class PublicFunds:
    """The public funds of one observatory and its community database."""

    def __init__(self, observatory: Observatory, community: Community | None = None) -> None:
        self.observatory = observatory
        self.community = community
        self._lock = threading.Lock()
        self._frames: dict[str, Any] = {}

    # -- the store (read once, kept) ------------------------------------------------------
    def _table(self, name: str) -> pd.DataFrame:
        with self._lock:
            if name not in self._frames:
                con = self.observatory.connection()
                try:
                    self._frames[name] = con.execute(f"SELECT * FROM {name}").df()
                except Exception as exc:  # a store built before the public funds stage
                    if "does not exist" not in str(exc):
                        raise
                    raise InvalidInput(
                        "this evidence store has no public funds yet; rebuild it with "
                        "'leftbehind build'"
                    ) from None
                finally:
                    con.close()
            return self._frames[name]

    def _code_map(self) -> dict[str, str]:
        with self._lock:
            if "_to24" not in self._frames:
                con = self.observatory.connection()
                try:
                    self._frames["_to24"] = pf.code_map(con)
                finally:
                    con.close()
            return self._frames["_to24"]

    @staticmethod
    def covers(edition_id: str) -> bool:
        """Whether public funds are compared for this edition (the English ones)."""
        return edition_id in pf.english_editions()

    def _edition(self, edition: str | None) -> str:
        edition_id = self.observatory.resolve_edition(edition)
        if edition_id not in pf.english_editions():
            raise UnknownName(
                f"public funds are compared for the English editions only; choose one of: "
                f"{', '.join(pf.english_editions())}"
            )
        return edition_id

    def _groups(self, edition_id: str) -> pd.DataFrame:
        groups = self._table(pf.LA_GROUPS)
        return groups[groups["edition"] == edition_id]

    # -- documents ------------------------------------------------------------------------
    def _official_funds(self, edition_id: str) -> list[dict[str, Any]]:
        comparison = self._table(pf.COMPARISON)
        comparison = comparison[comparison["edition"] == edition_id]
        bids = self._table(pf.BIDS)
        out = []
        for fund in pf.FUNDS.values():
            src = source_by_id(fund.source)
            part = bids[bids["fund"] == fund.id]
            rows = comparison[comparison["fund"] == fund.id]
            out.append(
                {
                    "id": fund.id,
                    "label": fund.label,
                    "year": fund.year,
                    "kind": "official",
                    "bids": len(part),
                    "total_pence": int(part["amount_pence"].sum()),
                    "england_pence": _england(rows),
                    "source": src.attribution,
                    "licence": src.licence,
                    "url": src.url,
                    "groups": pf.comparison_records(rows),
                }
            )
        return out

    def _spending_power(self, edition_id: str) -> dict[str, Any]:
        comparison = self._table(pf.COMPARISON)
        rows = comparison[(comparison["edition"] == edition_id) & (comparison["fund"] == pf.CSP_ID)]
        src = source_by_id(pf.CSP_SOURCE)
        return {
            "id": pf.CSP_ID,
            "label": pf.CSP_LABEL,
            "years": list(pf.CSP_YEARS),
            "source": src.attribution,
            "licence": src.licence,
            "url": src.url,
            "method": (
                "Each council's core spending power (MHCLG settlements, £ million, cash terms) is "
                "carried to its 2024 district; a county council's is shared between its "
                "districts by Census 2021 households. Per household uses Census 2021 households "
                "for every year."
            ),
            "groups": pf.comparison_records(rows.sort_values(["year", "group"])),
        }

    def _imported(self, edition_id: str) -> list[dict[str, Any]]:
        if self.community is None:
            return []
        groups = self._groups(edition_id)
        denoms = self._table(pf.DENOMINATORS)
        out = []
        try:
            records = repo.list_funds(self.community)
        except SQLAlchemyError as exc:  # the official figures are served without them
            log.warning("users' funding files unavailable: %s", exc)
            return []
        for record in records:
            _, shares = repo.fund_shares(self.community, record["fund"])
            money = pd.DataFrame(shares, columns=["bid", "ltla24_code", "amount_pence", "method"])
            money["year"] = record["year"] or 0
            rows = pf.compare(money, groups, denoms, record["fund"]) if len(money) else money
            out.append(
                {
                    "id": record["fund"],
                    "label": record["label"],
                    "year": record["year"],
                    "kind": "imported",
                    "bids": record["bids"],
                    "total_pence": record["amount_pence"],
                    "england_pence": _england(rows) if len(rows) else 0,
                    "source": f"imported from {record['filename']} by {record['imported_by']} "
                    f"on {(record['imported_at'] or '')[:10]}",
                    "licence": "as stated by the importer",
                    "url": None,
                    "groups": pf.comparison_records(rows) if len(rows) else [],
                }
            )
        return out

    def summary(self, edition: str | None = None) -> dict[str, Any]:
        """Every fund compared by group of authority, per head and per household."""
        edition_id = self._edition(edition)
        groups = self._groups(edition_id)
        counts = groups["group"].value_counts().to_dict()
        return {
            "edition": edition_id,
            "method": pf.METHOD_TEXT,
            "group_labels": GROUP_LABELS,
            "authorities": {g: int(counts.get(g, 0)) for g in pf.GROUP_ORDER},
            "funds": self._official_funds(edition_id) + self._imported(edition_id),
            "core_spending_power": self._spending_power(edition_id),
            "not_covered": list(pf.NOT_COVERED),
            "not_covered_text": (
                "Not yet covered: " + ", ".join(pf.NOT_COVERED) + ". There is no open, pinned "
                "file of them by local authority in the sources yet; import one with "
                "'leftbehind funds import FILE --fund NAME' to show it here."
            ),
            "schema": pf.SCHEMA_TEXT,
        }

    def fund(self, fund: str, edition: str | None = None) -> dict[str, Any]:
        """One fund: its group comparison and every local authority's amount."""
        edition_id = self._edition(edition)
        groups = self._groups(edition_id)
        denoms = self._table(pf.DENOMINATORS)
        if fund in pf.fund_ids():
            doc = next(
                (f for f in self._official_funds(edition_id) if f["id"] == fund), None
            ) or self._spending_power(edition_id)
            if fund == pf.CSP_ID:
                money = self._table(pf.CSP)
            else:
                splits = self._table(pf.SPLITS)
                money = splits[splits["fund"] == fund].assign(year=pf.FUNDS[fund].year)
        else:
            imported = {f["id"]: f for f in self._imported(edition_id)}
            if fund not in imported or self.community is None:
                valid = [*pf.fund_ids(), *imported]
                raise UnknownName(f"unknown fund {fund!r}; choose one of: {', '.join(valid)}")
            doc = imported[fund]
            record, shares = repo.fund_shares(self.community, fund)
            money = pd.DataFrame(shares).assign(year=record["year"] or 0)
        la = money.groupby(["ltla24_code", "year"], as_index=False)["amount_pence"].sum()
        table = la.merge(denoms, on="ltla24_code", how="left").merge(
            groups[["ltla24_code", "group"]], on="ltla24_code", how="left"
        )
        rows = []
        for rec in table.sort_values(["year", "amount_pence"], ascending=[True, False]).to_dict(
            "records"
        ):
            pop = None if pd.isna(rec["population"]) else int(rec["population"])
            hh = None if pd.isna(rec["households"]) else int(rec["households"])
            amount = int(rec["amount_pence"])
            rows.append(
                {
                    "code": rec["ltla24_code"],
                    "name": rec["name"],
                    "year": int(rec["year"]),
                    "group": None if pd.isna(rec["group"]) else rec["group"],
                    "amount_pence": amount,
                    "population": pop,
                    "households": hh,
                    "per_head": pf.per(amount, pop or 0),
                    "per_household": pf.per(amount, hh or 0),
                }
            )
        return {
            "edition": edition_id,
            "fund": fund,
            "label": doc["label"],
            "method": pf.METHOD_TEXT,
            "groups": doc["groups"],
            "local_authorities": rows,
            "total_pence": int(la["amount_pence"].sum()),
        }

    def local_authority(self, la_code: str, edition: str | None = None) -> dict[str, Any]:
        """What the public funds give one local authority (any vintage of its code), beside
        its group and England."""
        edition_id = self._edition(edition)
        code24 = self._code_map().get(la_code, la_code)
        denoms = self._table(pf.DENOMINATORS).set_index("ltla24_code")
        if code24 not in denoms.index:
            raise UnknownName(f"no local authority {la_code!r} in the public funds")
        groups = self._groups(edition_id).set_index("ltla24_code")
        group = groups["group"].get(code24)
        pop = denoms["population"].get(code24)
        hh = denoms["households"].get(code24)
        pop = None if pd.isna(pop) else int(pop)
        hh = None if pd.isna(hh) else int(hh)
        splits = self._table(pf.SPLITS)
        summary = self.summary(edition_id)
        funds = []
        for fund in summary["funds"]:
            if fund["kind"] == "official":
                amount = int(
                    splits.loc[
                        (splits["fund"] == fund["id"]) & (splits["ltla24_code"] == code24),
                        "amount_pence",
                    ].sum()
                )
            elif self.community is not None:
                _, shares = repo.fund_shares(self.community, fund["id"])
                amount = sum(s["amount_pence"] for s in shares if s["ltla24_code"] == code24)
            else:  # pragma: no cover - imported funds need the community database
                continue
            by_group = {g["group"]: g for g in fund["groups"]}
            funds.append(
                {
                    "id": fund["id"],
                    "label": fund["label"],
                    "kind": fund["kind"],
                    "year": fund["year"],
                    "amount_pence": amount,
                    "per_head": pf.per(amount, pop or 0),
                    "group_per_head": (by_group.get(group) or {}).get("per_head"),
                    "england_per_head": (by_group.get("england") or {}).get("per_head"),
                }
            )
        csp = self._table(pf.CSP)
        mine = csp[csp["ltla24_code"] == code24].set_index("year")["amount_pence"]
        by_year: dict[tuple[int, str], dict] = {
            (g["year"], g["group"]): g for g in summary["core_spending_power"]["groups"]
        }
        trend = [
            {
                "year": year,
                "amount_pence": int(mine[year]) if year in mine.index else None,
                "per_household": pf.per(int(mine[year]), hh or 0) if year in mine.index else None,
                "group_per_household": (by_year.get((year, group)) or {}).get("per_household"),
                "england_per_household": (by_year.get((year, "england")) or {}).get(
                    "per_household"
                ),
            }
            for year in pf.CSP_YEARS
        ]
        return {
            "edition": edition_id,
            "code": la_code,
            "code_2024": code24,
            "name_2024": denoms["name"].get(code24),
            "group": None if pd.isna(group) else group,
            "population": pop,
            "households": hh,
            "funds": funds,
            "core_spending_power": trend,
            "not_covered": list(pf.NOT_COVERED),
            "method": pf.METHOD_TEXT,
        }

    # -- users' files -----------------------------------------------------------------------
    def import_csv(
        self,
        data: bytes,
        fund: str,
        *,
        filename: str = "",
        label: str = "",
        year: int | None = None,
        replace: bool = False,
        principal: Principal | None = None,
        local: bool = False,
    ) -> dict[str, Any]:
        """Parse, split by population and store a user's file (one transaction)."""
        import re

        if self.community is None:  # pragma: no cover - the CLI and the app always pass one
            raise InvalidInput("no community database configured")
        if not re.fullmatch(FUND_NAME, fund or ""):
            raise InvalidInput(
                f"fund name {fund!r}: use 1-40 lower-case letters, digits, '-' or '_', e.g. "
                "ukspf-2023",
                parameter="fund",
            )
        if fund in pf.fund_ids():
            raise InvalidInput(
                f"fund name {fund!r} is an official fund's; choose another", parameter="fund"
            )
        if year is not None and not 1990 <= year <= 2100:
            raise InvalidInput("year must be from 1990 to 2100", parameter="year")
        frame = pf.read_user_csv(data)
        bids = pf.bid_rows(frame, fund)
        denoms = self._table(pf.DENOMINATORS)
        population = {
            c: (None if pd.isna(p) else int(p))
            for c, p in zip(denoms["ltla24_code"], denoms["population"], strict=True)
        }
        shares = pf.split_bids(bids, self._code_map(), population)
        return repo.save_fund(
            self.community, principal, fund=fund, label=label or fund, year=year,
            filename=filename, sha256=hashlib.sha256(data).hexdigest(),
            awards=bids.to_dict("records"), shares=shares.to_dict("records"),
            replace=replace, local=local,
        )  # fmt: skip

    def import_file(self, path: Path, fund: str, **options: Any) -> dict[str, Any]:
        try:
            size = path.stat().st_size
        except OSError:
            raise InvalidInput(f"cannot read {path}; check the path", parameter="file") from None
        if size > pf.MAX_USER_BYTES:
            raise InvalidInput(
                f"{path} is {size:,} bytes, above {pf.MAX_USER_BYTES:,}; split it", "file"
            )
        return self.import_csv(path.read_bytes(), fund, filename=path.name, **options)

    @staticmethod
    def template_csv() -> str:
        return pf.template_csv()
