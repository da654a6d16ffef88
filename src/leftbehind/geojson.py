"""GeoJSON of areas from the store's simplified boundaries (RFC 7946: WGS84 lon/lat).

Used by ``leftbehind identify --format geojson`` and by the web observatory's map and downloads.
Three levels of detail: ``full`` (coordinates to 5 decimals, about 1 m), ``map`` (simplified by
about 60 m and rounded to 4 decimals, for drawing every English ward at once) and ``outline``
(local-authority outlines, simplified twice as much).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd
import shapely

Detail = Literal["full", "map", "outline"]

MAP_TOLERANCE_DEGREES = 0.0006
DETAIL = {
    "full": (None, 5),
    "map": (MAP_TOLERANCE_DEGREES, 4),
    "outline": (MAP_TOLERANCE_DEGREES * 2, 4),
}


def geometry_texts(blobs: list[Any], detail: Detail = "full") -> list[str | None]:
    """WKB blobs -> compact GeoJSON geometry strings (``None`` for missing or empty shapes).

    >>> square = shapely.to_wkb(shapely.box(0.123456, 0.0, 1.0, 1.0))
    >>> geometry_texts([square])[0].startswith('{"type":"Polygon"')
    True
    """
    if not blobs:
        return []
    tolerance, decimals = DETAIL[detail]
    geoms = shapely.from_wkb([bytes(b) if b is not None else None for b in blobs])
    if tolerance is not None:
        geoms = shapely.simplify(geoms, tolerance, preserve_topology=True)
    geoms = shapely.transform(geoms, lambda xy: np.round(xy, decimals))
    return [
        None
        if g is None or shapely.is_empty(g)
        else shapely.to_geojson(g).replace(".0,", ",").replace(".0]", "]")
        for g in geoms
    ]


def feature(properties: dict[str, Any], geometry: str) -> str:
    """One Feature as text, around an already-serialised geometry."""
    props = json.dumps(properties, ensure_ascii=False, separators=(",", ":"))
    return f'{{"type":"Feature","properties":{props},"geometry":{geometry}}}'


def feature_collection(features: list[str]) -> str:
    return '{"type":"FeatureCollection","features":[' + ",".join(features) + "]}"


def area_features(
    con: duckdb.DuckDBPyConnection,
    records: list[dict[str, Any]],
    area_type: str,
    detail: Detail = "full",
    properties: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
) -> list[tuple[dict[str, Any], str]]:
    """``(record, Feature text)`` for each record (``code`` key) with a boundary of
    ``area_type`` in the store, in the records' order; ``properties(record)`` gives each
    feature's properties (default: the record itself). Areas without a boundary are left out."""
    shapes = con.execute(
        "SELECT code, geometry FROM boundaries WHERE type = ?", [area_type]
    ).fetchall()
    texts = geometry_texts([g for _, g in shapes], detail)
    by_code = dict(zip([c for c, _ in shapes], texts, strict=True))
    make = properties or (lambda record: record)
    return [
        (record, feature(make(record), by_code[record["code"]]))
        for record in records
        if by_code.get(record["code"]) is not None
    ]


def areas_geojson(
    con: duckdb.DuckDBPyConnection, frame: pd.DataFrame, area_type: str, detail: Detail = "full"
) -> str:
    """A FeatureCollection of the areas in ``frame`` (one per row, its columns as properties,
    NaN as null), drawn with the store's boundaries of ``area_type``; areas without a boundary
    are left out."""
    records = json.loads(frame.to_json(orient="records", double_precision=10))
    return feature_collection([text for _, text in area_features(con, records, area_type, detail)])
