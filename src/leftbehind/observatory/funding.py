"""Funding views: needs-based allocations and where imported grants land per head.

Calls :mod:`leftbehind.funding` (``allocate``, ``bidding``, ``summary``) over an edition's
identification; results are kept, bounded, per parameters.

Grants live in the community database (imports run while the site serves). Their *version*
(count, newest import, updates: one small query) is read at most once a second; the grants are
read and placed in an edition's areas once per version (the expensive part), and summaries and
lists are computed from that placement per filter and cached, bounded, under the version, so a
new import shows within a second or two and warm requests do no database work.
"""

from __future__ import annotations

import atexit
import json
import logging
import multiprocessing
import os
import threading
import time
from collections import OrderedDict
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from leftbehind.errors import Overloaded
from leftbehind.export import plain
from leftbehind.funding import allocate as al
from leftbehind.funding import bidding, sensitivity
from leftbehind.funding import summary as gs
from leftbehind.funding.request import AllocationRequest
from leftbehind.observatory.limits import Gate
from leftbehind.observatory.payload import Payload
from leftbehind.observatory.service import EditionView, Observatory
from leftbehind.observatory.views import identification_frame
from leftbehind.store.connection import connect as connect_store

ALLOCATION_CSV_COLUMNS = [
    "code",
    "name",
    "year",
    "capital",
    "revenue",
    "capacity_building",
    "total",
]
HOW_TO_IMPORT = "leftbehind grants import FILE"
NO_GRANTS = (
    "No grants have been imported yet, so there are no figures to show. Import 360Giving "
    "files (GrantNav CSV/XLSX exports or JSON packages) with 'leftbehind grants import FILE' "
    "(or, signed in as an admin, upload one on the funding page); they show here within a few "
    "seconds, without a restart."
)
#: How often the grants' version is read from the community database (seconds).
VERSION_EVERY = 1.0
#: Placements (grants version x edition) and summaries/lists kept in memory.
PLACEMENTS = 8
GRANT_RESULTS = 256


#: Allocations kept in memory: at most this many, and at most this many bytes of payloads.
log = logging.getLogger("leftbehind.funding")
CACHE_RESULTS = 32
CACHE_BYTES = 256 * 1024 * 1024


@dataclass
class AllocationResult:
    """One computed allocation with its JSON and CSV payloads."""

    edition: EditionView
    request: AllocationRequest
    allocation: al.Allocation
    json: Payload
    csv: Payload

    @cached_property
    def data(self) -> dict[str, Any]:
        """The JSON document, as the API serves it (read back from its payload, once)."""
        return json.loads(self.json.body)

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


def edition_areas(con: Any, edition: str) -> pd.DataFrame:
    """The edition's identification rows with the CNI scores the formula may use."""
    return al.attach_scores(con, edition, identification_frame(con, edition))


def compute(
    areas: pd.DataFrame, request: AllocationRequest, edition: str, label: str
) -> tuple[al.Allocation, Payload, Payload]:
    """The allocation and its JSON and CSV payloads (the expensive part, serialisation
    included)."""
    allocation, out = allocate_frame(areas, request)
    out = {"edition": edition, "edition_label": label, **out}
    csv = Payload.csv(al.to_rows(allocation), ALLOCATION_CSV_COLUMNS)
    return allocation, Payload.json(out), csv


# -- the allocation worker process ------------------------------------------------------------
#: How long one allocation may take in the worker before the request is answered 503.
WORKER_TIMEOUT = 60.0
_WORKER_AREAS: OrderedDict[tuple, pd.DataFrame] = OrderedDict()


def _in_worker(
    store: str, stamp: int, request: AllocationRequest, edition: str, label: str
) -> tuple[al.Allocation, Payload, Payload]:
    """Runs in the worker process: the edition's areas read once per store file (``stamp``:
    its modification time, so a rebuilt store is read again), then :func:`compute`."""
    key = (store, stamp, edition)
    areas = _WORKER_AREAS.get(key)
    if areas is None:
        con = connect_store(Path(store), read_only=True)
        try:
            areas = edition_areas(con, edition)
        finally:
            con.close()
        _WORKER_AREAS[key] = areas
        while len(_WORKER_AREAS) > 4:
            _WORKER_AREAS.popitem(last=False)
    return compute(areas, request, edition, label)


def _worker_ready() -> int:
    return os.getpid()


def _watch_parent(parent: int) -> None:
    """Runs in the worker: exit when the web process is gone (killed, so it could not stop
    us), instead of living on as an orphan."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            if os.getppid() != parent:
                os._exit(0)

    threading.Thread(target=watch, name="leftbehind-parent-watch", daemon=True).start()


class AllocationWorker:
    """One process computing allocations, so that their pure-Python work (formula, JSON and
    CSV) never holds the web process's interpreter lock: cheap pages keep answering while an
    allocation runs. Started on first use; restarted if it dies; stopped at exit. Shared by
    every :class:`Funding` of the process (it reads the store path it is given)."""

    _lock = threading.Lock()
    _pool: ProcessPoolExecutor | None = None

    @classmethod
    def pool(cls) -> ProcessPoolExecutor:
        with cls._lock:
            if cls._pool is None:
                cls._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_watch_parent,
                    initargs=(os.getpid(),),
                )
                atexit.register(cls.stop)
            return cls._pool

    @classmethod
    def pid(cls) -> int:
        """The worker's process id (starting it when needed)."""
        return cls.pool().submit(_worker_ready).result(timeout=WORKER_TIMEOUT)

    @classmethod
    def stop(cls) -> None:
        with cls._lock:
            pool, cls._pool = cls._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    @classmethod
    def run(
        cls, store: Path, request: AllocationRequest, edition: str, label: str
    ) -> tuple[al.Allocation, Payload, Payload]:
        stamp = store.stat().st_mtime_ns
        try:
            future = cls.pool().submit(_in_worker, str(store), stamp, request, edition, label)
            return future.result(timeout=WORKER_TIMEOUT)
        except FutureTimeout:
            cls._reset()
            raise Overloaded(
                f"the allocation took longer than {WORKER_TIMEOUT:.0f} seconds and was stopped; "
                "try fewer years or draws",
                retry_after=5,
            ) from None
        except BrokenProcessPool:
            cls._reset()
            raise Overloaded(
                "the allocation worker stopped unexpectedly and has been restarted; try again",
                retry_after=1,
            ) from None

    @classmethod
    def _reset(cls) -> None:
        """Forget a stuck or dead worker (its process is killed) so the next call starts one."""
        with cls._lock:
            pool, cls._pool = cls._pool, None
        if pool is not None:
            for proc in list(getattr(pool, "_processes", {}).values()):
                proc.kill()
            pool.shutdown(wait=False, cancel_futures=True)


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
        community: Any = None,
        grants_gate: Gate | None = None,
        worker: bool = False,
    ):
        self.obs = obs
        #: Compute allocations in the :class:`AllocationWorker` process (the web app does).
        self.worker = worker
        #: The community database holding the grants (``leftbehind.community.Community``).
        self.community = community
        self.grants_gate = grants_gate or Gate(
            "grant summaries", running=1, waiting=4, wait=5.0, retry_after=5
        )
        self._version: tuple[int, ...] | None = None
        self._version_at = 0.0
        self._placements: OrderedDict[tuple, gs.Placement] = OrderedDict()
        self._grant_results: OrderedDict[tuple, tuple[dict[str, Any], Payload]] = OrderedDict()
        self._grant_frame: tuple[tuple[int, ...], pd.DataFrame] | None = None
        self._reach: dict[str, gs.Reach] = {}
        self.size = size
        self.max_bytes = max_bytes
        self.bounded = bounded
        self.gate = gate or Gate("allocations", running=1, waiting=2, wait=1.0, retry_after=5)
        self._lock = threading.Lock()
        self._results: OrderedDict[tuple, AllocationResult] = OrderedDict()
        self._bytes = 0
        self._areas: dict[str, pd.DataFrame] = {}

    def areas(self, edition: str) -> pd.DataFrame:
        """The edition's identification rows with the CNI scores the formula may use."""
        frame = self._areas.get(edition)
        if frame is None:
            con = self.obs.connection()
            try:
                frame = edition_areas(con, edition)
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
            if self.worker:
                allocation, body, csv = AllocationWorker.run(
                    self.obs.store_path, request, data.id, data.label
                )
                result = AllocationResult(data, request, allocation, body, csv)
            else:
                allocation, body, csv = compute(areas, request, data.id, data.label)
                result = AllocationResult(data, request, allocation, body, csv)
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

    # -- grants ---------------------------------------------------------------------------------
    def grants_version(self) -> tuple[int, ...]:
        """The grants' version in the community database, read at most once a second."""
        from leftbehind.community import grants as gdb

        now = time.monotonic()
        if self._version is not None and now - self._version_at < VERSION_EVERY:
            return self._version
        found: tuple[int, ...] = (0, 0, 0)
        if self.community is not None:
            try:
                found = gdb.version(self.community)
            except SQLAlchemyError as exc:  # no schema yet ('serve' refuses to start so)
                log.info("no grants readable from the community database: %s", exc)
        self._version, self._version_at = found, now
        return found

    def grants_count(self) -> int:
        return self.grants_version()[0]

    def _frame(self, version: tuple[int, ...]) -> pd.DataFrame:
        """Every grant of ``version``, read from the community database once per version."""
        from leftbehind.community import grants as gdb

        with self._lock:
            held = self._grant_frame
        if held is not None and held[0] == version:
            return held[1]
        frame = gdb.load(self.community)
        with self._lock:
            self._grant_frame = (version, frame)
        return frame

    def grants_frame(self, version: tuple[int, ...]) -> pd.DataFrame | None:
        """Every grant of ``version`` for the profiles' dimension 9 (None without grants)."""
        return None if not version or version[0] == 0 else self._frame(version)

    def placement(self, edition: str) -> gs.Placement:
        """Every grant placed in ``edition``'s areas, for the current version (computed once)."""
        version = self.grants_version()
        key = (version, edition)
        with self._lock:
            hit = self._placements.get(key)
        if hit is not None:
            return hit
        with self.grants_gate.enter():
            with self._lock:
                hit = self._placements.get(key)
            if hit is not None:
                return hit
            frame = self._frame(version)
            con = self.obs.connection()
            try:
                areas = identification_frame(con, edition)
                where = self._reach.get(edition)
                if where is None and not frame.empty:  # the store's part: once per edition
                    geography = self.obs.edition(edition).geography
                    where = self._reach[edition] = gs.reach(con, geography)
                result = gs.place(con, frame, edition, areas, where)
            finally:
                con.close()
        with self._lock:
            self._placements[key] = result
            for old in [k for k in self._placements if k[0] != version]:
                del self._placements[old]
            while len(self._placements) > PLACEMENTS:
                self._placements.popitem(last=False)
        return result

    def warm_grants(self, edition: str | None = None) -> None:
        """Prepare the store's part of placing grants in the edition (once), and its summary,
        so neither the first visitor nor the first import waits for them."""
        data = self.obs.edition(edition)
        if data.id not in self._reach:
            con = self.obs.connection()
            try:
                self._reach[data.id] = gs.reach(con, data.geography)
            finally:
                con.close()
        self.grants_summary(data.id)

    def _cached(self, key: tuple, compute) -> tuple[dict[str, Any], Payload]:
        with self._lock:
            hit = self._grant_results.get(key)
            if hit is not None:
                self._grant_results.move_to_end(key)
                return hit
        result = plain(compute())
        hit = (result, Payload.json(result))
        with self._lock:
            self._grant_results[key] = hit
            while len(self._grant_results) > GRANT_RESULTS:
                self._grant_results.popitem(last=False)
        return hit

    def _no_grants(self, edition: str, filters: gs.GrantFilters) -> dict[str, Any]:
        return {
            "edition": edition,
            "imported": False,
            "grants": 0,
            "filters": filters.as_dict(),
            "filters_applied": filters.applied(),
            "message": NO_GRANTS,
            "how_to_import": HOW_TO_IMPORT,
        }

    def grants_summary(
        self,
        edition: str | None,
        year_from: int | None = None,
        year_to: int | None = None,
        filters: gs.GrantFilters | None = None,
    ) -> tuple[dict[str, Any], Payload]:
        """The grants summary (:func:`leftbehind.funding.summary.summarise`) of the edition for
        ``filters``, or an explanation when no grants have been imported (never invented
        numbers). Cached per (grants version, edition, filters)."""
        if filters is None:
            filters = gs.GrantFilters(year_from=year_from, year_to=year_to)
        data = self.obs.edition(edition)
        version = self.grants_version()
        key = ("summary", version, data.id, filters.key)

        def compute() -> dict[str, Any]:
            if version[0] == 0:
                return self._no_grants(data.id, filters)
            from leftbehind.community import grants as gdb

            placement = self.placement(data.id)
            with self.grants_gate.enter():
                result = gs.summarise(placement, filters)
            files = [
                {"file": f["source_file"], "rows": f["rows"], "via": f["via"]}
                for f in gdb.imports(self.community)
            ]
            return {
                "imported": True,
                "grants_version": list(version),
                **result,
                "imports": files,
                # Every file imported is one of the project's samples (setup-and-serve).
                "samples": bool(files) and all(f["via"] == "samples" for f in files),
            }

        return self._cached(key, compute)

    def grants_list(
        self,
        edition: str | None,
        filters: gs.GrantFilters,
        area: str | None = None,
        page: int = 1,
        page_size: int = gs.DEFAULT_PAGE_SIZE,
    ) -> tuple[dict[str, Any], Payload]:
        """One page of individual grants (of an area, or of the funders ``filters`` select)."""
        data = self.obs.edition(edition)
        if area is not None and data.lookup(area) is None:
            raise self.obs.not_found(data, area)
        version = self.grants_version()
        key = ("list", version, data.id, filters.key, area, page, page_size)

        def compute() -> dict[str, Any]:
            if version[0] == 0:
                return {**self._no_grants(data.id, filters), "area": area, "total": 0,
                        "page": page, "page_size": page_size, "pages": 1, "grants": []}  # fmt: skip
            result = gs.grant_list(self.placement(data.id), filters, area, page, page_size)
            if area is not None:
                result["area_name"] = (data.lookup(area) or {}).get("name")
            return {"imported": True, "grants_version": list(version), **result}

        return self._cached(key, compute)

    def import_files(self, files: list, via: str = "web", **options: Any) -> Any:
        """Import 360Giving files into the community database while serving (the store is only
        read); the next version check (within a second) shows them."""
        from leftbehind.funding.grants_store import import_grants as import_files

        con = self.obs.connection()
        try:
            result = import_files(self.community, con, files, via=via, **options)
        finally:
            con.close()
        self._version_at = 0.0  # look again at once
        return result


def import_grants(community: Any, store: Any, files: list, **options: Any) -> Any:
    """Import 360Giving files (:func:`leftbehind.funding.grants_store.import_grants`) into the
    community database; a running site shows them within a second or two."""
    from leftbehind.funding.grants_store import import_grants as import_files

    return import_files(community, store, files, **options)


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
    ids = {r["funder"]: r.get("funder_id") for r in result["by_funder"]}
    for row in funders:
        row["funder_id"] = ids.get(row["funder"])
    funders.sort(key=lambda r: -((r.get("nation") or {}).get("amount_gbp") or 0))
    return {
        "groups": {("nation" if g["group"] == nation else g["group"]): g for g in result["groups"]},
        "funders": funders,
        "years": pivot_groups(result["by_year"], "year", nation),
        "coverage": result["coverage"],
        "reconciliation": result["reconciliation"],
        "filters_applied": result.get("filters_applied", []),
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
