"""Change over time (issue 14): the harmonised IMD series, the three futures, CLI and API.

Hand-worked answers for the carrying rules and the classification; the published ranks of
every IMD edition reproduced for unchanged LSOAs on the real data; invariants by hypothesis.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from leftbehind.errors import InvalidInput
from leftbehind.trend import futures as fut
from leftbehind.trend.series import RELEASES, carry

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BECONTREE = "E05000028"


def _values(rows: list[tuple]) -> str:
    body = ", ".join(
        "(" + ", ".join("NULL" if x is None else repr(x) for x in r) + ")" for r in rows
    )
    return body


# -- carrying values across boundary changes (hand-worked) -------------------------------------
def _carry(values, lookup, weights=None) -> dict[str, tuple]:
    con = duckdb.connect()
    cols = "code, value, prior" if len(values[0]) == 3 else "code, value"
    vsql = f"SELECT * FROM (VALUES {_values(values)}) t({cols})"
    lsql = f"SELECT * FROM (VALUES {_values(lookup)}) t(parent, child, change)"
    wsql = None
    if weights is not None:
        wsql = f"SELECT * FROM (VALUES {_values(weights)}) t(code, weight)"
    rows = carry(con, vsql, lsql, wsql).fetchall()
    return {r[0]: r[1:] for r in rows}


def test_unchanged_keeps_its_rank_and_split_children_inherit():
    out = _carry(
        [("a", 100.0), ("b", 7.0)],
        [("a", "a", "U"), ("b", "b1", "S"), ("b", "b2", "S")],
        [("a", 1500.0), ("b", 3000.0)],
    )
    assert out["a"][:2] == (100.0, "U")
    assert out["b1"][:2] == (7.0, "S") and out["b2"][:2] == (7.0, "S")
    assert out["b1"][3] == ["b"]


def test_merge_takes_the_population_weighted_mean_rank():
    # ranks 100 (1,000 people) and 400 (3,000 people): (100*1000 + 400*3000) / 4000 = 325
    out = _carry(
        [("p", 100.0), ("q", 400.0)],
        [("p", "m", "M"), ("q", "m", "M")],
        [("p", 1000.0), ("q", 3000.0)],
    )
    assert out["m"][0] == pytest.approx(325.0)
    assert out["m"][1] == "M" and out["m"][3] == ["p", "q"]


def test_merge_without_populations_weights_parents_equally():
    out = _carry([("p", 100.0), ("q", 400.0)], [("p", "m", "M"), ("q", "m", "M")])
    assert out["m"][0] == pytest.approx(250.0)


def test_irregular_change_shares_each_parent_among_its_children():
    # p (2,000 people) is redrawn into x and y; q (1,000 people) into x only.
    # x: weights p 2000/2 = 1000, q 1000/1 = 1000 -> (10*1000 + 40*1000)/2000 = 25; y: 10.
    out = _carry(
        [("p", 10.0), ("q", 40.0)],
        [("p", "x", "X"), ("p", "y", "X"), ("q", "x", "X")],
        [("p", 2000.0), ("q", 1000.0)],
    )
    assert out["x"][0] == pytest.approx(25.0)
    assert out["y"][0] == pytest.approx(10.0)
    assert out["x"][1] == "X"


def test_worst_change_of_earlier_steps_is_carried():
    out = _carry(
        [("p", 10.0, "S"), ("q", 20.0, "U")],
        [("p", "m", "M"), ("q", "m", "M")],
        [("p", 1.0), ("q", 1.0)],
    )
    assert out["m"] == (15.0, "M", "S", ["p", "q"])


# -- the three futures (hand-worked) ------------------------------------------------------------
def test_classify_uses_strictly_more_than_the_threshold():
    got = fut.classify(np.array([-5.01, -5.0, 4.99, 5.0, 5.01]), 5.0).tolist()
    assert got == [
        "further_behind", "keeping_pace", "keeping_pace", "keeping_pace", "closing_the_gap",
    ]  # fmt: skip


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.floats(-60, 60, allow_nan=False), min_size=1, max_size=40),
    st.floats(0, 20),
    st.floats(0, 20),
)
def test_a_wider_threshold_never_moves_an_area_out_of_keeping_pace(changes, a, b):
    low, high = sorted((a, b))
    c = np.array(changes)
    at_low, at_high = fut.classify(c, low), fut.classify(c, high)
    assert set(np.flatnonzero(at_low == "keeping_pace")) <= set(
        np.flatnonzero(at_high == "keeping_pace")
    )
    # and the direction of a change never flips
    assert not np.any((at_low == "further_behind") & (at_high == "closing_the_gap"))


def _frame() -> pd.DataFrame:
    years = {f"p{y}": np.nan for y in (2004, 2007, 2010, 2015, 2019, 2025)}
    rows = [
        # group, population, p2015, p2025 -> change
        ("a", "left_behind", 1000, 4.0, 1.0),  # -3: keeping pace
        ("b", "left_behind", 3000, 9.0, 2.0),  # -7: further behind
        ("c", "left_behind", 500, 3.0, 12.0),  # +9: closing the gap
        ("d", "other_deprived", 2000, 8.0, 8.0),  # 0: keeping pace
        ("e", "other_deprived", 700, 5.0, None),  # no 2025 value: not classified
        ("f", "rest", 100, 60.0, 40.0),  # -20: further behind
    ]
    out = []
    for code, group, pop, p15, p25 in rows:
        out.append(
            {**years, "code": code, "group": group, "population": pop, "p2015": p15,
             "p2025": np.nan if p25 is None else p25}
        )  # fmt: skip
    return pd.DataFrame(out)


def test_period_summary_counts_areas_and_residents_by_group_and_future():
    s = {g["group"]: g for g in fut.period_summary(_frame(), 2015, 2025, 5.0)["groups"]}
    lb = s["left_behind"]
    assert (lb["areas"], lb["population"], lb["areas_with_data"]) == (3, 4500, 3)
    assert {f: lb["futures"][f]["population"] for f in fut.FUTURES} == {
        "further_behind": 3000, "keeping_pace": 1000, "closing_the_gap": 500,
    }  # fmt: skip
    assert lb["futures"]["further_behind"]["population_share"] == pytest.approx(66.7)
    assert lb["median_change"] == -3.0
    # England medians: 2015 of (4, 9, 3, 8, 5, 60) = 6.5; 2025 of (1, 2, 12, 8, 40) = 8
    assert (lb["median_start"], lb["median_end"]) == (4.0, 2.0)
    assert (lb["gap_start"], lb["gap_end"], lb["gap_change"]) == (-2.5, -6.0, -3.5)
    od = s["other_deprived"]
    assert od["areas_with_data"] == 1 and od["futures"]["keeping_pace"]["population_share"] == 100
    assert s["rest"]["futures"]["further_behind"]["areas"] == 1


def test_settings_are_data_and_bad_ones_are_refused():
    cfg = fut.settings()
    assert cfg.points > 0 and cfg.points in cfg.robustness
    assert cfg.periods[0] == (2015, 2025) and (2004, 2025) in cfg.periods
    assert cfg.memberships["england-2019-ward"] == "ward17"
    with pytest.raises(InvalidInput, match="period 2016-2025"):
        fut.parse_settings("[futures]\nperiods = [[2016, 2025]]")
    with pytest.raises(InvalidInput, match="points"):
        fut.parse_settings("[futures]\npoints = -1")


# -- the real data -------------------------------------------------------------------------------
def test_unchanged_lsoas_reproduce_every_published_rank_exactly(con):
    for release in RELEASES:
        if release.geography == "lsoa21":
            where = "TRUE"
        elif release.geography == "lsoa11":
            where = "s.change_2021 = 'U'"
        else:
            where = "s.change_2021 = 'U' AND s.change_2011 = 'U'"
        n, exact, mismatched = con.execute(
            f"""SELECT count(*), count(*) FILTER (WHERE s.method = 'exact'),
                       count(*) FILTER (WHERE s.rank <> p.imd_rank)
                FROM trend_series s JOIN {release.table} p ON p.{release.code_column} = s.code
                WHERE s.geography = 'lsoa21' AND s.year = ? AND {where}""",
            [release.year],
        ).fetchall()[0]
        assert n > 30_000, release.year
        assert exact == n and mismatched == 0, release.year


def test_every_2021_lsoa_has_2015_to_2025_and_percentiles_are_national(con):
    rows = con.execute(
        """SELECT year, count(*), min(percentile), max(percentile), median(percentile), max(n)
           FROM trend_series WHERE geography = 'lsoa21' GROUP BY year ORDER BY year"""
    ).fetchall()
    by = {r[0]: r for r in rows}
    assert set(by) == {2004, 2007, 2010, 2015, 2019, 2025}
    for year in (2015, 2019, 2025):
        assert by[year][1] == 33_755
    assert by[2004][1] >= 33_700  # a few 2011 LSOAs have no 2001 LSOA in the lookup
    for year, (_, _, lo, hi, med, _n) in by.items():
        assert 0 < lo < 0.01 and 99.99 < hi < 100, year
        assert abs(med - 50) < 0.2, year
    assert by[2004][5] == 32_482 and by[2015][5] == 32_844 and by[2025][5] == 33_755


def test_split_lsoas_inherit_their_parents_rank(con):
    n, wrong = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE s.rank <> p.imd_rank)
           FROM trend_series s
           JOIN lookup_lsoa11_lsoa21_ltla22 l ON l.lsoa21_code = s.code AND l.change_code = 'S'
           JOIN imd2015_england_lsoa11 p ON p.lsoa11_code = l.lsoa11_code
           WHERE s.geography = 'lsoa21' AND s.year = 2015"""
    ).fetchall()[0]
    assert n > 1_000 and wrong == 0


def test_a_merged_lsoa_takes_the_population_weighted_mean_rank(con):
    parents = con.execute(
        """SELECT p.imd_rank, q.total_population FROM lookup_lsoa11_lsoa21_ltla22 l
           JOIN imd2019_england_lsoa11 p USING (lsoa11_code)
           JOIN population19_lsoa11 q USING (lsoa11_code)
           WHERE l.lsoa21_code = 'E01035188'"""
    ).fetchall()
    assert len(parents) == 2
    expected = sum(r * w for r, w in parents) / sum(w for _, w in parents)
    rank, method = con.execute(
        "SELECT rank, method FROM trend_series WHERE geography = 'lsoa21' "
        "AND code = 'E01035188' AND year = 2019"
    ).fetchall()[0]
    assert rank == pytest.approx(expected) and method == "weighted"


def test_ward_series_of_2019_is_the_editions_own_ward_rank(con):
    n, wrong = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE s.rank <> i.imd_rank)
           FROM trend_series s JOIN identification i ON i.code = s.code
           WHERE i.edition = 'england-2019-ward' AND s.geography = 'ward17' AND s.year = 2019"""
    ).fetchall()[0]
    assert n > 7_400 and wrong == 0


def test_boundary_changes_name_the_parents(con):
    rows = con.execute(
        "SELECT step, change, from_codes FROM trend_boundary_changes WHERE lsoa21_code = ?",
        ["E01035188"],
    ).fetchall()
    assert ("2011-2021", "M", "E01011973, E01011976") in rows


# -- observatory, API and CLI --------------------------------------------------------------------
@pytest.fixture(scope="module")
def client(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition="england-2019-ward"))
    with TestClient(app) as c:
        yield c


def test_futures_counts_add_up_to_the_groups(client, con):
    doc = client.get("/api/futures?edition=england-2019-ward").json()
    ident = con.execute(
        'SELECT "group", count(*), sum(population) FROM identification '
        "WHERE edition = 'england-2019-ward' GROUP BY 1"
    ).fetchall()
    sizes = {g: (n, int(p or 0)) for g, n, p in ident}
    assert doc["thresholds"]["points"] == fut.settings().points
    assert doc["method"]["change_codes"]["S"] == "split"
    assert doc["membership"].startswith("Groups fixed as identified in England 2019")
    for period in doc["periods"]:
        for g in period["groups"]:
            assert (g["areas"], g["population"]) == sizes[g["group"]]
            counted = sum(g["futures"][f]["areas"] for f in fut.FUTURES)
            assert counted == g["areas_with_data"] <= g["areas"]
            shares = [g["futures"][f]["population_share"] for f in fut.FUTURES]
            assert sum(shares) == pytest.approx(100, abs=0.2)
        points = [r["points"] for r in period["robustness"]]
        keep = [r["groups"]["left_behind"]["keeping_pace"] for r in period["robustness"]]
        assert points == sorted(points) and keep == sorted(keep)
    assert len(doc["sentences"]) == len(doc["periods"])
    assert "'left behind' wards" in doc["sentences"][0]


def test_becontree_trend_api_and_csv(client):
    r = client.get(f"/api/areas/{BECONTREE}/trend")
    assert r.status_code == 200
    t = r.json()
    assert t["name"] == "Becontree" and t["geography"] == "ward17"
    assert [p["year"] for p in t["series"]] == [2004, 2007, 2010, 2015, 2019, 2025]
    assert all(p["percentile"] is not None for p in t["series"])
    for p in t["series"]:
        assert p["percentile"] == pytest.approx(100 * (p["rank"] - 0.5) / p["n"], abs=0.05)
    first = t["periods"][0]
    assert first["change"] == pytest.approx(
        t["series"][5]["percentile"] - t["series"][3]["percentile"], abs=0.11
    )
    csv_r = client.get(f"/api/areas/{BECONTREE}/trend.csv")
    assert csv_r.status_code == 200 and "attachment" in csv_r.headers["content-disposition"]
    lines = csv_r.text.strip().splitlines()
    assert lines[0].startswith("code,name,edition,year") and len(lines) == 7


def test_trend_of_a_merged_lsoa_says_how_its_boundaries_changed(client):
    t = client.get("/api/areas/E01035188/trend?edition=england-2023-lsoa").json()
    assert t["series"][0]["method"] == "weighted"
    assert any("merging E01011973, E01011976" in s for s in t["boundary_changes"])


def test_trend_and_futures_refuse_editions_without_a_series(client):
    r = client.get("/api/futures?edition=wales-2022-msoa")
    assert r.status_code == 422  # the schema lists England's editions only
    assert "england-2019-ward" in r.json()["error"]["message"]
    welsh = next(iter(client.app.state.observatory.edition("wales-2022-msoa").records))
    r = client.get(f"/api/areas/{welsh}/trend")
    assert r.status_code == 422
    assert "no harmonised IMD series (England only)" in r.json()["error"]["message"]
    assert client.get("/api/areas/E0500002/trend").status_code == 404


def test_futures_downloads(client):
    r = client.get("/api/futures.csv?edition=england-2023-lsoa")
    assert r.status_code == 200
    lines = r.text.splitlines()
    assert lines[0].split(",")[:3] == ["code", "name", "group"]
    assert "future_2015_2025" in lines[0] and len(lines) == 33_756
    la = client.get("/api/futures/local-authorities.csv?edition=england-2019-ward")
    assert la.status_code == 200 and "change_2015_2025" in la.text.splitlines()[0]


def test_area_page_shows_the_trend_chart_and_summary_the_futures(client):
    html = client.get(f"/areas/{BECONTREE}").text
    assert 'id="trend-heading"' in html and 'aria-labelledby="trend-title trend-desc"' in html
    assert "English IMD 2004" in html and "<polyline" in html
    summary = client.get("/summary?edition=england-2019-ward").text
    assert 'id="futures-heading"' in summary and "futures-2015-2025-title" in summary
    assert (
        "Fell further behind" in summary and "Gap to the England median, 2015 and 2025" in summary
    )
    lsoa = client.get("/areas/E01035188?edition=england-2023-lsoa").text
    assert "This LSOA was formed in 2021 by merging" in lsoa
    wales = client.get("/summary?edition=wales-2022-msoa").text
    assert 'id="futures-heading"' not in wales


def test_cli_futures_json_is_the_api_document(store_home, client):
    from leftbehind.cli.main import app

    res = CliRunner().invoke(app, ["futures", "--edition", "england-2019-ward", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout) == client.get("/api/futures?edition=england-2019-ward").json()
    res = CliRunner().invoke(app, ["trend", BECONTREE, "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout) == client.get(f"/api/areas/{BECONTREE}/trend").json()
    res = CliRunner().invoke(app, ["futures", "--edition", "scotland-2022-iz"])
    assert res.exit_code == 2 and "no harmonised IMD series" in res.output


# -- outcomes beside deprivation ----------------------------------------------------------------
def test_loneliness_of_a_ward_is_the_residents_weighted_mean_of_its_lsoas(client, con):
    rows = con.execute(
        """SELECT l.perc, p.residents * x.share FROM place_crosswalk x
           JOIN loneliness_england_lsoa21 l ON l.lsoa21_code = x.from_code
           JOIN population21_lsoa21 p ON p.lsoa21_code = x.from_code
           WHERE x.from_type = 'lsoa21' AND x.edition = 'england-2019-ward'
             AND x.area_code = ?""",
        [BECONTREE],
    ).fetchall()
    assert len(rows) >= 5
    expected = sum(v * w for v, w in rows) / sum(w for _, w in rows)
    got = client.get(f"/api/areas/{BECONTREE}/outcomes").json()
    lo = got["loneliness"]
    assert lo["nation"] == "England" and lo["unit"] == "%"
    assert lo["value"] == pytest.approx(expected, abs=0.001)
    assert 1 <= lo["rank"] <= lo["n"] == 7_421
    assert set(lo["comparators"]) == {"left_behind", "other_deprived", "nation"}


def test_lsoa_loneliness_and_district_health_index_are_the_sources_values(client, con):
    got = client.get("/api/areas/E01035188/outcomes?edition=england-2023-lsoa").json()
    perc = con.execute(
        "SELECT perc FROM loneliness_england_lsoa21 WHERE lsoa21_code = 'E01035188'"
    ).fetchall()[0][0]
    assert got["loneliness"]["value"] == pytest.approx(perc, abs=0.001)
    h = got["health"]
    assert h["local_authority_code"] == "E06000001" and h["local_authority"] == "Hartlepool"
    wellbeing = next(m for m in h["measures"] if m["measure"] == "personal_well_being")
    source = dict(
        con.execute(
            "SELECT year::INTEGER, personal_well_being FROM "
            "health_index_england_ltla21_subdomains WHERE ltla21_code = 'E06000001'"
        ).fetchall()
    )
    assert [y["year"] for y in wellbeing["years"]] == list(range(2015, 2022))
    assert {y["year"]: y["value"] for y in wellbeing["years"]} == pytest.approx(source)
    england_2015 = next(m for m in h["measures"] if m["measure"] == "overall_score")
    assert england_2015["years"][0]["nation"] == pytest.approx(100, abs=1.5)


def test_each_nation_keeps_its_own_loneliness_measure(client):
    obs = client.app.state.observatory
    for edition, nation, unit in (
        ("wales-2022-msoa", "Wales", "z-score"),
        ("scotland-2022-iz", "Scotland", "z-score"),
    ):
        code = next(iter(obs.edition(edition).records))
        got = client.get(f"/api/areas/{code}/outcomes?edition={edition}").json()
        assert got["loneliness"]["nation"] == nation and got["loneliness"]["unit"] == unit
        assert "same nation" in got["loneliness"]["note"]
        assert got["health"] is None  # the Health Index is England's
    code = next(iter(obs.edition("northern-ireland-2022-soa").records))
    got = client.get(f"/api/areas/{code}/outcomes?edition=northern-ireland-2022-soa").json()
    assert got["loneliness"] is None and "super data zones" in got["loneliness_note"]


def test_area_page_shows_loneliness_and_health(client):
    html = client.get(f"/areas/{BECONTREE}").text
    assert 'id="outcomes-heading"' in html and "Personal well-being" in html
    assert "Access to green space" in html and "Barking and Dagenham" in html
