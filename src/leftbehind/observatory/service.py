"""The observatory: the one service the CLI and the web call for editions, areas, local
authorities, search, summaries, profiles, comparisons, validation, robustness and map layers.

It reads the views the build prepared (:mod:`leftbehind.observatory.views`) from a read-only
evidence store, so nothing is aggregated on a request; profiles are computed by
:mod:`leftbehind.profiles` on first use and kept (bounded).
"""

from __future__ import annotations

import gzip
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb

from leftbehind.editions import EDITIONS, get_edition
from leftbehind.errors import (
    AreaNotFound,
    InvalidInput,
    LeftBehindError,
    StoreMissing,
    UnknownName,
)
from leftbehind.export import plain
from leftbehind.groups import GROUP_ORDER
from leftbehind.i18n import current_language
from leftbehind.i18n import gettext as _
from leftbehind.observatory import tiles as tile_store
from leftbehind.observatory import views as v
from leftbehind.observatory.payload import Payload, etag_of
from leftbehind.places import crosswalk as places_crosswalk
from leftbehind.places import wards as places_wards
from leftbehind.places.postcodes import PostcodeLookup, looks_like_postcode
from leftbehind.search import NameIndex
from leftbehind.store.connection import connect as connect_store
from leftbehind.wording import (
    cni_rank_sentence,
    definition_sentence,
    no_profile_sentence,
    rank_sentence,
    status_sentence,
)

log = logging.getLogger("leftbehind.observatory")

AreaSort = Literal["name", "group", "imd_rank", "cni_rank", "population"]
#: At most this many places side by side (bounded work for anonymous requests).
MAX_COMPARED = 4
COMPARE_AREAS_CSV_COLUMNS = [
    "edition", "code", "name", "dimension_id", "dimension", "indicator_id", "indicator", "unit",
    "value", "percentile", "left_behind", "other_deprived", "nation", "source",
]  # fmt: skip
PROFILE_CSV_COLUMNS = [
    "code", "name", "edition", "group", "dimension_id", "dimension", "indicator_id",
    "indicator", "value", "unit", "percentile", "left_behind", "other_deprived", "nation",
    "source",
]  # fmt: skip


@dataclass
class EditionView:
    """One edition as the observatory serves it (read from the prepared views)."""

    info: dict[str, Any]
    records: dict[str, dict[str, Any]]
    local_authorities: dict[str, dict[str, Any]]
    summary: dict[str, Any]
    payloads: dict[str, Payload] = field(default_factory=dict)
    _index: NameIndex | None = field(default=None, repr=False)
    _index_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def index(self) -> NameIndex:
        """The edition's name index (areas and local authorities), built on first use."""
        if self._index is None:
            with self._index_lock:
                if self._index is None:
                    self._index = NameIndex(
                        [
                            (r["code"], r["name"] or r["code"], r["local_authority"] or "")
                            for r in self.records.values()
                        ],
                        [(la["code"], la["name"], la["region"] or "") for la in
                         self.local_authorities.values()],
                    )  # fmt: skip
        return self._index

    @property
    def id(self) -> str:
        return self.info["id"]

    @property
    def label(self) -> str:
        return self.info["label"]

    @property
    def geography(self) -> str:
        return self.info["geography"]

    @property
    def description(self) -> str:
        return self.info["description"]

    @property
    def area_word(self) -> str:
        return self.info["area_word"]

    @property
    def area_words(self) -> str:
        """The plural the edition declares ('wards', 'neighbourhoods', 'intermediate zones')."""
        return EDITIONS[self.id].area_words if self.id in EDITIONS else f"{self.area_word}s"

    @property
    def headline(self) -> dict[str, Any]:
        return self.summary["headline"]

    @property
    def count(self) -> int:
        return len(self.records)

    def lookup(self, code: str) -> dict[str, Any] | None:
        """The area with this code, as typed or in upper case."""
        return self.records.get(code) or self.records.get(code.strip().upper())


class Observatory:
    """Everything the site and the CLI show, from one evidence store."""

    def __init__(self, store_path: Path, default_edition: str, profile_cache_size: int = 20000):
        self.store_path = Path(store_path)
        self.default_edition = default_edition
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()
        self._editions: dict[str, EditionView] = {}
        self._edition_ids: list[str] | None = None
        # keyed by (edition, code, language): the sentences are in the reader's language
        self._profiles: OrderedDict[tuple[str, str, str], tuple[dict[str, Any], Payload]] = (
            OrderedDict()
        )
        self._profile_cache_size = profile_cache_size
        self._robustness: dict[str, dict[str, dict]] = {}
        self._names: dict[str, dict[str, dict[str, Any]]] = {}
        self._tiles: dict[str, dict[tuple[int, int, int], bytes]] = {}
        self._tile_payloads: OrderedDict[tuple[str, int, int, int], Payload] = OrderedDict()
        self._postcodes = PostcodeLookup(facts=self._area_fact)
        self._ward_index: NameIndex | None = None
        self._view_keys: dict[str, frozenset[str]] = {}
        self._area_boxes: dict[str, dict[str, list[float]]] = {}
        #: Where imported grants come from (set by the site to the ``Funding`` service):
        #: ``grants_version() -> version`` (cheap) and ``grants_frame(version) -> frame|None``.
        #: Profiles (dimension 9) read them; a new version clears the cached profiles.
        self.grants_version: Callable[[], tuple] | None = None
        self.grants_frame: Callable[[tuple], Any] | None = None
        self._profiles_version: tuple | None = None
        self._trends: Any = None
        self._uk: Any = None
        self._subsets: OrderedDict[tuple, Payload] = OrderedDict()
        self._feature_index: dict[tuple[str, str], dict[str, str]] = {}
        self._compares: dict[tuple, tuple[dict[str, Any], Payload]] = {}
        #: Called when the grants' version changes (the site forgets rendered pages).
        self.on_grants_change: list[Callable[[], None]] = []

    def check_grants(self) -> None:
        """Notice a new grants version (read at most once a second): cached profiles and
        comparisons are dropped and ``on_grants_change`` hooks run."""
        self._grants_version_now()

    def _grants_version_now(self) -> tuple | None:
        """The grants' version; cached profiles of an older version are dropped."""
        if self.grants_version is None:
            return None
        version = self.grants_version()
        if version != self._profiles_version:
            with self._lock:
                if version != self._profiles_version:
                    self._profiles.clear()
                    first = self._profiles_version is None
                    self._profiles_version = version
                    if not first:
                        for hook in self.on_grants_change:
                            hook()
        return version

    @property
    def trends(self) -> Any:
        """Change over time: the three futures and area trends
        (:class:`leftbehind.observatory.trend.Trends`)."""
        if self._trends is None:
            from leftbehind.observatory.trend import Trends

            self._trends = Trends(self)
        return self._trends

    @property
    def uk(self) -> Any:
        """Across the UK: every area on the composite UK index
        (:class:`leftbehind.observatory.uk.UKIndex`)."""
        if self._uk is None:
            from leftbehind.observatory.uk import UKIndex

            self._uk = UKIndex(self)
        return self._uk

    @property
    def charts(self) -> Any:
        """Every chart to take away as SVG, PNG and CSV
        (:class:`leftbehind.observatory.takeaway.TakeawayCharts`)."""
        from leftbehind.observatory.takeaway import TakeawayCharts

        return TakeawayCharts(self)

    # -- the store --------------------------------------------------------------------------
    def connection(self) -> duckdb.DuckDBPyConnection:
        """A cursor on the shared read-only connection (one per calling thread)."""
        with self._lock:
            if self._con is None:
                self._con = connect_store(self.store_path, read_only=True)
            return self._con.cursor()

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                try:
                    self._con.close()
                except duckdb.Error as exc:  # a cursor still busy (e.g. warming): let it go
                    log.info("store connection left to close at exit: %s", exc)
                self._con = None

    @property
    def ready(self) -> bool:
        """Every edition's records are in memory: looking up editions, areas and local
        authorities no longer touches the store (cheap enough for an event loop)."""
        return self._edition_ids is not None and all(e in self._editions for e in self._edition_ids)

    @property
    def available(self) -> bool:
        return self.store_path.exists()

    def _stored(self, edition: str, key: str) -> Payload | None:
        con = self.connection()
        try:
            return v.load_view(con, edition, key)
        finally:
            con.close()

    # -- editions -------------------------------------------------------------------------
    def edition_ids(self) -> list[str]:
        """Editions with prepared views, in the order they are declared."""
        if self._edition_ids is None:
            con = self.connection()
            try:
                tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
                if v.VIEWS_TABLE not in tables:
                    raise StoreMissing(
                        f"the evidence store at {self.store_path} has no prepared views yet; "
                        "rebuild it with 'leftbehind build --mirror ../shared/sources'"
                    )
                present = {
                    r[0]
                    for r in con.execute(f"SELECT DISTINCT edition FROM {v.VIEWS_TABLE}").fetchall()
                }
            finally:
                con.close()
            known = [e for e in EDITIONS if e in present]
            self._edition_ids = known + sorted(present - set(known))
        return self._edition_ids

    def resolve_edition(self, edition: str | None, what: str = "query parameter 'edition'") -> str:
        ids = self.edition_ids()
        if edition is None or edition == "":
            return self.default_edition if self.default_edition in ids else ids[0]
        if edition not in ids:
            raise InvalidInput(
                f"{what}: unknown edition '{edition}'; valid editions: {', '.join(ids)}",
                parameter="edition",
            )
        return edition

    def editions_meta(self) -> list[dict[str, Any]]:
        default = self.resolve_edition(None)
        out = []
        for eid in self.edition_ids():
            info = self.edition(eid).info
            out.append({**info, "default": eid == default})
        return out

    def edition(self, edition: str | None) -> EditionView:
        eid = self.resolve_edition(edition)
        data = self._editions.get(eid)
        if data is None:
            data = self._load_edition(eid)
            with self._lock:
                data = self._editions.setdefault(eid, data)
        return data

    def _load_edition(self, eid: str) -> EditionView:
        payloads = {}
        for key in ("edition", "areas", "local_authorities", "summary"):
            payload = self._stored(eid, key)
            if payload is None:
                raise StoreMissing(
                    f"the evidence store has no '{key}' view of edition {eid}; rebuild it with "
                    "'leftbehind build --force'"
                )
            payloads[key] = payload
        records = {r["code"]: r for r in v.view_data(payloads["areas"])}
        las = {la["code"]: la for la in v.view_data(payloads["local_authorities"])}
        return EditionView(
            info=v.view_data(payloads["edition"]),
            records=records,
            local_authorities=las,
            summary=v.view_data(payloads["summary"]),
            payloads={"summary": payloads["summary"]},
        )

    def view(self, edition: str | None, key: str) -> Payload:
        """A prepared view of the edition, as bytes with gzip copy and ETag."""
        data = self.edition(edition)
        hit = data.payloads.get(key)
        if hit is None:
            hit = self._stored(data.id, key)
            if hit is None:
                raise StoreMissing(
                    f"the evidence store has no '{key}' view of edition {data.id}; rebuild it "
                    "with 'leftbehind build --force'"
                )
            data.payloads[key] = hit
        return hit

    def view_data(self, edition: str | None, key: str) -> Any:
        return v.view_data(self.view(edition, key))

    # -- areas ------------------------------------------------------------------------------
    def area(self, edition: str | None, code: str) -> tuple[EditionView, dict[str, Any]]:
        """The area with this code; without an explicit edition, any edition that has it."""
        data = self.edition(edition)
        rec = data.lookup(code)
        if rec is not None:
            return data, self._with_names(data.id, rec)
        found = None if edition else self.locate(code)
        if found is None:
            raise self.not_found(data, code)
        return found[0], self._with_names(found[0].id, found[1])

    def area_names(self, edition: str, code: str) -> dict[str, Any]:
        """The extra names of an area where its edition declares them (``names_sql``): for
        the Welsh MSOA edition ``name_cy`` (the Commons Library Welsh name, or None) and
        ``name_hcl`` (its English friendly name); {} for other editions."""
        sql = EDITIONS[edition].names_sql if edition in EDITIONS else None
        if not sql:
            return {}
        names = self._names.get(edition)
        if names is None:
            con = self.connection()
            try:
                rows = con.execute(sql).fetchall()
            finally:
                con.close()
            names = {c: {"name_cy": cy, "name_hcl": hcl} for c, cy, hcl in rows}
            self._names[edition] = names
        return names.get(code, {"name_cy": None, "name_hcl": None})

    def _with_names(self, edition: str, rec: dict[str, Any]) -> dict[str, Any]:
        names = self.area_names(edition, rec["code"])
        return {**rec, **names} if names else rec

    def locate(self, code: str) -> tuple[EditionView, dict[str, Any]] | None:
        """The first edition (in declared order) with an area of this code, or None."""
        for eid in self.edition_ids():
            data = self.edition(eid)
            rec = data.lookup(code)
            if rec is not None:
                return data, rec
        return None

    def editions_containing(self, code: str) -> list[str]:
        return [eid for eid in self.edition_ids() if code in self.edition(eid).records]

    def not_found(self, data: EditionView, code: str, kind: str = "area") -> AreaNotFound:
        matches = data.index.search(code, limit=5)
        other = [e for e in self.editions_containing(code) if e != data.id]
        where = f"; it is in edition {', '.join(other)}" if other else ""
        names = ", ".join(f"{m['name']} ({m['code']})" for m in matches)
        hint = f"; close matches: {names}" if names else ""
        return AreaNotFound(
            f"no {kind} '{code}' in edition {data.id}{where}{hint}", matches=matches, editions=other
        )

    def search(self, edition: str | None, query: str, limit: int = 8) -> list[dict[str, Any]]:
        """Areas and local authorities of the edition by name or code, typos allowed; today's
        wards by name or code; a postcode's area (see :meth:`find`)."""
        return self.find(edition, query, limit)["items"]

    def find(self, edition: str | None, query: str, limit: int = 8) -> dict[str, Any]:
        """What a search box finds: ``items`` (each with its ``edition``), the ``postcode``
        answer when the query is a postcode, and a ``message`` when a postcode is not found.

        A postcode gives the area it lies in (score 1.0 when it falls in one area, otherwise
        every candidate scored by its share), in the edition asked for or, for a postcode of
        another nation, in that nation's first edition.
        """
        data = self.edition(edition)
        query = (query or "")[:200]
        out: dict[str, Any] = {"edition": data.id, "query": query, "items": [],
                               "postcode": None, "message": None}  # fmt: skip
        if looks_like_postcode(query):
            try:
                answer = self.postcode(query)
            except LeftBehindError as exc:
                out["message"] = str(exc)
                return out
            out["postcode"] = answer
            entries = answer["editions"]
            entry = next((e for e in entries if e["edition"] == data.id), None)
            entry = entry or (entries[0] if entries else None)
            if entry is None:
                out["message"] = answer.get("note") or f"{answer['postcode']}: no area found"
                return out
            for cand in entry["candidates"][:limit]:
                out["items"].append(
                    {
                        "code": cand["code"],
                        "name": cand["name"] or cand["code"],
                        "context": f"{answer['postcode']}: {entry['method_label']}",
                        "kind": "area",
                        "score": 1.0 if entry["unique"] else round(cand["share"], 3),
                        "edition": entry["edition"],
                    }
                )
            return out
        items = data.index.search(query, limit=limit)
        for item in items:
            item["edition"] = data.id
        seen = {i["code"] for i in items}
        wards = [w for w in self.ward_index().search(query, limit=limit) if w["code"] not in seen]
        wards = [w for w in wards if w["score"] >= 0.8 and w["code"] not in data.records]
        for ward in wards:
            ward["edition"] = data.id
        merged = sorted(items + wards, key=lambda i: -i["score"])
        out["items"] = merged[:limit]
        return out

    # -- postcodes and today's wards --------------------------------------------------------
    def _area_fact(self, edition: str, code: str) -> tuple[str | None, str | None] | None:
        if edition not in self.edition_ids():
            return None
        rec = self.edition(edition).records.get(code)
        return (rec["name"], rec["group"]) if rec else None

    def postcode(self, query: str) -> dict[str, Any]:
        """A postcode's local authority, ward, small area and nation, and the area of every
        edition of that nation it lies in (:mod:`leftbehind.places.postcodes`), with links."""
        con = self.connection()
        try:
            answer = self._postcodes.lookup(con, query, self.edition_ids())
        finally:
            con.close()
        for entry in answer["editions"]:
            for cand in entry["candidates"]:
                cand["url"] = f"/areas/{cand['code']}?edition={entry['edition']}"
            entry["area"] = entry["candidates"][0]
        return answer

    def ward_index(self) -> NameIndex:
        """Today's wards (codes in use from 2022 on), by name or code."""
        if self._ward_index is None:
            con = self.connection()
            try:
                rows = places_wards.today_wards(con)
            finally:
                con.close()
            self._ward_index = NameIndex.of(
                [(w["code"], w["name"], places_wards.ward_context(w), "ward") for w in rows]
            )
        return self._ward_index

    def todays_wards(self, data: EditionView, rec: dict[str, Any]) -> dict[str, Any]:
        """The wards of today that overlap an area, and a sentence on what changed."""
        con = self.connection()
        try:
            wards = places_wards.wards_of_today(con, data.id, rec["code"])
        finally:
            con.close()
        for ward in wards:
            ward["url"] = f"/wards/{ward['code']}?edition={data.id}"
        name = rec["name"] or rec["code"]
        return {"wards": wards, "sentence": places_wards.today_sentence(name, rec["code"], wards)}

    def ward(self, code: str) -> dict[str, Any]:
        """A ward of 2022-2026 and the areas of every edition it overlaps, with the method."""
        con = self.connection()
        try:
            ward = places_wards.ward_places(con, code, self._area_fact, self.edition_ids())
        finally:
            con.close()
        for entry in ward["editions"]:
            for area in entry["areas"]:
                area["url"] = f"/areas/{area['code']}?edition={entry['edition']}"
        return ward

    def filter_areas(
        self,
        edition: str | None,
        group: str | None = None,
        region: str | None = None,
        local_authority: str | None = None,
    ) -> list[dict[str, Any]]:
        """The edition's areas, most deprived first, optionally of one group, region (code or
        name) or local authority (code or name); unknown names are :class:`AreaNotFound` (404 on
        the web: the filter names nothing in this edition)."""
        data = self.edition(edition)
        rows = list(data.records.values())
        if group:
            rows = [r for r in rows if r["group"] == group]
        if region:
            wanted = region.strip().lower()
            known = {(r["region_code"] or "").lower() for r in data.records.values()} | {
                (r["region"] or "").lower() for r in data.records.values()
            }
            if wanted not in known:
                valid = sorted(
                    {r["region_code"] for r in data.records.values() if r["region_code"]}
                )
                raise AreaNotFound(
                    f"query parameter 'region': unknown region '{region}' in edition {data.id}; "
                    f"use a region code or name, e.g. {', '.join(valid[:12])}"
                )
            rows = [
                r for r in rows
                if wanted in ((r["region_code"] or "").lower(), (r["region"] or "").lower())
            ]  # fmt: skip
        if local_authority:
            wanted = local_authority.strip().lower()
            las = data.local_authorities.values()
            if not any(wanted in (la["code"].lower(), la["name"].lower()) for la in las):
                matches = [m for m in data.index.search(local_authority, 20) if m["kind"] == "la"]
                hint = ", ".join(f"{m['name']} ({m['code']})" for m in matches[:5])
                raise AreaNotFound(
                    f"query parameter 'local_authority': unknown local authority "
                    f"'{local_authority}' in edition {data.id}"
                    + (f"; close matches: {hint}" if hint else ""),
                    matches=matches[:5],
                )
            rows = [
                r for r in rows
                if wanted
                in ((r["local_authority_code"] or "").lower(), (r["local_authority"] or "").lower())
            ]  # fmt: skip
        return rows

    def left_behind_by_region(self, edition: str | None) -> dict[str, list[dict[str, Any]]]:
        """The edition's left-behind areas grouped by region, then local authority and name."""
        data = self.edition(edition)
        lb = [r for r in data.records.values() if r["group"] == "left_behind"]
        out: dict[str, list[dict[str, Any]]] = {}
        for rec in sorted(
            lb, key=lambda r: (r["region"] or "", r["local_authority"] or "", r["name"])
        ):
            out.setdefault(rec["region"] or "Other", []).append(rec)
        return out

    # -- local authorities ----------------------------------------------------------------
    def local_authority(self, edition: str | None, code: str) -> tuple[EditionView, dict]:
        data = self.edition(edition)
        la = data.local_authorities.get(code) or data.local_authorities.get(code.strip().upper())
        if la is None:
            matches = [m for m in data.index.search(code, limit=10) if m["kind"] == "la"][:5]
            names = ", ".join(f"{m['name']} ({m['code']})" for m in matches)
            raise AreaNotFound(
                f"no local authority '{code}' in edition {data.id}"
                + (f"; close matches: {names}" if names else ""),
                matches=matches,
            )
        return data, la

    def areas_in(
        self, data: EditionView, la_code: str, sort: AreaSort = "imd_rank", order: str = "asc"
    ) -> list[dict[str, Any]]:
        """The areas of a local authority, sorted (missing values last)."""
        rows = [r for r in data.records.values() if r["local_authority_code"] == la_code]

        def key(r: dict[str, Any]) -> Any:
            if sort == "group":
                return (GROUP_ORDER.get(r["group"], 9), r["imd_rank"] or 0)
            value = r.get(sort)
            if sort == "name":
                return (value or "").lower()
            return (value is None, value or 0)

        return sorted(rows, key=key, reverse=(order == "desc"))

    # -- words ------------------------------------------------------------------------------
    def describe_status(self, data: EditionView, rec: dict[str, Any]) -> str:
        """One plain sentence on where an area stands in an edition."""
        ed = get_edition(data.id)
        text = status_sentence(ed, rec, data.headline.get("left_behind", 0))
        rank = rank_sentence(ed, rec.get("imd_rank"), data.count)
        return f"{text} {rank}" if rank else text

    def robustness(self, data: EditionView, code: str) -> str | None:
        """How sure the classification of this area is, in plain words, in the reader's
        language (from the facts the build stored)."""
        from leftbehind.robustness.results import area_sentences

        facts = self._robustness.get(data.id)
        if facts is None:
            facts = self._robustness[data.id] = self.view_data(data.id, "robustness")
        found = facts.get(code)
        return area_sentences(found) if found else None

    # -- profiles -----------------------------------------------------------------------------
    def cached_profile(
        self, edition: str | None, code: str
    ) -> tuple[dict[str, Any], Payload] | None:
        """The cached profile, without any other work (the hot path; the grants' version is
        read at most once a second)."""
        self._grants_version_now()
        return self._profiles.get((edition or self.default_edition, code, current_language()))

    def profile(self, edition: str | None, code: str) -> tuple[dict[str, Any], Payload]:
        """The nine-dimension profile of an area (the identification facts only where the
        edition has no indicator framework), kept once computed."""
        from leftbehind.profiles.profile import profile as build_profile

        data, rec = self.area(edition, code)
        key = (data.id, rec["code"], current_language())
        version = self._grants_version_now()
        hit = self._profiles.get(key)
        if hit is not None:
            return hit
        grants = self.grants_frame(version) if self.grants_frame and version else None
        con = self.connection()
        try:
            if grants is not None and len(grants):
                con.register("grants", grants)
            # the area's name in the reader's language where the edition has one (Welsh MSOAs)
            local_name = self.area_names(data.id, rec["code"]).get(f"name_{current_language()}")
            prof = build_profile(con, rec["code"], data.id, name=local_name)
        except UnknownName:  # an area the profile framework does not cover: the facts only
            prof = self._facts_profile(data, rec)
        else:
            prof = self._with_nation_sentences(data, rec, prof)
        finally:
            con.close()
        prof = plain({**prof, **self.area_names(data.id, rec["code"])})
        result = (prof, Payload.json(prof))
        with self._lock:
            if version == self._profiles_version:  # not computed from grants since replaced
                self._profiles[key] = result
            while len(self._profiles) > self._profile_cache_size:
                self._profiles.popitem(last=False)
        return result

    def _facts_profile(self, data: EditionView, rec: dict[str, Any]) -> dict[str, Any]:
        return {
            "code": rec["code"],
            "name": rec["name"],
            "type": data.geography,
            "edition": data.id,
            "group": rec["group"],
            "dimensions": [],
            "summary": self.describe_status(data, rec),
            "summary_sentences": self._facts_sentences(data, rec),
            "note": no_profile_sentence(get_edition(data.id)),
        }

    def _with_nation_sentences(
        self, data: EditionView, rec: dict[str, Any], prof: dict[str, Any]
    ) -> dict[str, Any]:
        """Outside England, 'In plain words' also gives the ranks behind the status (naming the
        nation's indices) and the nation's 'left behind' rule, after the opening sentence."""
        ed = get_edition(data.id)
        if ed.nation == "England" or not prof.get("summary_sentences"):
            return prof
        source = f"{_(ed.cni)} (OCSI); {_(ed.imd)}"
        extra = [
            {"text": t, "indicator": None, "value": None, "england": None, "source": source}
            for t in (
                rank_sentence(ed, rec.get("imd_rank"), data.count),
                cni_rank_sentence(ed, rec.get("cni_rank")),
                definition_sentence(ed),
            )
            if t
        ]
        sentences = [prof["summary_sentences"][0], *extra, *prof["summary_sentences"][1:]]
        return {
            **prof,
            "summary_sentences": sentences,
            "summary": " ".join(s["text"] for s in sentences),
        }

    def _facts_sentences(self, data: EditionView, rec: dict[str, Any]) -> list[dict[str, Any]]:
        """'In plain words' where a nation has no indicator profile: the ranks behind the
        status (naming the nation's indices), the nation's rule, and that there is no profile."""
        ed = get_edition(data.id)
        texts = [
            rank_sentence(ed, rec.get("imd_rank"), data.count),
            cni_rank_sentence(ed, rec.get("cni_rank")),
            definition_sentence(ed),
            no_profile_sentence(ed),
        ]
        source = f"{_(ed.cni)} (OCSI); {_(ed.imd)}"
        return [{"text": t, "source": source} for t in texts if t]

    def local_authority_profile(self, edition: str | None, code: str) -> dict[str, Any]:
        """The nine-dimension profile of a local authority (its small areas together), or the
        facts only where the edition has no indicator framework; kept once computed."""
        from leftbehind.profiles.profile import profile as build_profile

        data, la = self.local_authority(edition, code)
        key = (data.id, "la:" + la["code"], current_language())
        hit = self._profiles.get(key)
        if hit is not None:
            return hit[0]
        con = self.connection()
        try:
            prof = build_profile(con, la["code"], data.id)
        except (UnknownName, AreaNotFound):
            prof = {
                "code": la["code"],
                "name": la["name"],
                "edition": data.id,
                "dimensions": [],
                "summary_sentences": [],
                "note": _("There is no nine-dimension profile for this local authority."),
            }
        finally:
            con.close()
        prof = plain(prof)
        with self._lock:
            self._profiles[key] = (prof, Payload.json(prof))
        return prof

    def compare_areas(self, edition: str | None, codes: list[str]) -> dict[str, Any]:
        """Two to four places of one edition (areas or local authorities, so one nation) side
        by side on every indicator, with the comparators. Without an edition, the edition of
        the first code that is an area. Unknown codes are :class:`AreaNotFound`; fewer than
        two, more than four or repeated codes :class:`InvalidInput` naming ``areas``."""
        wanted = [c.strip() for c in codes if c and c.strip()]
        if not 2 <= len(wanted) <= MAX_COMPARED:
            raise InvalidInput(
                f"choose from 2 to {MAX_COMPARED} areas to compare (got {len(wanted)}), e.g. "
                "areas=E05000028,E05001536",
                parameter="areas",
            )
        if len({c.upper() for c in wanted}) != len(wanted):
            raise InvalidInput("each area can be compared only once", parameter="areas")
        if not edition:
            for code in wanted:
                found = self.locate(code)
                if found is not None:
                    edition = found[0].id
                    break
        data = self.edition(edition)
        places: list[dict[str, Any]] = []
        for code in wanted:
            rec = data.lookup(code)
            if rec is not None:
                prof, _payload = self.profile(data.id, rec["code"])
                places.append({"code": rec["code"], "name": rec["name"] or rec["code"],
                               "kind": "area", "group": rec["group"],
                               "population": rec.get("population"), "profile": prof,
                               "url": f"/areas/{rec['code']}?edition={data.id}"})  # fmt: skip
                continue
            la = data.local_authorities.get(code) or data.local_authorities.get(code.upper())
            if la is None:
                raise AreaNotFound(
                    f"query parameter 'areas': {self.not_found(data, code)}",
                    matches=data.index.search(code, limit=5),
                )
            prof = self.local_authority_profile(data.id, la["code"])
            url = f"/local-authorities/{la['code']}?edition={data.id}"
            places.append({"code": la["code"], "name": la["name"], "kind": "local_authority",
                           "group": None, "population": la.get("population"), "profile": prof,
                           "url": url})  # fmt: skip
        rows: dict[str, dict[str, Any]] = {}
        dims: list[dict[str, Any]] = []
        for place in places:
            supporting = place["profile"].get("supporting") or []
            extra = (
                [{"id": "supporting", "label": "Supporting indicators", "indicators": supporting}]
                if supporting
                else []
            )
            for dim in [*(place["profile"].get("dimensions") or []), *extra]:
                if dim["id"] not in {d["id"] for d in dims}:
                    dims.append({"id": dim["id"], "label": dim["label"], "indicators": []})
                target = next(d for d in dims if d["id"] == dim["id"])
                for ind in dim.get("indicators") or []:
                    row = rows.get(ind["id"])
                    if row is None:
                        row = rows[ind["id"]] = {
                            "id": ind["id"],
                            "label": ind["label"],
                            "unit": ind["unit"],
                            "direction": ind.get("direction"),
                            "source": ind.get("source"),
                            "comparators": ind.get("comparators") or {},
                            "values": {},
                            "percentiles": {},
                        }
                        target["indicators"].append(row)
                    row["values"][place["code"]] = ind.get("value")
                    row["percentiles"][place["code"]] = ind.get("percentile")
        for place in places:
            place.pop("profile")
        return {
            "edition": data.id,
            "edition_label": data.label,
            "nation": data.info.get("nation"),
            "areas": places,
            "dimensions": dims,
        }

    @staticmethod
    def compare_areas_rows(result: dict[str, Any]) -> list[dict[str, Any]]:
        """The comparison as rows (:data:`COMPARE_AREAS_CSV_COLUMNS`): one per area and
        indicator, with the comparators."""
        out = []
        for dim in result["dimensions"]:
            for ind in dim["indicators"]:
                comp = ind["comparators"]
                for place in result["areas"]:
                    out.append(
                        {
                            "edition": result["edition"],
                            "code": place["code"],
                            "name": place["name"],
                            "dimension_id": dim["id"],
                            "dimension": dim["label"],
                            "indicator_id": ind["id"],
                            "indicator": ind["label"],
                            "unit": ind["unit"],
                            "value": ind["values"].get(place["code"]),
                            "percentile": ind["percentiles"].get(place["code"]),
                            "left_behind": comp.get("left_behind"),
                            "other_deprived": comp.get("other_deprived"),
                            "nation": comp.get("nation"),
                            "source": ind["source"],
                        }
                    )
        return out

    def built_at(self) -> str | None:
        """When the evidence store was built (UTC, ISO 8601), from its build manifest."""
        con = self.connection()
        try:
            row = con.execute("SELECT value FROM build_manifest WHERE key = 'built_at'").fetchone()
        except duckdb.Error:
            row = None
        finally:
            con.close()
        return row[0] if row else None

    @staticmethod
    def chart(prof: dict[str, Any]) -> str | None:
        """The SVG chart of a profile (percentiles per dimension against the comparators)."""
        from leftbehind.profiles.charts import profile_svg

        return profile_svg(prof) if prof.get("dimensions") else None

    @staticmethod
    def chart_rows(prof: dict[str, Any]) -> list[dict[str, Any]]:
        """The data of the profile chart (:data:`CHART_CSV_COLUMNS`): per dimension the
        area's position from 0 (least need in the nation) to 100 (most), and the groups'."""
        rows = []
        for dim in prof.get("dimensions") or []:
            comps = dim.get("comparator_need_percentiles") or {}
            rows.append(
                {
                    "code": prof.get("code"),
                    "name": prof.get("name"),
                    "edition": prof.get("edition"),
                    "dimension_id": dim.get("id"),
                    "dimension": dim.get("label"),
                    "area": dim.get("need_percentile"),
                    "left_behind": comps.get("left_behind"),
                    "other_deprived": comps.get("other_deprived"),
                    "nation": comps.get("nation"),
                }
            )
        return rows

    @staticmethod
    def profile_rows(prof: dict[str, Any]) -> list[dict[str, Any]]:
        """A profile as rows, one indicator a row (:data:`PROFILE_CSV_COLUMNS`)."""
        rows = []
        for dim in prof.get("dimensions") or []:
            indicators = dim.get("indicators") or []
            if not indicators:
                rows.append(
                    {"dimension_id": dim.get("id"), "dimension": dim.get("label"),
                     "indicator": dim.get("note") or "no data yet"}
                )  # fmt: skip
            for ind in indicators:
                comp = ind.get("comparators") or {}
                rows.append(
                    {
                        "dimension_id": dim.get("id"),
                        "dimension": dim.get("label"),
                        "indicator_id": ind.get("id"),
                        "indicator": ind.get("label"),
                        "value": ind.get("value"),
                        "unit": ind.get("unit"),
                        "percentile": ind.get("percentile"),
                        "left_behind": comp.get("left_behind"),
                        "other_deprived": comp.get("other_deprived"),
                        "nation": comp.get("nation"),
                        "source": ind.get("source"),
                    }
                )
        base = {k: prof.get(k) for k in ("code", "name", "edition", "group")}
        return [{**base, **r} for r in (rows or [{}])]

    def warm_profiles(self, edition: str | None = None) -> None:
        """Compute one profile so the profile engine's per-edition data is loaded."""
        data = self.edition(edition)
        first = next(iter(data.records), None)
        if first is not None:
            self.profile(data.id, first)

    # -- documents ----------------------------------------------------------------------------
    def summary(self, edition: str | None) -> tuple[dict[str, Any], Payload]:
        """The summary document (the same as ``leftbehind summary --json``)."""
        data = self.edition(edition)
        return data.summary, self.view(data.id, "summary")

    def compare(self, edition: str | None) -> tuple[dict[str, Any], Payload]:
        """'Left behind' vs other deprived vs the nation: the view prepared at build time, or,
        once grants are imported, the same document with the grants row (dimension 9),
        computed once per grants version."""
        version = self._grants_version_now()
        if not version or not version[0] or self.grants_frame is None:
            payload = self.view(edition, "compare")
            return v.view_data(payload), payload
        data = self.edition(edition)
        key = (version, data.id)
        hit = self._compares.get(key)
        if hit is not None:
            return hit
        grants = self.grants_frame(version)
        con = self.connection()
        try:
            con.register("grants", grants)
            doc = v.compare_document(con, EDITIONS[data.id], v.identification_frame(con, data.id))
        finally:
            con.close()
        doc = plain(doc)
        hit = (doc, Payload.json(doc))
        with self._lock:
            self._compares = {k: h for k, h in self._compares.items() if k[0] == version}
            self._compares[key] = hit
        return hit

    def validation(self, edition: str | None) -> dict[str, Any]:
        return self.view_data(edition, "validation")

    def robustness_overview(self, edition: str | None) -> dict[str, Any] | None:
        return self.view_data(edition, "robustness_overview")

    # -- map layers ---------------------------------------------------------------------------
    def geojson(
        self,
        edition: str | None,
        group: str | None,
        detail: str,
        local_authority: str | None = None,
        region: str | None = None,
    ) -> Payload:
        """The areas layer (prepared), or only the areas of a local authority and/or region
        (code or name; unknown ones are :class:`AreaNotFound`), cut from the prepared layer."""
        if not local_authority and not region:
            return self.view(edition, f"geojson:{detail}:{group or 'all'}")
        data = self.edition(edition)
        key = ("areas", data.id, detail, group or "all",
               (local_authority or "").strip().lower(), (region or "").strip().lower())  # fmt: skip
        hit = self._subsets.get(key)
        if hit is not None:
            return hit
        rows = self.filter_areas(data.id, group, region, local_authority)
        by_code = self._features(data.id, f"geojson:{detail}:all")
        items = [by_code[r["code"]] for r in rows if r["code"] in by_code]
        return self._keep_subset(key, items)

    def la_geojson(self, edition: str | None, local_authority: str | None = None) -> Payload:
        """The outlines of the edition's local authorities, or of one (code or name)."""
        if not local_authority:
            return self.view(edition, "geojson:la")
        data, la = self.local_authority_named(edition, local_authority)
        key = ("la", data.id, la["code"])
        hit = self._subsets.get(key)
        if hit is not None:
            return hit
        by_code = self._features(data.id, "geojson:la")
        return self._keep_subset(key, [by_code[la["code"]]] if la["code"] in by_code else [])

    def local_authority_named(self, edition: str | None, text: str) -> tuple[EditionView, dict]:
        """A local authority by code or exact name (case-insensitive)."""
        data = self.edition(edition)
        wanted = text.strip().lower()
        for la in data.local_authorities.values():
            if wanted in (la["code"].lower(), la["name"].lower()):
                return data, la
        try:
            return self.local_authority(data.id, text)
        except AreaNotFound as exc:
            raise AreaNotFound(
                f"query parameter 'local_authority': {exc}", matches=exc.matches
            ) from None

    def local_authority_bounds(self, edition: str | None, code: str) -> list[float] | None:
        """[west, south, east, north] of a local authority's outline, or None without one."""
        import json

        data = self.edition(edition)
        text = self._features(data.id, "geojson:la").get(code)
        if text is None:
            return None
        xs: list[float] = []
        ys: list[float] = []

        def walk(node: Any) -> None:
            if node and isinstance(node[0], (int, float)):
                xs.append(float(node[0]))
                ys.append(float(node[1]))
            else:
                for child in node:
                    walk(child)

        walk(json.loads(text)["geometry"]["coordinates"])
        if not xs:
            return None
        return [round(min(xs), 4), round(min(ys), 4), round(max(xs), 4), round(max(ys), 4)]

    def _features(self, edition: str, key: str) -> dict[str, str]:
        """A prepared FeatureCollection split into feature texts by area code (kept)."""
        import json

        cache_key = (edition, key)
        hit = self._feature_index.get(cache_key)
        if hit is None:
            collection = v.view_data(self.view(edition, key))
            hit = {}
            for feat in collection["features"]:
                props = feat.get("properties") or {}
                code = props.get("c") or props.get("code")
                hit[code] = json.dumps(feat, ensure_ascii=False, separators=(",", ":"))
            with self._lock:
                hit = self._feature_index.setdefault(cache_key, hit)
        return hit

    def _keep_subset(self, key: tuple, items: list[str]) -> Payload:
        from leftbehind.geojson import feature_collection

        payload = Payload.make(feature_collection(items), "application/geo+json")
        with self._lock:
            self._subsets[key] = payload
            while len(self._subsets) > 512:
                self._subsets.popitem(last=False)
        return payload

    def area_map_bounds(
        self, edition: str | None, code: str, margin: float = 0.8
    ) -> list[float] | None:
        """[west, south, east, north] around an area and its neighbours: the area's own box
        widened by ``margin`` of its size on every side (None for an area without boundary)."""
        data = self.edition(edition)
        boxes = self._area_boxes.get(data.id)
        if boxes is None:
            boxes = self._area_boxes.setdefault(data.id, self.view_data(data.id, "area_bounds"))
        box = boxes.get(code)
        if box is None:
            return None
        w, s, e, n = box
        dx = max(e - w, 0.005) * margin
        dy = max(n - s, 0.003) * margin
        return [round(w - dx, 4), round(s - dy, 4), round(e + dx, 4), round(n + dy, 4)]

    def labels(self, edition: str | None) -> Payload:
        """Where the map writes local authorities' names (JSON)."""
        return self.view(edition, "labels")

    def crosswalk(self, edition: str | None, from_type: str) -> Payload:
        """Today's wards or 2021 LSOAs -> the edition's areas, with share and method (CSV;
        :mod:`leftbehind.places.crosswalk`)."""
        if from_type not in places_crosswalk.FROM_TYPES:
            raise UnknownName(
                f"unknown crosswalk '{from_type}'; choose one of: "
                + ", ".join(places_crosswalk.FROM_TYPES)
            )
        data = self.edition(edition)
        key = f"crosswalk:{from_type}"
        hit = data.payloads.get(key) or self._stored(data.id, key)
        if hit is None:
            have = [t for t in places_crosswalk.FROM_TYPES if self._has_view(data.id, t)]
            own = from_type == "lsoa21" and data.geography == "lsoa21"
            why = " (its areas are 2021 LSOAs: a postcode's LSOA is the area itself)"
            raise UnknownName(
                f"edition {data.id} has no crosswalk from {from_type}"
                + (why if own else "")
                + (f"; it has: {', '.join(have)}" if have else "")
            )
        data.payloads[key] = hit
        return hit

    def crosswalks(self, edition: str | None) -> list[str]:
        """The from types the edition has a crosswalk download for."""
        data = self.edition(edition)
        return [t for t in places_crosswalk.FROM_TYPES if self._has_view(data.id, t)]

    def _has_view(self, edition: str, from_type: str) -> bool:
        keys = self._view_keys.get(edition)
        if keys is None:
            con = self.connection()
            try:
                keys = self._view_keys.setdefault(edition, frozenset(v.view_keys(con, edition)))
            finally:
                con.close()
        return f"crosswalk:{from_type}" in keys

    def cached_tile(self, geography: str, z: int, x: int, y: int) -> Payload | None:
        """A tile already served once (the hot path), or None."""
        return self._tile_payloads.get((geography, z, x, y))

    def tile(self, geography: str, z: int, x: int, y: int) -> Payload | None:
        """One vector tile (gzip-compressed MVT) of a geography, or None where there is no
        tile (open sea, beyond the deepest zoom, or a geography without tiles)."""
        key = (geography, z, x, y)
        hit = self._tile_payloads.get(key)
        if hit is not None:
            return hit
        tiles = self._tiles.get(geography)
        if tiles is None:
            if geography not in {self.edition(e).geography for e in self.edition_ids()}:
                raise UnknownName(
                    f"no tiles for geography '{geography}'; tiles exist for "
                    + ", ".join(sorted({self.edition(e).geography for e in self.edition_ids()}))
                )
            con = self.connection()
            try:
                tiles = self._tiles.setdefault(geography, tile_store.load_tiles(con, geography))
            finally:
                con.close()
        data = tiles.get((z, x, y))
        if data is None:
            return None
        packed = data if tile_store.is_gzip(data) else gzip.compress(data, mtime=0)
        payload = Payload(
            tile_store.plain_tile(data), tile_store.MEDIA_TYPE, packed, etag_of(packed)
        )
        with self._lock:
            self._tile_payloads[key] = payload
            while len(self._tile_payloads) > 20000:
                self._tile_payloads.popitem(last=False)
        return payload

    def map_bounds(self, edition: str | None) -> list[float] | None:
        """[west, south, east, north] of the edition's areas."""
        return self.edition(edition).info.get("bounds")

    def warm(self) -> None:
        """Read every edition's records, the default edition's map layers, and load the profile
        engine of every edition with profiles, so that no first request waits for them."""
        for eid in self.edition_ids():
            self.edition(eid)
        default = self.resolve_edition(None)
        self.geojson(default, None, "map")
        self.la_geojson(default)
        self.tile(self.edition(default).geography, 0, 0, 0)
        self.ward_index()
        for eid in dict.fromkeys([default, *self.edition_ids()]):
            if eid in EDITIONS and EDITIONS[eid].profile is not None:
                self.warm_profiles(eid)

    def warm_search(self) -> None:
        """Build every edition's name index (pure Python: safe in a background thread)."""
        for eid in self.edition_ids():
            self.edition(eid).index  # noqa: B018 - the property builds the name index
