"""Identification: thresholds, groups, the contract, and the published lists (integration)."""

from __future__ import annotations

import json
import math

import duckdb
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from leftbehind.editions import EDITIONS, Edition, get_edition
from leftbehind.errors import InvalidInput, UnknownName
from leftbehind.identify import (
    GROUPS,
    OUTPUT_COLUMNS,
    check_threshold,
    identify,
    summarise,
    threshold_rank,
)

EDITION_IDS = [
    "england-2019-ward",
    "england-2023-lsoa",
    "england-2025-lsoa",
    "wales-2022-msoa",
    "scotland-2022-iz",
    "northern-ireland-2022-soa",
]


def left_behind_by(summary: dict, table: str, key: str) -> dict[str, int]:
    """Left-behind counts of a summary table, keyed by ``key`` (areas with none left out)."""
    return {r[key]: r["left_behind"] for r in summary[table] if r["left_behind"]}


def test_editions_are_declared():
    assert list(EDITIONS) == EDITION_IDS
    assert all(isinstance(e, Edition) for e in EDITIONS.values())
    assert get_edition("england-2019-ward").published_count == 225


def test_unknown_edition_lists_the_valid_ones():
    with pytest.raises(UnknownName) as err:
        get_edition("england-1999")
    assert err.value.exit_code == 2
    for e in EDITION_IDS:
        assert e in str(err.value)


@pytest.mark.parametrize("bad", [0, -0.1, 1.0001, 2, float("nan"), float("inf"), "ten"])
def test_thresholds_outside_0_1_are_invalid(bad):
    with pytest.raises(InvalidInput) as err:
        check_threshold("cni_threshold", bad)
    assert err.value.exit_code == 2


def test_threshold_rank_known_answers():
    assert threshold_rank(0.1, 7433) == 743
    assert threshold_rank(0.1, 33755) == 3375
    assert threshold_rank(0.1, 1909) == 190
    assert threshold_rank(0.3, 10) == 3  # 0.3 * 10 is 2.9999999999999996 in floating point
    assert threshold_rank(1.0, 17) == 17
    # robustness draws pass an array of shares: the same floor, element by element
    assert threshold_rank(pd.Series([0.1, 0.3, 1.0]).to_numpy(), 10).tolist() == [1, 3, 10]
    assert isinstance(threshold_rank(0.1, 7433), int)


@given(st.floats(min_value=1e-6, max_value=1.0), st.integers(min_value=1, max_value=100000))
def test_threshold_rank_is_the_floor_of_the_share(share, n):
    cut = threshold_rank(share, n)
    assert 0 <= cut <= n
    assert cut == math.floor(share * n) or math.isclose(cut, share * n, abs_tol=1e-6)


@pytest.fixture()
def toy():
    """Ten areas with hand-set ranks; the 'published' flag is CNI <= 2 and IMD <= 2."""
    con = duckdb.connect()
    con.execute(
        """CREATE TABLE cni AS SELECT * FROM (VALUES
        ('A01', 'a', 1, true),  ('A02', 'b', 2, false), ('A03', 'c', 3, false),
        ('A04', 'd', 4, false), ('A05', 'e', 5, false), ('A06', 'f', 6, false),
        ('A07', 'g', 7, false), ('A08', 'h', 8, false), ('A09', 'i', 9, false),
        ('A10', 'j', 10, false)) t(code, name, cni_rank, published_left_behind)"""
    )
    con.execute(
        """CREATE TABLE imd AS SELECT * FROM (VALUES
        ('A01', 2, 50.0), ('A02', 4, 40.0), ('A03', 1, 60.0), ('A04', 3, 45.0),
        ('A05', 5, 30.0), ('A06', 6, 25.0), ('A07', 7, 20.0), ('A08', 8, 15.0),
        ('A09', 9, 10.0), ('A10', 10, 5.0)) t(code, imd_rank, imd_score)"""
    )
    edition = Edition(
        id="toy",
        title="Toy",
        nation="Nowhere",
        country_code="X",
        geography="toy",
        cni="toy CNI",
        cni_table="cni",
        imd="toy IMD",
        imd_method="published_rank",
        population_year="none",
        published_count=1,
        areas_sql="SELECT code, name, cni_rank, published_left_behind, 'L1' AS "
        "local_authority_code, 'Toyshire' AS local_authority FROM cni",
        imd_sql="SELECT * FROM imd",
        population_sql="SELECT code, 100 AS population FROM cni",
        region_sql="SELECT code, 'R1' AS region_code, 'Toyland' AS region FROM cni",
        imd_rank_meaning="rank",
        imd_score_meaning="score",
    )
    yield con, edition
    con.close()


def test_toy_identification_by_hand(toy):
    con, edition = toy
    df = identify(con, edition, 0.2, 0.2).set_index("code")
    # cut = 2 on both: A01 (CNI 1, IMD 2) only; A03 has IMD 1 but CNI 3 -> other deprived.
    assert df.index[df["left_behind"]].tolist() == ["A01"]
    assert df.loc["A03", "group"] == "other_deprived"
    assert df.loc["A02", "group"] == "rest"
    wide = identify(con, edition, 0.4, 0.4).set_index("code")
    # cut = 4: A01 (1, 2), A02 (2, 4), A03 (3, 1), A04 (4, 3).
    assert wide.index[wide["left_behind"]].tolist() == ["A01", "A02", "A03", "A04"]
    s = summarise(identify(con, edition, 0.4, 0.4))
    h = s["headline"]
    assert h["left_behind"] == 4 and h["left_behind_population"] == 400
    assert h["left_behind_population_share"] == 40.0 and h["population"] == 1000
    assert s["groups"] == {
        "left_behind": {"count": 4, "population": 400},
        "other_deprived": {"count": 0, "population": 0},
        "rest": {"count": 6, "population": 600},
        "nation": {"count": 10, "population": 1000},
    }
    assert left_behind_by(s, "by_region", "region") == {"Toyland": 4}


@pytest.mark.integration
@pytest.mark.parametrize("edition", EDITION_IDS)
def test_identify_keeps_the_contract(con, edition):
    df = identify(con, edition)
    assert list(df.columns) == OUTPUT_COLUMNS
    assert df["code"].is_unique
    assert df["left_behind"].dtype == bool and df["published_left_behind"].dtype == bool
    assert set(df["group"]) <= set(GROUPS)
    assert (df["group"] == "left_behind").equals(df["left_behind"])
    assert df["region"].notna().all()
    published = get_edition(edition).published_count  # None: no published list
    assert df["published_left_behind"].sum() == (0 if published is None else published)


@pytest.mark.integration
def test_england_2019_ward_reproduces_the_published_list(con):
    df = identify(con, "england-2019-ward")
    assert len(df) == 7433
    found = (df["left_behind"] & df["published_left_behind"]).sum()
    extra = (df["left_behind"] & ~df["published_left_behind"]).sum()
    assert found >= 219
    assert extra <= 8


@pytest.mark.integration
@pytest.mark.parametrize(
    "edition",
    ["england-2023-lsoa", "northern-ireland-2022-soa", "wales-2022-msoa", "scotland-2022-iz"],
)
def test_editions_match_published_flags_exactly(con, edition):
    df = identify(con, edition)
    assert df["left_behind"].equals(df["published_left_behind"])


@pytest.mark.integration
def test_summary_reproduces_the_headline_figures(con):
    s = summarise(identify(con, "england-2019-ward"))
    assert set(s) >= {
        "headline",
        "by_region",
        "by_local_authority",
        "by_rural_urban",
        "groups",
    }
    h = s["headline"]
    assert 215 <= h["left_behind"] <= 235
    assert 2_250_000 <= h["left_behind_population"] <= 2_550_000
    assert 3.9 <= h["left_behind_population_share"] <= 4.7
    region = left_behind_by(s, "by_region", "region")
    north = region.get("North West", 0) + region.get("North East", 0)
    assert 100 <= north <= 120
    assert region.get("London", 0) + region.get("South West", 0) <= 8
    assert sum(s["groups"][g]["count"] for g in GROUPS) == 7433 == s["groups"]["nation"]["count"]


@pytest.mark.integration
def test_wider_thresholds_only_add_areas(con):
    base = identify(con, "england-2023-lsoa", 0.1, 0.1).set_index("code")["left_behind"]
    wider = identify(con, "england-2023-lsoa", 0.2, 0.15).set_index("code")["left_behind"]
    assert (wider | ~base).all() and wider.sum() > base.sum()
    everything = identify(con, "northern-ireland-2022-soa", 1.0, 1.0)
    assert everything["left_behind"].all()


@pytest.mark.integration
def test_identification_table_holds_every_edition(con):
    stored = (
        con.execute(
            "SELECT edition, count(*) AS n, sum(left_behind::INT) AS lb FROM identification "
            "GROUP BY edition"
        )
        .df()
        .set_index("edition")
    )
    assert sorted(stored.index) == sorted(EDITION_IDS)
    live = identify(con, "england-2019-ward")
    assert stored.loc["england-2019-ward", "lb"] == live["left_behind"].sum()
    cols = con.execute("SELECT * FROM identification LIMIT 0").df().columns.tolist()
    assert cols == ["edition", *OUTPUT_COLUMNS]


@pytest.fixture()
def runner(store_home):
    from leftbehind.settings import fresh_settings

    fresh_settings()
    return CliRunner()


@pytest.mark.integration
def test_cli_identify_csv_has_header_and_code(runner, tmp_path):
    from leftbehind.cli.main import app

    out = tmp_path / "lb.csv"
    result = runner.invoke(
        app, ["identify", "--edition", "wales-2022-msoa", "--format", "csv", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out)
    assert df.columns[0] == "code" and len(df) == 410
    assert {"name", "left_behind", "group", "imd_rank", "local_authority", "region"} <= set(
        df.columns
    )
    assert df["left_behind"].sum() == 18


@pytest.mark.integration
def test_cli_identify_geojson_draws_the_areas(runner, tmp_path, con):
    import shapely

    from leftbehind.cli.main import app

    out = tmp_path / "lb.geojson"
    result = runner.invoke(
        app, ["identify", "--edition", "wales-2022-msoa", "--format", "geojson", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    collection = json.loads(out.read_text())
    features = collection["features"]
    assert collection["type"] == "FeatureCollection" and len(features) == 410
    assert sum(f["properties"]["left_behind"] for f in features) == 18
    first = features[0]
    stored = con.execute(
        "SELECT geometry FROM boundaries WHERE type = 'msoa11' AND code = ?",
        [first["properties"]["code"]],
    ).fetchone()[0]
    drawn = shapely.geometry.shape(first["geometry"])
    assert drawn.area == pytest.approx(shapely.from_wkb(stored).area, rel=1e-3)


@pytest.mark.integration
def test_cli_summary_json_and_errors(runner):
    from leftbehind.cli.main import app

    result = runner.invoke(app, ["summary", "--edition", "england-2019-ward", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["headline"]["left_behind"] > 200 and "groups" in data
    bad = runner.invoke(app, ["summary", "--edition", "nowhere"])
    assert bad.exit_code == 2 and "england-2019-ward" in bad.stderr
    bad = runner.invoke(app, ["identify", "--imd-threshold", "0"])
    assert bad.exit_code == 2 and "(0, 1]" in bad.stderr


@pytest.mark.integration
def test_cli_imd_and_aggregate(runner, tmp_path):
    from leftbehind.cli.main import app

    out = tmp_path / "imd.csv"
    result = runner.invoke(
        app, ["imd", "--edition", "england-2019", "--format", "csv", "-o", str(out)]
    )
    assert result.exit_code == 0, result.output
    df = pd.read_csv(out)
    assert list(df.columns) == ["code", "score", "rank", "decile"] and len(df) == 32844
    result = runner.invoke(
        app, ["aggregate", "--index", "imd-2025", "--to", "region", "--format", "csv"]
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == (
        "code,name,average_score,average_rank,proportion,extent,local_concentration,population"
    )
    bad = runner.invoke(app, ["aggregate", "--index", "imd-2025", "--to", "ward17"])
    assert bad.exit_code == 2 and "ltla24" in bad.stderr


def test_every_edition_names_a_cni_table_of_its_geography(con):
    for edition in EDITIONS.values():
        columns = {r[0] for r in con.execute(f'DESCRIBE "{edition.cni_table}"').fetchall()}
        assert {f"{edition.geography}_code", "cni_rank", "published_left_behind"} <= columns
