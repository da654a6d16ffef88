"""In-memory data the web app serves, loaded once per edition from the evidence store.

Everything a request needs is either here already (identification rows, the name index, the
GeoJSON, headline numbers) or computed once and kept (profiles), so request handlers do no
database work on the hot path. Payloads are kept as bytes with a gzip copy and an ETag.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import logging
import math
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import shapely

from leftbehind.errors import InvalidInput, LeftBehindError, StoreMissing, UnknownName
from leftbehind.geojson import feature, feature_collection, geometry_texts
from leftbehind.identify import OUTPUT_COLUMNS, summarise
from leftbehind.store.connection import connect as connect_store
from leftbehind.web import integrations
from leftbehind.web.errors import AreaNotFound
from leftbehind.web.names import NameIndex

GROUPS = ("left_behind", "other_deprived", "rest")
GROUP_LABELS = {
    "left_behind": "'Left behind'",
    "other_deprived": "Other deprived",
    "rest": "Rest of the country",
}
# The identification contract: every area record the web app serves has these fields.
AREA_FIELDS = tuple(OUTPUT_COLUMNS)
log = logging.getLogger("leftbehind.web")


@dataclass(frozen=True)
class Payload:
    """A response body kept in memory with its gzip copy and a strong validator."""

    body: bytes
    media_type: str
    gzipped: bytes | None = None
    etag: str = ""

    @classmethod
    def make(cls, body: bytes | str, media_type: str) -> Payload:
        raw = body.encode("utf-8") if isinstance(body, str) else body
        etag = '"' + hashlib.blake2b(raw, digest_size=12).hexdigest() + '"'
        packed = gzip.compress(raw, compresslevel=6, mtime=0) if len(raw) >= 1024 else None
        return cls(raw, media_type, packed, etag)

    @classmethod
    def json(cls, data: Any) -> Payload:
        text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=json_default)
        return cls.make(text, "application/json")


def json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def clean(value: Any) -> Any:
    """Plain Python values for JSON and templates (NaN -> None, numpy -> Python)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def plain(value: Any) -> Any:
    """``clean`` applied all the way down: dicts, lists, tuples and arrays become JSON-ready."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    value = clean(value)
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def csv_text(rows: list[dict[str, Any]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in columns})
    return buffer.getvalue()


@dataclass
class EditionData:
    id: str
    label: str
    geography: str
    description: str
    frame: pd.DataFrame
    records: dict[str, dict[str, Any]]
    local_authorities: dict[str, dict[str, Any]]
    index: NameIndex
    headline: dict[str, Any]
    bounds: list[float] | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    payloads: dict[str, Payload] = field(default_factory=dict)
    results: dict[str, tuple[Any, Payload]] = field(default_factory=dict)

    @property
    def area_word(self) -> str:
        return integrations.AREA_WORD.get(self.geography, "area")

    @property
    def count(self) -> int:
        return len(self.records)

    def lookup(self, code: str) -> dict[str, Any] | None:
        """The area with this code, as typed or in upper case."""
        return self.records.get(code) or self.records.get(code.strip().upper())

    def payload(self, key: str, build: Callable[[], Payload]) -> Payload:
        """The payload kept under ``key``, built once (under the edition's lock)."""
        hit = self.payloads.get(key)
        if hit is None:
            with self.lock:
                hit = self.payloads.get(key)
                if hit is None:
                    hit = self.payloads[key] = build()
        return hit

    def result(self, key: str, build: Callable[[], Any]) -> tuple[Any, Payload]:
        """A JSON-ready result kept under ``key`` with its payload, built once."""
        hit = self.results.get(key)
        if hit is None:
            with self.lock:
                hit = self.results.get(key)
                if hit is None:
                    value = plain(build())
                    hit = self.results[key] = (value, Payload.json(value))
        return hit


class Observatory:
    """All data the web app serves, read from one store, cached per edition."""

    def __init__(self, store_path: Path, default_edition: str, profile_cache_size: int = 20000):
        self.store_path = Path(store_path)
        self.default_edition = default_edition
        self._con: duckdb.DuckDBPyConnection | None = None
        self._lock = threading.Lock()
        self._editions: dict[str, EditionData] = {}
        self._edition_ids: list[str] | None = None
        self._meta = integrations.edition_meta()
        self._profiles: OrderedDict[tuple[str, str], tuple[dict[str, Any], Payload]] = OrderedDict()
        self._profile_cache_size = profile_cache_size
        self._misc: dict[str, Any] = {}

    # -- connection ---------------------------------------------------------------------
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
    def available(self) -> bool:
        return self.store_path.exists()

    def tables(self) -> set[str]:
        if "tables" not in self._misc:
            con = self.connection()
            try:
                rows = con.execute("SELECT table_name FROM information_schema.tables").fetchall()
            finally:
                con.close()
            self._misc["tables"] = {r[0] for r in rows}
        return self._misc["tables"]

    # -- editions -------------------------------------------------------------------------
    def edition_ids(self) -> list[str]:
        if self._edition_ids is None:
            if "identification" not in self.tables():
                raise StoreMissing(
                    f"the evidence store at {self.store_path} has no 'identification' table yet; "
                    "rebuild it with 'leftbehind build --mirror ../shared/sources'"
                )
            con = self.connection()
            try:
                present = {
                    r[0]
                    for r in con.execute("SELECT DISTINCT edition FROM identification").fetchall()
                }
            finally:
                con.close()
            known = [e for e in self._meta if e in present]
            self._edition_ids = known + sorted(present - set(known))
        return self._edition_ids

    def editions_meta(self) -> list[dict[str, Any]]:
        out = []
        for eid in self.edition_ids():
            meta = self._meta.get(eid, {"id": eid, "label": eid, "geography": None})
            out.append(
                {
                    "id": eid,
                    "label": meta["label"],
                    "geography": meta.get("geography"),
                    "description": meta.get("description", ""),
                    "default": eid == self.resolve_edition(None),
                }
            )
        return out

    def resolve_edition(self, edition: str | None, what: str = "query parameter 'edition'") -> str:
        ids = self.edition_ids()
        if edition is None or edition == "":
            if self.default_edition in ids:
                return self.default_edition
            return ids[0]
        if edition not in ids:
            raise InvalidInput(
                f"{what}: unknown edition '{edition}'; valid editions: {', '.join(ids)}"
            )
        return edition

    def edition(self, edition: str | None) -> EditionData:
        eid = self.resolve_edition(edition)
        data = self._editions.get(eid)
        if data is None:
            with self._lock:
                data = self._editions.get(eid)
            if data is None:
                data = self._load_edition(eid)
                with self._lock:
                    self._editions.setdefault(eid, data)
                    data = self._editions[eid]
        return data

    def _load_edition(self, eid: str) -> EditionData:
        con = self.connection()
        try:
            frame = con.execute(
                "SELECT * FROM identification WHERE edition = ? ORDER BY code", [eid]
            ).df()
        finally:
            con.close()
        for column in AREA_FIELDS:
            if column not in frame.columns:
                frame[column] = None
        frame = frame.sort_values(["imd_rank", "code"], na_position="last").reset_index(drop=True)
        records: dict[str, dict[str, Any]] = {}
        for row in frame[list(AREA_FIELDS)].to_dict(orient="records"):
            rec = {k: clean(v) for k, v in row.items()}
            for key in ("left_behind", "published_left_behind"):
                if rec[key] is not None:
                    rec[key] = bool(rec[key])
            for key in ("cni_rank", "imd_rank", "population"):
                if rec[key] is not None:
                    rec[key] = round(float(rec[key]))
            if rec["imd_score"] is not None:
                rec["imd_score"] = round(float(rec["imd_score"]), 3)
            records[str(rec["code"])] = rec
        las: dict[str, dict[str, Any]] = {}
        for rec in records.values():
            code = rec["local_authority_code"]
            if code is None:
                continue
            la = las.setdefault(
                code,
                {
                    "code": code,
                    "name": rec["local_authority"] or code,
                    "region_code": rec["region_code"],
                    "region": rec["region"],
                    "areas": 0,
                    "left_behind": 0,
                    "other_deprived": 0,
                    "population": 0,
                    "left_behind_population": 0,
                },
            )
            la["areas"] += 1
            la["population"] += rec["population"] or 0
            if rec["group"] == "left_behind":
                la["left_behind"] += 1
                la["left_behind_population"] += rec["population"] or 0
            elif rec["group"] == "other_deprived":
                la["other_deprived"] += 1
        meta = self._meta.get(eid, {"label": eid, "geography": None, "description": ""})
        geography = meta.get("geography") or ""
        index = NameIndex(
            [
                (r["code"], r["name"] or r["code"], r["local_authority"] or "")
                for r in records.values()
            ],
            [(la["code"], la["name"], la["region"] or "") for la in las.values()],
        )
        data = EditionData(
            id=eid,
            label=meta["label"],
            geography=geography,
            description=meta.get("description", ""),
            frame=frame,
            records=records,
            local_authorities=las,
            index=index,
            headline={},
        )
        data.headline = self._headline(data)
        return data

    @staticmethod
    def _headline(data: EditionData) -> dict[str, Any]:
        """Headline figures from ``leftbehind.identify.summarise``, in the API's shape."""
        figures = summarise(data.frame)
        return {
            "areas": figures["nation"]["count"],
            "left_behind": figures["count"],
            "other_deprived": figures["groups"]["other_deprived"]["count"],
            "population": figures["nation"]["population"] or 0,
            "left_behind_population": figures["population"] or 0,
            "left_behind_population_share": round(100 * figures["population_share"], 1)
            if figures["population_share"] is not None
            else None,
            "local_authorities_with_left_behind": sum(
                1 for la in data.local_authorities.values() if la["left_behind"]
            ),
            "local_authorities": len(data.local_authorities),
            "published_left_behind": figures["published_count"],
        }

    # -- areas ------------------------------------------------------------------------------
    def area(self, edition: str | None, code: str) -> tuple[EditionData, dict[str, Any]]:
        """The area with this code; without an explicit edition, any edition that has it."""
        data = self.edition(edition)
        rec = data.lookup(code)
        if rec is not None:
            return data, rec
        found = None if edition else self.locate(code)
        if found is None:
            raise self.not_found(data, code)
        return found

    def locate(self, code: str) -> tuple[EditionData, dict[str, Any]] | None:
        """The first edition (in the store's order) with an area of this code, or None."""
        for eid in self.edition_ids():
            data = self.edition(eid)
            rec = data.lookup(code)
            if rec is not None:
                return data, rec
        return None

    def not_found(self, data: EditionData, code: str, kind: str = "area") -> AreaNotFound:
        matches = data.index.search(code, limit=5)
        other = [e for e in self.editions_containing(code) if e != data.id]
        where = f"; it is in edition {', '.join(other)}" if other else ""
        names = ", ".join(f"{m['name']} ({m['code']})" for m in matches)
        hint = f"; close matches: {names}" if names else ""
        return AreaNotFound(
            f"no {kind} '{code}' in edition {data.id}{where}{hint}",
            matches=matches,
            editions=other,
        )

    def editions_containing(self, code: str) -> list[str]:
        out = []
        for eid in self.edition_ids():
            if code in self.edition(eid).records:
                out.append(eid)
        return out

    def local_authority(self, edition: str | None, code: str) -> tuple[EditionData, dict]:
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

    def areas_in(self, data: EditionData, la_code: str) -> list[dict[str, Any]]:
        return [r for r in data.records.values() if r["local_authority_code"] == la_code]

    # -- profiles -------------------------------------------------------------------------
    def cached_profile(self, edition: str, code: str) -> tuple[dict[str, Any], Payload] | None:
        """The cached profile, without any other work (the hot path)."""
        return self._profiles.get((edition, code))

    def profile(self, edition: str | None, code: str) -> tuple[dict[str, Any], Payload]:
        data, rec = self.area(edition, code)
        key = (data.id, rec["code"])
        hit = self._profiles.get(key)
        if hit is not None:
            return hit
        con = self.connection()
        try:
            prof = integrations.profile(con, data.id, rec["code"])
        except UnknownName:  # an area the profile framework does not cover: the facts only
            prof = self._fallback_profile(data, rec)
        finally:
            con.close()
        prof = plain(prof)
        result = (prof, Payload.json(prof))
        with self._lock:
            self._profiles[key] = result
            while len(self._profiles) > self._profile_cache_size:
                self._profiles.popitem(last=False)
        return result

    def _fallback_profile(self, data: EditionData, rec: dict[str, Any]) -> dict[str, Any]:
        """The identification facts only, for an area without a nine-dimension profile."""
        return {
            "code": rec["code"],
            "name": rec["name"],
            "type": data.geography,
            "edition": data.id,
            "group": rec["group"],
            "dimensions": [],
            "summary": describe_status(data, rec),
            "note": "There is no nine-dimension profile for this area.",
        }

    def chart(self, prof: dict[str, Any]) -> str | None:
        if not prof.get("dimensions"):
            return None
        return integrations.profile_chart(prof)

    def robustness(self, data: EditionData, code: str) -> str | None:
        key = f"robust:{data.id}:{code}"
        if key not in self._misc:
            con = self.connection()
            try:
                self._misc[key] = integrations.robustness_sentence(con, data.id, code)
            finally:
                con.close()
        return self._misc[key]

    # -- summaries ---------------------------------------------------------------------------
    def summary(self, edition: str | None) -> tuple[dict[str, Any], Payload]:
        """Counts by region, rural-urban class and local authority, with the headline."""
        data = self.edition(edition)

        def build() -> dict[str, Any]:
            frame = pd.DataFrame(list(data.records.values()))
            return {
                "edition": data.id,
                "headline": data.headline,
                "by_region": _group_summary(frame, ["region_code", "region"]),
                "by_rural_urban": _group_summary(frame, ["rural_urban"]),
                "by_local_authority": _group_summary(
                    frame, ["local_authority_code", "local_authority", "region"]
                ),
            }

        return data.result("summary", build)

    def compare(self, edition: str | None) -> tuple[dict[str, Any], Payload]:
        """``leftbehind.profiles.compare``; for editions without an indicator framework,
        the groups' sizes and median ranks from the identification."""
        data = self.edition(edition)

        def build() -> dict[str, Any]:
            con = self.connection()
            try:
                rows = integrations.compare(con, data.id)
                source = "leftbehind.profiles.compare"
            except UnknownName:  # no indicator framework for this edition: the groups only
                rows = _group_comparison(data)
                source = "identification"
            finally:
                con.close()
            return {"edition": data.id, "source": source, "comparison": rows}

        return data.result("compare", build)

    def validation(self, edition: str | None) -> Any:
        eid = self.resolve_edition(edition)
        key = f"validation:{eid}"
        if key not in self._misc:
            con = self.connection()
            try:
                self._misc[key] = integrations.validation_report(con, eid)
            except LeftBehindError as exc:  # shown as 'not available' with the reason
                self._misc[key] = {"error": str(exc)}
            finally:
                con.close()
        return self._misc[key]

    def robustness_overview(self, edition: str | None) -> dict[str, Any] | None:
        eid = self.resolve_edition(edition)
        key = f"robustness:{eid}"
        if key not in self._misc:
            con = self.connection()
            try:
                self._misc[key] = integrations.robustness_overview(con, eid)
            finally:
                con.close()
        return self._misc[key]

    # -- geometry ------------------------------------------------------------------------
    def geojson(self, edition: str | None, group: str | None, detail: str) -> Payload:
        data = self.edition(edition)
        key = f"geojson:{detail}:{group or 'all'}"
        return data.payload(key, lambda: self._build_geojson(data, group, detail))

    def _boundaries(self, types: list[str], codes: list[str] | None = None) -> pd.DataFrame:
        if "boundaries" not in self.tables():
            return pd.DataFrame(columns=["code", "type", "name", "geometry"])
        con = self.connection()
        try:
            marks = ",".join("?" for _ in types)
            frame = con.execute(
                f"SELECT code, type, name, geometry FROM boundaries WHERE type IN ({marks})", types
            ).df()
        finally:
            con.close()
        if codes is not None:
            frame = frame[frame["code"].isin(set(codes))]
        return frame.drop_duplicates("code")

    def _build_geojson(self, data: EditionData, group: str | None, detail: str) -> Payload:
        frame = self._boundaries([data.geography])
        frame = frame[frame["code"].isin(data.records.keys())]
        if group:
            frame = frame[[data.records[c]["group"] == group for c in frame["code"]]]
        features = []
        geoms = geometry_texts(frame["geometry"].tolist(), "map" if detail == "map" else "full")
        for code, text in zip(frame["code"].tolist(), geoms, strict=True):
            if text is None:
                continue
            rec = data.records[code]
            if detail == "map":
                props = {"c": code, "n": rec["name"], "g": rec["group"]}
            else:
                props = {k: rec[k] for k in AREA_FIELDS}
            features.append(feature(props, text))
        if group is None and len(frame):
            bounds = shapely.total_bounds(shapely.from_wkb([bytes(b) for b in frame["geometry"]]))
            data.bounds = [round(float(v), 3) for v in bounds]
        return Payload.make(feature_collection(features), "application/geo+json")

    def map_bounds(self, edition: str | None) -> list[float] | None:
        """[west, south, east, north] of the edition's areas (after building the map data)."""
        data = self.edition(edition)
        if data.bounds is None:
            self.geojson(data.id, None, "map")
        return data.bounds

    def la_geojson(self, edition: str | None) -> Payload:
        data = self.edition(edition)
        return data.payload("geojson:la", lambda: self._build_la_geojson(data))

    def _build_la_geojson(self, data: EditionData) -> Payload:
        frame = self._boundaries(["ltla24", "ltla21", "ltla19"], list(data.local_authorities))
        features = []
        geoms = geometry_texts(frame["geometry"].tolist(), "outline")
        for code, text in zip(frame["code"].tolist(), geoms, strict=True):
            if text is not None:
                la = data.local_authorities[code]
                features.append(feature({"c": code, "n": la["name"]}, text))
        return Payload.make(feature_collection(features), "application/geo+json")

    def warm_profiles(self, edition: str | None = None) -> None:
        """Compute one profile so the profile engine's per-edition data is loaded."""
        try:
            data = self.edition(edition)
            first = next(iter(data.records), None)
            if first is not None:
                self.profile(data.id, first)
        except Exception as exc:  # warming is best effort; requests report real errors
            log.info("profile warm-up skipped: %s", exc)

    def warm(self, edition: str | None = None) -> None:
        """Load what the home page needs so the first visitor does not wait."""
        data = self.edition(edition)
        self.geojson(data.id, None, "map")
        self.la_geojson(data.id)
        self.summary(data.id)


def _group_comparison(data: EditionData) -> list[dict[str, Any]]:
    """Size and median ranks of each group, for editions without an indicator framework."""
    frame = pd.DataFrame(list(data.records.values()))
    rows = []
    for group in GROUPS:
        part = frame[frame["group"] == group]
        rows.append(
            {
                "group": group,
                "label": GROUP_LABELS[group],
                "areas": len(part),
                "population": int(part["population"].fillna(0).sum()),
                "mean_imd_score": _round(part["imd_score"].mean()),
                "median_cni_rank": _round(part["cni_rank"].median()),
                "median_imd_rank": _round(part["imd_rank"].median()),
            }
        )
    return rows


def _round(value: Any, digits: int = 2) -> Any:
    value = clean(value)
    return None if value is None else round(float(value), digits)


def _group_summary(frame: pd.DataFrame, keys: list[str]) -> list[dict[str, Any]]:
    if frame.empty:
        return []
    frame = frame.copy()
    frame["population"] = frame["population"].fillna(0)
    frame["is_lb"] = frame["group"] == "left_behind"
    frame["is_od"] = frame["group"] == "other_deprived"
    frame["lb_pop"] = frame["population"].where(frame["is_lb"], 0)
    for key in keys:
        frame[key] = frame[key].fillna("Unknown")
    grouped = (
        frame.groupby(keys, dropna=False)
        .agg(
            areas=("code", "count"),
            left_behind=("is_lb", "sum"),
            other_deprived=("is_od", "sum"),
            population=("population", "sum"),
            left_behind_population=("lb_pop", "sum"),
        )
        .reset_index()
    )
    grouped["left_behind_share"] = (100 * grouped["left_behind"] / grouped["areas"]).round(1)
    grouped = grouped.sort_values(["left_behind", "areas"], ascending=[False, False])
    rows = []
    for row in grouped.to_dict(orient="records"):
        rows.append(
            {
                k: (int(v) if isinstance(v, (np.integer, np.bool_)) else clean(v))
                for k, v in row.items()
            }
        )
    for row in rows:
        for key in ("population", "left_behind_population"):
            row[key] = int(row[key] or 0)
    return rows


def describe_status(data: EditionData, rec: dict[str, Any]) -> str:
    """One plain sentence on where an area stands in an edition (facts from the store)."""
    word = data.area_word
    name = rec["name"] or rec["code"]
    n = data.count
    lb = data.headline.get("left_behind", 0)
    if rec["group"] == "left_behind":
        text = (
            f"{name} is one of {lb:,} {word}s identified as 'left behind' in this edition: "
            f"it is among the most deprived 10% of {word}s and has few places to meet, "
            "weak connections and low community activity."
        )
    elif rec["group"] == "other_deprived":
        text = (
            f"{name} is among the most deprived 10% of {word}s, but it has more community "
            "places, better connections or more community activity than 'left behind' areas."
        )
    else:
        text = f"{name} is not among the most deprived 10% of {word}s in this edition."
    if rec.get("imd_rank"):
        text += f" It ranks {rec['imd_rank']:,} of {n:,} on deprivation (1 is most deprived)."
    return text
