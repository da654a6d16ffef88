"""Reading R data files: tidy columns, geometry, corrupt files, the Parquet cache."""

from __future__ import annotations

import hashlib
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pyreadr
import pytest
import shapely

from leftbehind.errors import CorruptSource
from leftbehind.sources.readers import (
    parse_source,
    parsed_cache_path,
    read_source,
    snake_case,
    tidy_columns,
)
from leftbehind.sources.registry import load_registry, source_by_id


def write_rda(tmp_path: Path, frame: pd.DataFrame, name: str) -> Path:
    path = tmp_path / f"{name}.rda"
    pyreadr.write_rdata(str(path), frame, df_name=name)
    return path


def as_source(path: Path, sid: str):
    data = path.read_bytes()
    return replace(
        load_registry()[0], id=sid, sha256=hashlib.sha256(data).hexdigest(), bytes=len(data)
    )


@pytest.mark.parametrize(
    ("raw", "tidy"),
    [
        ("IMD_rank", "imd_rank"),
        ("Housing_and_Access_decile", "housing_and_access_decile"),
        ("Left Behind Area?", "left_behind_area"),
        ("0", "age_0"),
        ("90+", "age_90_plus"),
        ("Community Needs Index 2023 Score", "community_needs_index_2023_score"),
    ],
)
def test_snake_case(raw: str, tidy: str):
    assert snake_case(raw) == tidy


def test_cni_columns_are_harmonised_and_ranks_are_integers():
    frame = pd.DataFrame(
        {
            "lsoa21_code": ["E01000001", "E01000002"],
            "Community Needs Index 2023 Score": [10.5, 3.25],
            "Community Needs Index 2023 Rank": [1.0, 2.0],
            "Active and Engaged Community Domain Rank": [2.0, 1.0],
            "Left Behind Area?": [True, False],
        }
    )
    tidy = tidy_columns("cni2023_england_lsoa21", frame)
    assert list(tidy.columns) == [
        "lsoa21_code",
        "cni_score",
        "cni_rank",
        "engaged_community_rank",
        "published_left_behind",
    ]
    assert tidy["cni_rank"].tolist() == [1, 2]
    assert str(tidy["cni_rank"].dtype) == "Int64"
    assert tidy["cni_score"].tolist() == [10.5, 3.25]


def test_parse_a_real_r_data_file_written_by_pyreadr(tmp_path: Path):
    frame = pd.DataFrame(
        {
            "lsoa11_code": ["E01000001", "E01000002", "E01000003"],
            "IMD_rank": [3.0, 1.0, 2.0],
            "IMD_decile": [10.0, 1.0, 5.0],
        }
    )
    path = write_rda(tmp_path, frame, "imd_demo")
    tidy = parse_source(as_source(path, "imd_demo"), path)
    assert tidy.to_dict("list") == {
        "lsoa11_code": ["E01000001", "E01000002", "E01000003"],
        "imd_rank": [3, 1, 2],
        "imd_decile": [10, 1, 5],
    }


def test_truncated_file_is_a_one_line_error(tmp_path: Path):
    frame = pd.DataFrame({"code": [f"E{i:08d}" for i in range(500)], "x": range(500)})
    path = write_rda(tmp_path, frame, "demo")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(CorruptSource) as info:
        parse_source(as_source(path, "demo"), path)
    assert "demo" in str(info.value) and "corrupt" in str(info.value)
    assert "\n" not in str(info.value)


def test_parsed_frames_are_cached_by_sha256(tmp_path: Path):
    frame = pd.DataFrame({"ward17_code": ["E05000001"], "Score": [1.5]})
    path = write_rda(tmp_path, frame, "cached_demo")
    source = as_source(path, "cached_demo")
    cache = tmp_path / "cache"
    first = read_source(source, path, cache)
    assert parsed_cache_path(cache, source).exists()
    path.unlink()  # the second read must not touch the original file
    second = read_source(source, path, cache)
    pd.testing.assert_frame_equal(first, second)


def test_sf_boundaries_become_valid_wgs84_multipolygons(mirror_dir: Path):
    source = source_by_id("boundaries_ltla19")
    frame = parse_source(source, mirror_dir / source.mirror_path)
    assert len(frame) == 382
    geoms = shapely.from_wkb(frame["geometry"].to_numpy())
    assert shapely.is_valid(geoms).all()
    assert set(shapely.get_type_id(geoms)) == {6}  # MultiPolygon
    hartlepool = geoms[frame["ltla19_code"].eq("E06000001").to_numpy()][0]
    lon, lat = hartlepool.centroid.x, hartlepool.centroid.y
    assert -1.4 < lon < -1.1 and 54.6 < lat < 54.8
