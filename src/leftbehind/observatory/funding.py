"""Funding views: needs-based allocations and where imported grants land per head.

Calls :mod:`leftbehind.funding` (``allocate``, ``bidding``, ``summary``) over an edition's
identification; results are kept, bounded, per parameters.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import pandas as pd

from leftbehind.export import plain
from leftbehind.funding import allocate as al
from leftbehind.funding import bidding, sensitivity
from leftbehind.funding.request import AllocationRequest
from leftbehind.funding.summary import check_years
from leftbehind.funding.summary import summary as grants_summary_of
from leftbehind.observatory.limits import Gate
from leftbehind.observatory.payload import Payload
from leftbehind.observatory.service import EditionView, Observatory
from leftbehind.observatory.views import identification_frame

ALLOCATION_CSV_COLUMNS = [
    "code",
    "name",
    "year",
    "capital",
    "revenue",
    "capacity_building",
    "total",
]
HOW_TO_IMPORT = "leftbehind grants import FILE --postcodes NSPL.csv"
NO_GRANTS = (
    "No grants have been imported into this evidence store, so there are no figures to show. "
    "Import 360Giving files (GrantNav CSV/XLSX exports or JSON packages) with a postcode "
    "lookup in the ONS NSPL layout, then restart the server."
)


#: Allocations kept in memory: at most this many, and at most this many bytes of payloads.
CACHE_RESULTS = 32
CACHE_BYTES = 256 * 1024 * 1024


@dataclass
class AllocationResult:
    """One computed allocation with its JSON and CSV payloads."""

    edition: EditionView
    request: AllocationRequest
    allocation: al.Allocation
    data: dict[str, Any]
    json: Payload
    csv: Payload

    @property
    def size(self) -> int:
        """Bytes held by the payloads (what the cache bounds)."""
        return sum(len(p.body) + len(p.gzipped or b"") for p in (self.json, self.csv))


def allocate_frame(areas: pd.DataFrame, request: AllocationRequest) -> tuple[al.Allocation, dict]:
    """The allocation of ``request`` over ``areas`` (an edition's identification with CNI
    scores), and its JSON document (with the bidding comparison when asked for)."""
    allocation = al.allocate(areas, request.params())
    out = al.to_json(allocation)
    out["sensitivity"] = sensitivity.sensitivity(areas, allocation.params)
    out["social_return"] = sensitivity.social_return(allocation)
    if request.compare_bidding:
        bid = request.bidding_params(len(allocation.areas))
        out["compare_bidding"] = bidding.compare(areas, allocation.areas, bid)
    return allocation, out


class Funding:
    """Allocations and grant summaries of one observatory, cached (bounded) per parameters.

    With ``bounded`` (the web app), a request is refused when it is more work than the caps of
    :meth:`AllocationRequest.check_work` allow, and computations pass through ``gate`` (one at
    a time, two waiting, else :class:`~leftbehind.errors.Overloaded`); cached results are
    answered at once.
    """

    def __init__(
        self,
        obs: Observatory,
        size: int = CACHE_RESULTS,
        max_bytes: int = CACHE_BYTES,
        bounded: bool = True,
        gate: Gate | None = None,
    ):
        self.obs = obs
        self.size = size
        self.max_bytes = max_bytes
        self.bounded = bounded
        self.gate = gate or Gate("allocations", running=1, waiting=2, wait=1.0, retry_after=5)
        self._lock = threading.Lock()
        self._results: OrderedDict[tuple, AllocationResult] = OrderedDict()
        self._bytes = 0
        self._areas: dict[str, pd.DataFrame] = {}
        self._grants: dict[tuple, tuple[dict[str, Any], Payload]] = {}

    def areas(self, edition: str) -> pd.DataFrame:
        """The edition's identification rows with the CNI scores the formula may use."""
        frame = self._areas.get(edition)
        if frame is None:
            con = self.obs.connection()
            try:
                frame = al.attach_scores(con, edition, identification_frame(con, edition))
            finally:
                con.close()
            self._areas[edition] = frame
        return frame

    def allocate(self, request: AllocationRequest) -> AllocationResult:
        data = self.obs.edition(request.edition)
        key = request.cache_key(data.id)
        with self._lock:
            hit = self._results.get(key)
            if hit is not None:
                self._results.move_to_end(key)
                return hit
        areas = self.areas(data.id)
        if self.bounded:
            eligible = int(areas["group"].isin(request.params().groups).sum())
            request.check_work(eligible, len(areas))
        with self.gate.enter():
            with self._lock:  # computed by another request while this one waited
                hit = self._results.get(key)
            if hit is not None:
                return hit
            allocation, out = allocate_frame(areas, request)
            out = {"edition": data.id, "edition_label": data.label, **out}
            result = AllocationResult(
                data, request, allocation, out, Payload.json(out),
                Payload.csv(al.to_rows(allocation), ALLOCATION_CSV_COLUMNS),
            )  # fmt: skip
        with self._lock:
            if key not in self._results:
                self._results[key] = result
                self._bytes += result.size
            while self._results and (
                len(self._results) > self.size or self._bytes > self.max_bytes
            ):
                _, old = self._results.popitem(last=False)
                self._bytes -= old.size
        return result

    def grants_count(self) -> int:
        con = self.obs.connection()
        try:
            tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
            if "grants" not in tables:
                return 0
            return int(con.execute("SELECT count(*) FROM grants").fetchall()[0][0])
        finally:
            con.close()

    def grants_summary(
        self, edition: str | None, year_from: int | None, year_to: int | None
    ) -> tuple[dict[str, Any], Payload]:
        """``leftbehind.funding.summary.summary`` for the edition, or an explanation when no
        grants have been imported (never invented numbers)."""
        check_years(year_from, year_to)  # the same answer with or without grants imported
        data = self.obs.edition(edition)
        key = (data.id, year_from, year_to)
        hit = self._grants.get(key)
        if hit is not None:
            return hit
        if self.grants_count() == 0:
            result: dict[str, Any] = {
                "edition": data.id,
                "imported": False,
                "grants": 0,
                "message": NO_GRANTS,
                "how_to_import": HOW_TO_IMPORT,
            }
        else:
            con = self.obs.connection()
            try:
                frame = identification_frame(con, data.id)
                result = {
                    "imported": True,
                    **grants_summary_of(con, data.id, year_from, year_to, areas=frame),
                }
            finally:
                con.close()
        result = plain(result)
        hit = (result, Payload.json(result))
        with self._lock:
            self._grants[key] = hit
        return hit


def import_grants(con: Any, files: list, **options: Any) -> Any:
    """Import 360Giving files (:func:`leftbehind.funding.grants_store.import_grants`), then
    prepare again the views that read grants, so every page shows the new figures."""
    from leftbehind.funding.grants_store import import_grants as import_files
    from leftbehind.observatory.views import refresh_grant_views

    result = import_files(con, files, **options)
    refresh_grant_views(con)
    return result


def pivot_groups(rows: list[dict[str, Any]], key: str, nation: str) -> list[dict[str, Any]]:
    """Rows of (key, group) -> one row per key with the groups and the nation side by side."""
    out: dict[Any, dict[str, Any]] = {}
    for row in rows:
        entry = out.setdefault(row[key], {key: row[key]})
        entry["nation" if row["group"] == nation else row["group"]] = row
    return list(out.values())


def grants_figures(result: dict[str, Any], nation: str) -> dict[str, Any]:
    """What the funding page shows of a grants summary: groups, funders (largest national
    amount first) and years side by side, and coverage."""
    if not result.get("imported"):
        return {}
    funders = pivot_groups(result["by_funder"], "funder", nation)
    funders.sort(key=lambda r: -((r.get("nation") or {}).get("amount_gbp") or 0))
    return {
        "groups": {("nation" if g["group"] == nation else g["group"]): g for g in result["groups"]},
        "funders": funders,
        "years": pivot_groups(result["by_year"], "year", nation),
        "coverage": result["coverage"],
    }


def allocation_view(result: AllocationResult, sort: str, order: str) -> dict[str, Any]:
    """An allocation as table rows (sorted), yearly totals and overall totals, in pence."""
    alloc = result.allocation
    areas = alloc.areas
    column = SORT_COLUMNS[sort]
    if sort == "name":
        areas = areas.assign(_k=areas["name"].fillna("").str.lower()).sort_values(
            ["_k", "code"], ascending=order == "asc"
        )
    else:
        areas = areas.sort_values([column, "code"], ascending=[order == "asc", True])
    rows = [
        {
            "code": r.code,
            "name": r.name,
            "group": r.group,
            "population": int(r.population),
            "need_weight": float(r.need_weight),
            "total": int(r.total_pence),
            "capital": int(r.capital_pence),
            "revenue": int(r.revenue_pence),
            "capacity": int(r.capacity_building_pence),
            "explanation": r.explanation,
        }
        for r in areas.itertuples(index=False)
    ]
    yearly = alloc.yearly.groupby("year")[["capital", "revenue", "capacity_building", "total"]]
    years = [
        {"year": int(y), **{k: int(v) for k, v in row.items()}}
        for y, row in yearly.sum().iterrows()
    ]
    totals = {
        "total": int(areas["total_pence"].sum()),
        "capital": int(areas["capital_pence"].sum()),
        "revenue": int(areas["revenue_pence"].sum()),
        "capacity": int(areas["capacity_building_pence"].sum()),
        "areas": len(rows),
        "left_behind": int((areas["group"] == "left_behind").sum()),
        "population": int(areas["population"].sum()),
        "budget": round(result.request.budget * 100),
    }
    return {"rows": rows, "years": years, "totals": totals}


SORT_COLUMNS = {
    "name": "name",
    "population": "population",
    "need_weight": "need_weight",
    "total": "total_pence",
    "capital": "capital_pence",
    "revenue": "revenue_pence",
    "capacity": "capacity_building_pence",
}

__all__ = [
    "ALLOCATION_CSV_COLUMNS",
    "SORT_COLUMNS",
    "AllocationResult",
    "Funding",
    "allocate_frame",
    "allocation_view",
    "grants_figures",
]
