"""Views the observatory serves, prepared once per store build (a derived stage).

For every edition the build stores, in table ``observatory_views``, the documents a page or an
API call needs, as the bytes to send with their gzip copy and ETag:

* ``edition``: the edition's record (:class:`~leftbehind.observatory.models.EditionInfo`);
* ``areas``: every area's identification record (the identification contract's fields);
* ``local_authorities``: each local authority with its counts;
* ``summary``: the summary document (:func:`leftbehind.identify.summarise`);
* ``compare``: 'left behind' vs other deprived vs the nation (profiles where the edition has an
  indicator framework, otherwise the groups' sizes and median ranks);
* ``robustness``: area code -> how sure the classification is, in plain words;
* ``robustness_overview``: counts by class and the chart of the stored uncertainty analysis;
* ``validation``: agreement with the published list;
* ``geojson:{detail}:{group}`` (``detail`` map or full, ``group`` all or one group) and
  ``geojson:la``: the map layers; ``labels``: where the map writes local authorities' names;
  ``area_bounds``: each drawn area's [west, south, east, north] (an area page's small map);
* ``crosswalk:{ward|lsoa21}``: today's wards / 2021 LSOAs -> the edition's areas (CSV).

A server reads these at launch instead of computing them, so its first answer of any page is as
fast as its hundredth. Imported grants are not in the store (they are user data in the
community database); :mod:`leftbehind.observatory.funding` summarises them while serving.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable, Iterable
from typing import Any

import duckdb
import pandas as pd
import shapely

from leftbehind.editions import EDITIONS, Edition
from leftbehind.errors import LeftBehindError, UnknownName
from leftbehind.export import clean, plain
from leftbehind.geojson import area_features, feature, feature_collection, geometry_texts
from leftbehind.groups import GROUP_LABELS, GROUPS
from leftbehind.identify import OUTPUT_COLUMNS, summarise
from leftbehind.observatory.models import AreaRecord, EditionInfo, LocalAuthority, Summary
from leftbehind.observatory.payload import GZIP_MIN_BYTES, Payload
from leftbehind.observatory.tiles import TILES_TABLE, group_key
from leftbehind.places import crosswalk
from leftbehind.wording import definition_sentence

VIEWS_TABLE = "observatory_views"
#: The identification contract: every area record the observatory serves has these fields.
AREA_FIELDS: tuple[str, ...] = tuple(OUTPUT_COLUMNS)
LA_BOUNDARY_TYPES = ("ltla24", "ltla21", "ltla19")

TABLE_DOCS = {
    VIEWS_TABLE: {
        "edition": "Identification edition the view belongs to",
        "key": "View name (edition, areas, local_authorities, summary, compare, robustness, "
        "robustness_overview, validation, geojson:{map|full}:{all|group}, geojson:la, labels, "
        "area_bounds, crosswalk:{ward|lsoa21})",
        "media_type": "Media type of the body (application/json, application/geo+json, text/csv)",
        "gzipped": "The response body (UTF-8), gzip-compressed",
        "bytes": "Length of the body before compression",
        "etag": "Strong validator of the body",
    }
}


# -- area records ------------------------------------------------------------------------------
def identification_frame(con: duckdb.DuckDBPyConnection, edition: str) -> pd.DataFrame:
    """The stored identification of ``edition`` (default thresholds), most deprived first."""
    frame = con.execute(
        "SELECT * EXCLUDE (edition) FROM identification WHERE edition = ? ORDER BY code", [edition]
    ).df()
    frame = frame.sort_values(["imd_rank", "code"], na_position="last").reset_index(drop=True)
    frame.attrs.update(
        edition=edition,
        cni_threshold=EDITIONS[edition].cni_threshold,
        imd_threshold=EDITIONS[edition].imd_threshold,
    )
    return frame


def area_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Identification rows as JSON-ready records (ranks and populations as integers, the IMD
    score to 3 decimals, flags as booleans)."""
    records = []
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
        records.append(rec)
    return records


def local_authority_records(records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each local authority of the areas with its counts of areas, groups and people."""
    las: dict[str, dict[str, Any]] = {}
    for rec in records:
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
    return sorted(las.values(), key=lambda la: (la["name"], la["code"]))


def group_comparison(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Size and median ranks of each group, for editions without an indicator framework."""

    def rounded(value: Any) -> float | None:
        value = clean(value)
        return None if value is None else round(float(value), 2)

    rows = []
    for group in GROUPS:
        part = frame[frame["group"] == group]
        rows.append(
            {
                "group": group,
                "label": GROUP_LABELS[group],
                "areas": len(part),
                "population": int(part["population"].fillna(0).sum()),
                "mean_imd_score": rounded(part["imd_score"].mean()),
                "median_cni_rank": rounded(part["cni_rank"].median()),
                "median_imd_rank": rounded(part["imd_rank"].median()),
            }
        )
    return rows


# -- the documents ----------------------------------------------------------------------------
def summary_document(frame: pd.DataFrame) -> dict[str, Any]:
    """The summary document of an identification (:class:`~.models.Summary`): the same for
    ``leftbehind summary --json`` and ``/api/summary``."""
    return Summary.model_validate(summarise(frame)).model_dump()


def edition_info(
    ed: Edition, frame: pd.DataFrame, bounds: list[float] | None, tile_zoom: int | None = None
) -> dict[str, Any]:
    return {
        "id": ed.id,
        "label": ed.title,
        "geography": ed.geography,
        "description": f"{ed.cni} with the {ed.imd}",
        "nation": ed.nation,
        "nation_wording": ed.nation_wording,
        "index_name": ed.index_name or ed.imd,
        "definition": definition_sentence(ed),
        "area_word": ed.area_word,
        "area_words": ed.area_words,
        "has_published_list": ed.has_published_list,
        "areas": len(frame),
        "bounds": bounds,
        "tile_max_zoom": tile_zoom,
        "tile_group_key": group_key(ed.id) if tile_zoom is not None else None,
    }


def tile_max_zoom(con: duckdb.DuckDBPyConnection, geography: str) -> int | None:
    """The deepest zoom of the geography's vector tiles, or None when there are none."""
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    if TILES_TABLE not in tables:
        return None
    return con.execute(
        f"SELECT max(z) FROM {TILES_TABLE} WHERE geography = ?", [geography]
    ).fetchone()[0]


def compare_document(con: duckdb.DuckDBPyConnection, ed: Edition, frame: pd.DataFrame) -> dict:
    """``leftbehind.profiles.compare`` for editions with an indicator framework; otherwise the
    groups' sizes and median ranks from the identification."""
    from leftbehind.profiles.compare import compare

    try:
        rows: Any = compare(con, ed.id)
        source = "leftbehind.profiles.compare"
    except UnknownName:  # no indicator framework for this edition: the groups only
        rows = group_comparison(frame)
        source = "identification"
    return {"edition": ed.id, "source": source, "comparison": plain(rows)}


def robustness_facts(con: duckdb.DuckDBPyConnection, edition: str) -> dict[str, dict]:
    """Area code -> what 'Left behind in 97 of 100 plausible ways of measuring ...' is made of,
    from the stored uncertainty analysis (empty for editions without one): the share of draws,
    whether it is on the headline list, the draws, and the 5-95% rank intervals. The sentence
    itself is written when it is read, in the reader's language
    (:func:`leftbehind.robustness.results.area_sentences`)."""
    from leftbehind.robustness.results import stored_result

    result = stored_result(con, edition)
    if result is None:
        return {}
    out = {}
    for row in result.areas.to_dict(orient="records"):

        def interval(prefix: str, row: dict = row) -> dict[str, float | None]:
            return {
                k: None if pd.isna(row[f"{prefix}_{k}"]) else float(row[f"{prefix}_{k}"])
                for k in ("p05", "p95")
            }

        out[str(row["code"])] = {
            "p": float(row["p_left_behind"]),
            "nominal": bool(row["nominal_left_behind"]),
            "draws": int(result.draws),
            "cni": interval("cni_rank"),
            "imd": interval("imd_rank"),
        }
    return out


def robustness_overview(con: duckdb.DuckDBPyConnection, edition: str) -> dict[str, Any] | None:
    """Counts by class, expected count and the chart of the stored uncertainty analysis."""
    from leftbehind.robustness.charts import p_left_behind_svg
    from leftbehind.robustness.results import stored_result

    result = stored_result(con, edition)
    if result is None:
        return None
    return {"summary": plain(result.summary), "svg": p_left_behind_svg(result.areas)}


def validation_document(con: duckdb.DuckDBPyConnection, edition: str) -> dict[str, Any]:
    """Agreement with the published list; a reason instead when it cannot be checked."""
    from leftbehind.validate import validate

    try:
        return plain(validate(con, edition))
    except LeftBehindError as exc:  # shown as 'not available' with the reason
        return {"error": str(exc)}


def _boundaries(con: duckdb.DuckDBPyConnection, types: Iterable[str]) -> pd.DataFrame:
    types = list(types)
    marks = ",".join("?" for _ in types)
    frame = con.execute(
        f"SELECT code, type, geometry FROM boundaries WHERE type IN ({marks}) ORDER BY code", types
    ).df()
    # the first listed type wins where a code has several (e.g. an unchanged district)
    frame["order"] = frame["type"].map({t: i for i, t in enumerate(types)})
    return frame.sort_values(["order", "code"]).drop_duplicates("code").sort_values("code")


def _map_properties(rec: dict[str, Any]) -> dict[str, Any]:
    """What the map draws and labels: code, name and group, in short keys."""
    return {"c": rec["code"], "n": rec["name"], "g": rec["group"]}


def _full_properties(rec: dict[str, Any]) -> dict[str, Any]:
    return {k: rec[k] for k in AREA_FIELDS}


#: Feature properties at each level of detail of the area layers.
LAYER_PROPERTIES = {"map": _map_properties, "full": _full_properties}


def map_layers(
    con: duckdb.DuckDBPyConnection, ed: Edition, records: list[dict[str, Any]]
) -> tuple[dict[str, Payload], list[float] | None]:
    """The GeoJSON payloads of an edition's areas (each detail, all and per group) and of its
    local authorities, with the areas' bounds [west, south, east, north]."""
    out: dict[str, Payload] = {}
    frame = _boundaries(con, [ed.geography])
    drawn = frame[frame["code"].isin({r["code"] for r in records})]
    bounds = None
    area_bounds: dict[str, list[float]] = {}
    if len(drawn):
        shapes = shapely.from_wkb([bytes(b) for b in drawn["geometry"]])
        bounds = [round(float(v), 3) for v in shapely.total_bounds(shapes)]
        boxes = shapely.bounds(shapes).round(4).tolist()
        area_bounds = dict(zip(drawn["code"].tolist(), boxes, strict=True))
    out["area_bounds"] = Payload.json(area_bounds)
    for detail, props in LAYER_PROPERTIES.items():
        features: dict[str, list[str]] = {"all": [], **{g: [] for g in GROUPS}}
        for rec, item in area_features(con, records, ed.geography, detail, props):
            features["all"].append(item)
            features[rec["group"]].append(item)
        for group, items in features.items():
            out[f"geojson:{detail}:{group}"] = Payload.make(
                feature_collection(items), "application/geo+json"
            )
    las = {la["code"]: la for la in local_authority_records(records)}
    outlines = _boundaries(con, LA_BOUNDARY_TYPES)
    outlines = outlines[outlines["code"].isin(las.keys())]
    items = [
        feature({"c": code, "n": las[code]["name"]}, text)
        for code, text in zip(
            outlines["code"].tolist(),
            geometry_texts(outlines["geometry"].tolist(), "outline"),
            strict=True,
        )
        if text is not None
    ]
    out["geojson:la"] = Payload.make(feature_collection(items), "application/geo+json")
    out["labels"] = Payload.json(label_points(outlines, las))
    return out, bounds


def label_points(outlines: pd.DataFrame, las: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Where the map writes each local authority's name: a point inside its boundary
    (``shapely.point_on_surface``), with the number of areas that are 'left behind', so the map
    can give room to those first."""
    shapes = shapely.from_wkb([bytes(b) for b in outlines["geometry"]])
    points = shapely.point_on_surface(shapes)
    items = []
    for code, point in zip(outlines["code"].tolist(), points, strict=True):
        if point is None or shapely.is_empty(point):
            continue
        la = las[code]
        items.append(
            {
                "c": code,
                "n": la["name"],
                "x": round(float(shapely.get_x(point)), 4),
                "y": round(float(shapely.get_y(point)), 4),
                "lb": int(la.get("left_behind") or 0),
            }
        )
    items.sort(key=lambda i: (-i["lb"], i["n"]))
    return {"local_authorities": items}


def crosswalk_views(con: duckdb.DuckDBPyConnection, edition: str) -> dict[str, Payload]:
    """The edition's crosswalks as CSV downloads (``crosswalk:{from type}``)."""
    out = {}
    for from_type in crosswalk.FROM_TYPES:
        try:
            rows = crosswalk.crosswalk_rows(con, edition, from_type)
        except UnknownName:
            continue
        out[f"crosswalk:{from_type}"] = Payload.csv(rows, crosswalk.COLUMNS)
    return out


def edition_views(con: duckdb.DuckDBPyConnection, ed: Edition) -> dict[str, Payload]:
    """Every view of one edition, as payloads."""
    frame = identification_frame(con, ed.id)
    records = area_records(frame)
    layers, bounds = map_layers(con, ed, records)
    for rec in records:
        AreaRecord.model_validate(rec)
    las = local_authority_records(records)
    for la in las:
        LocalAuthority.model_validate(la)
    views = {
        "edition": Payload.json(
            EditionInfo.model_validate(
                edition_info(ed, frame, bounds, tile_max_zoom(con, ed.geography))
            ).model_dump(exclude_none=True)
        ),
        "areas": Payload.json(records),
        "local_authorities": Payload.json(las),
        "summary": Payload.json(summary_document(frame)),
        "compare": Payload.json(compare_document(con, ed, frame)),
        "robustness": Payload.json(robustness_facts(con, ed.id)),
        "robustness_overview": Payload.json(robustness_overview(con, ed.id)),
        "validation": Payload.json(validation_document(con, ed.id)),
    }
    views.update(layers)
    views.update(crosswalk_views(con, ed.id))
    return views


# -- storage ----------------------------------------------------------------------------------
def _create(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {VIEWS_TABLE} (
            edition VARCHAR NOT NULL, key VARCHAR NOT NULL, media_type VARCHAR NOT NULL,
            gzipped BLOB NOT NULL, bytes BIGINT NOT NULL, etag VARCHAR NOT NULL,
            PRIMARY KEY (edition, key))"""
    )


def _store(con: duckdb.DuckDBPyConnection, edition: str, views: dict[str, Payload]) -> None:
    """Store views as gzip only: compressed bytes are stored as they are, so reading one view
    does not decompress the others (a lookup takes milliseconds, not a scan of every body)."""
    keys = list(views)
    marks = ",".join("?" for _ in keys)
    con.execute(
        f"DELETE FROM {VIEWS_TABLE} WHERE edition = ? AND key IN ({marks})", [edition, *keys]
    )
    con.executemany(
        f"INSERT INTO {VIEWS_TABLE} VALUES (?, ?, ?, ?, ?, ?)",
        [
            (
                edition,
                k,
                p.media_type,
                p.gzipped or gzip.compress(p.body, mtime=0),
                len(p.body),
                p.etag,
            )
            for k, p in views.items()
        ],
    )


def build_views(
    con: duckdb.DuckDBPyConnection, progress: Callable[[str], None] | None = None
) -> None:
    """Store stage: prepare every view of every edition (table ``observatory_views``)."""
    _create(con)
    for ed in EDITIONS.values():
        if progress is not None:
            progress(ed.id)
        _store(con, ed.id, edition_views(con, ed))


def load_view(con: duckdb.DuckDBPyConnection, edition: str, key: str) -> Payload | None:
    """One stored view, or ``None`` when the store has no such view."""
    row = con.execute(
        f"SELECT media_type, gzipped, etag FROM {VIEWS_TABLE} WHERE edition = ? AND key = ?",
        [edition, key],
    ).fetchone()
    if row is None:
        return None
    media_type, packed, etag = row
    packed = bytes(packed)
    body = gzip.decompress(packed)
    return Payload(body, media_type, packed if len(body) >= GZIP_MIN_BYTES else None, etag)


def view_keys(con: duckdb.DuckDBPyConnection, edition: str) -> list[str]:
    """The keys of the views stored for an edition."""
    return [
        k
        for (k,) in con.execute(
            f"SELECT key FROM {VIEWS_TABLE} WHERE edition = ? ORDER BY key", [edition]
        ).fetchall()
    ]


def view_data(payload: Payload) -> Any:
    """The JSON value of a stored view."""
    return json.loads(payload.body)
