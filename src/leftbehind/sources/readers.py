"""Read pinned source files into tidy pandas frames, with a Parquet cache keyed by sha256.

Plain R data frames are read with ``pyreadr``; ``sf`` boundary objects with ``rdata``, whose
geometry (nested lists of coordinate matrices, WGS84 lon/lat) becomes Shapely geometries stored
as WKB; CSV files as text; the postcode lookup's JSON files into one row per postcode. Each file
is parsed once: the tidy frame is cached as ``parsed/<sha256>.parquet``.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from leftbehind.atomic import tmp_prefix
from leftbehind.errors import CorruptSource
from leftbehind.sources.registry import Source

PARSER_VERSION = "3"

# Harmonised CNI column names: every CNI edition gets the same names.
CNI_RENAMES = {
    "civic_assets_domain_score": "civic_assets_score",
    "civic_assets_domain_rank": "civic_assets_rank",
    "connectedness_domain_score": "connectedness_score",
    "connectedness_domain_rank": "connectedness_rank",
    "active_and_engaged_community_domain_score": "engaged_community_score",
    "active_and_engaged_community_domain_rank": "engaged_community_rank",
    "community_needs_index_2023_score": "cni_score",
    "community_needs_index_2023_rank": "cni_rank",
    "community_needs_index_score": "cni_score",
    "community_needs_index_rank": "cni_rank",
    "left_behind_area": "published_left_behind",
}

INTEGER_PATTERN = re.compile(
    r"(_rank|_decile|^age_.*|^total_population$|^total_residents$"
    r"|^total_households$|^n$|^households$)"
)


def snake_case(name: str) -> str:
    """Snake-case a column name; single-year ages become ``age_N``, '90+' ``age_90_plus``.

    >>> snake_case("Left Behind Area?")
    'left_behind_area'
    >>> snake_case("7")
    'age_7'
    """
    if name.isdigit():
        return f"age_{name}"
    if name == "90+":
        return "age_90_plus"
    text = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    return text


def tidy_columns(source_id: str, frame: pd.DataFrame) -> pd.DataFrame:
    """Snake-case the columns, harmonise CNI names and make ranks and counts integers."""
    renamed = {col: snake_case(col) for col in frame.columns}
    frame = frame.rename(columns=renamed)
    if source_id.startswith("cni"):
        frame = frame.rename(columns=CNI_RENAMES)
    for col in frame.columns:
        if INTEGER_PATTERN.search(col) and pd.api.types.is_float_dtype(frame[col]):
            values = frame[col]
            finite = values.dropna()
            if len(finite) and np.all(np.mod(finite.to_numpy(), 1) == 0):
                frame[col] = values.astype("Int64")
    return frame


def _read_pyreadr(path: Path) -> pd.DataFrame:
    import pyreadr

    result = pyreadr.read_r(str(path))
    if not result:
        raise ValueError("no data frame in file")
    return next(iter(result.values()))


def _multipolygons(geometry: pd.Series) -> np.ndarray:
    """Build Shapely MultiPolygons from sf's nested lists with one vectorised ragged-array call."""
    coords: list[np.ndarray] = []
    ring_offsets = [0]
    polygon_offsets = [0]
    part_offsets = [0]
    n_coords = 0
    for feature in geometry:
        parts = feature if feature and isinstance(feature[0], list) else [feature]
        for polygon in parts:
            for ring in polygon:
                ring_array = np.ascontiguousarray(ring, dtype=np.float64).reshape(-1, 2)
                coords.append(ring_array)
                n_coords += len(ring_array)
                ring_offsets.append(n_coords)
            polygon_offsets.append(len(ring_offsets) - 1)
        part_offsets.append(len(polygon_offsets) - 1)
    return shapely.from_ragged_array(
        shapely.GeometryType.MULTIPOLYGON,
        np.ascontiguousarray(np.concatenate(coords)),
        (np.asarray(ring_offsets), np.asarray(polygon_offsets), np.asarray(part_offsets)),
    )


def _read_rdata_sf(path: Path) -> pd.DataFrame:
    import rdata

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = rdata.parser.parse_file(path)
        converted = rdata.conversion.convert(parsed, default_encoding="utf8")
    frame = next(iter(converted.values()))
    geoms = _multipolygons(frame["geometry"])
    invalid = ~shapely.is_valid(geoms)
    if invalid.any():
        # 'structure' keeps polygons polygonal (no stray lines from collapsed slivers).
        geoms[invalid] = shapely.make_valid(
            geoms[invalid], method="structure", keep_collapsed=False
        )
    out = frame.drop(columns=["geometry"]).copy()
    out["geometry"] = shapely.to_wkb(geoms)
    return out


def _read_rdata_points(path: Path) -> pd.DataFrame:
    """An ``sf`` object of points: its attributes, then ``lon`` and ``lat`` (WGS84)."""
    import rdata

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = rdata.parser.parse_file(path)
        converted = rdata.conversion.convert(parsed, default_encoding="utf8")
    frame = next(iter(converted.values()))
    coords = np.array([np.asarray(p, dtype=np.float64).reshape(2) for p in frame["geometry"]])
    out = frame.drop(columns=["geometry"]).reset_index(drop=True)
    out["lon"] = coords[:, 0]
    out["lat"] = coords[:, 1]
    return out


def _code_or_none(value: str) -> str | None:
    """A GSS code, or None for blanks and the NSPL's pseudo codes ('L99999999')."""
    return None if not value or value.endswith("99999999") else value


def _read_postcodes_json(path: Path) -> pd.DataFrame:
    """One postcode area of the August 2024 lookup: ``{district: {inward: [ladcd, ward24,
    lsoa21]}}`` -> one row per postcode, keyed by the compact postcode (``RM94UN``). The third
    code is an LSOA 2021 in England and Wales, a 2021 super data zone in Northern Ireland and
    empty in Scotland."""
    import json

    data = json.loads(path.read_bytes())
    keys: list[str] = []
    ltla: list[str | None] = []
    ward: list[str | None] = []
    small: list[str | None] = []
    for district, inwards in data.items():
        for inward, codes in inwards.items():
            keys.append(f"{district}{inward}".replace(" ", "").upper())
            la, wd, sa = [*codes, "", "", ""][:3]
            ltla.append(_code_or_none(la))
            ward.append(_code_or_none(wd))
            small.append(_code_or_none(sa))
    smalls = pd.Series(small, dtype="string")
    is_sdz = smalls.str.startswith("N21").fillna(False).astype(bool)
    # Typed as text even when a whole area has no code of a kind (no LSOAs in Scotland).
    return pd.DataFrame(
        {
            "postcode_key": pd.Series(keys, dtype="string"),
            "ltla24_code": pd.Series(ltla, dtype="string"),
            "ward24_code": pd.Series(ward, dtype="string"),
            "lsoa21_code": smalls.where(~is_sdz, None),
            "sdz21_code": smalls.where(is_sdz, None),
        }
    )


def _read_names_json(source: Source, path: Path) -> pd.DataFrame:
    """A name file of the postcode lookup: ``{code: [name, Welsh name]}``."""
    import json

    from leftbehind.sources.registry import POSTCODE_NAME_FILES

    data = json.loads(path.read_bytes())
    rows = [
        (code, POSTCODE_NAME_FILES[source.id], [*names, ""][0], [*names, "", ""][1] or None)
        for code, names in data.items()
    ]
    return pd.DataFrame(rows, columns=["code", "type", "name", "name_welsh"])


def _read(source: Source, path: Path) -> pd.DataFrame:
    if source.reader == "rdata":
        return _read_rdata_sf(path)
    if source.reader == "postcodes_json":
        return _read_postcodes_json(path)
    if source.reader == "names_json":
        return _read_names_json(source, path)
    if source.reader == "rdata_points":
        return _read_rdata_points(path)
    if source.reader == "csv":
        return pd.read_csv(path, dtype=str, keep_default_na=False).replace({"": None})
    if source.reader == "csv_headerless":
        from leftbehind.sources.registry import HEADERLESS_CSV

        names = list(HEADERLESS_CSV[source.id])
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, header=None, names=names)
        return frame.replace({"": None})
    return _read_pyreadr(path)


def parse_source(source: Source, path: Path) -> pd.DataFrame:
    """Parse one verified file into a tidy frame; a damaged file is a one-line error."""
    try:
        frame = _read(source, path)
    except Exception as exc:  # any parser failure means the file is unusable
        raise CorruptSource(
            f"source '{source.id}': cannot read {path} ({type(exc).__name__}); the file is "
            "truncated or corrupt: fetch it again with 'leftbehind sources fetch --force'"
        ) from None
    return tidy_columns(source.id, frame.reset_index(drop=True))


def parsed_cache_path(cache_dir: Path, source: Source) -> Path:
    return cache_dir / "parsed" / f"{source.sha256}-v{PARSER_VERSION}.parquet"


def read_source(source: Source, path: Path, cache_dir: Path) -> pd.DataFrame:
    """Return the tidy frame for ``source``, parsing ``path`` only when not cached."""
    cached = parsed_cache_path(cache_dir, source)
    if cached.exists():
        return pd.read_parquet(cached)
    frame = parse_source(source, path)
    cached.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=cached.parent, prefix=tmp_prefix(cached.name), suffix=".tmp")
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, cached)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return frame
