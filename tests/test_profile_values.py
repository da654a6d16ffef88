"""Indicator values from numerators and denominators, checked on hand-worked examples."""

from __future__ import annotations

import duckdb
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from leftbehind.profiles import framework, values

BASE = pd.Index(["E01000001", "E01000002", "E01000003"])


def _ages(total: int, children: int, working: int, older: int) -> dict:
    """Single-year ages: children spread over 0-15, working age over 18-64, older over 65-89."""
    row = {f"age_{a}": 0.0 for a in range(90)}
    row["age_90_plus"] = 0.0
    for a in range(16):
        row[f"age_{a}"] = children / 16
    for a in range(18, 65):
        row[f"age_{a}"] = working / 47
    for a in range(65, 90):
        row[f"age_{a}"] = older / 25
    row["total_population"] = float(total)
    return row


@pytest.fixture()
def tiny():
    con = duckdb.connect()
    pops = pd.DataFrame(
        [
            {"lsoa11_code": "E01000001", **_ages(100, 16, 47, 25)},
            {"lsoa11_code": "E01000002", **_ages(300, 32, 188, 50)},
            {"lsoa11_code": "E01000003", **_ages(600, 160, 282, 100)},
        ]
    )
    ind = pd.DataFrame(
        {
            "lsoa11_code": list(BASE),
            "income_domain_numerator": [10.0, 90.0, None],  # third is suppressed
            "income_deprivation_affecting_children_index_idaci_numerator": [4.0, 16.0, 40.0],
            "employment_domain_numerator": [5.0, 20.0, 30.0],
            "road_distance_to_a_gp_surgery_indicator_km": [1.0, 2.0, 4.0],
        }
    )
    deciles = pd.DataFrame({"lsoa11_code": list(BASE), "education_decile": [1, 2, 1]})
    cni = pd.DataFrame({"ward17_code": ["W1", "W2"], "civic_assets_score": [10.0, 40.0]})
    link = pd.DataFrame({"lsoa11_code": list(BASE), "ward17_code": ["W1", "W1", "W2"]})
    for name, frame in {
        "population17_lsoa11": pops,
        "imd2019_england_lsoa11_indicators": ind,
        "imd2019_england_lsoa11": deciles,
        "cni2019_england_ward17": cni,
        "lookup_lsoa11_ward17": link,
    }.items():
        con.register("frame", frame)
        con.execute(f"create table {name} as select * from frame")
        con.unregister("frame")
    yield con
    con.close()


def _compute(con, ids):
    table = framework.for_edition("england-2019-ward").set_index("id").loc[ids].reset_index()
    num, den, pop = values.numerators_denominators(con, "england-2019-ward", table, BASE)
    return table, num, den, pop


def _value(num, den, rows, j):
    return num[rows, j].sum() / den[rows, j].sum()


def test_rate_is_summed_numerators_over_summed_population(tiny):
    _, num, den, pop = _compute(tiny, ["e19_income"])
    assert list(pop) == [100, 300, 600]
    # (10 + 90) / (100 + 300) = 0.25, not the mean of rates (0.1 + 0.3) / 2 = 0.2;
    # the suppressed third area adds to neither side.
    assert _value(num, den, [0, 1, 2], 0) == pytest.approx(0.25)
    assert den[2, 0] == 0


def test_idaci_uses_children_and_employment_working_age(tiny):
    _, num, den, _ = _compute(tiny, ["e19_idaci", "e19_employment"])
    # children 0-15: 16, 32, 160 -> (4 + 16 + 40) / 208
    assert den[:, 0] == pytest.approx([16, 32, 160])
    assert _value(num, den, [0, 1, 2], 0) == pytest.approx(60 / 208)
    # ages 18-64: 47, 188, 282 -> (5 + 20 + 30) / 517
    assert den[:, 1] == pytest.approx([47, 188, 282])
    assert _value(num, den, [0, 1, 2], 1) == pytest.approx(55 / 517)


def test_distances_are_population_weighted(tiny):
    _, num, den, _ = _compute(tiny, ["e19_gp_distance"])
    # (1*100 + 2*300 + 4*600) / 1000 = 3.1 (the unweighted mean would be 2.33)
    assert _value(num, den, [0, 1, 2], 0) == pytest.approx(3.1)


def test_decile_share_counts_residents_of_most_deprived_decile(tiny):
    _, num, den, _ = _compute(tiny, ["e19_education_domain"])
    assert _value(num, den, [0, 1, 2], 0) == pytest.approx(700 / 1000)
    assert _value(num, den, [1], 0) == 0


def test_ward_scores_spread_to_lsoas_keep_the_ward_value(tiny):
    _, num, den, _ = _compute(tiny, ["e19_civic_assets"])
    assert _value(num, den, [0, 1], 0) == pytest.approx(10.0)  # both LSOAs of ward W1
    assert _value(num, den, [0, 1, 2], 0) == pytest.approx((10 * 400 + 40 * 600) / 1000)


def test_census_share_over_household_totals():
    con = duckdb.connect()
    frame = pd.DataFrame(
        {
            "lsoa21_code": ["A", "A", "B", "B"],
            "deprivation_dimensions": [
                "Household is not deprived in any dimension",
                "Household is deprived in one dimension",
            ]
            * 2,
            "n": [60.0, 40.0, 10.0, 290.0],
            "total_households": [100.0, 100.0, 300.0, 300.0],
        }
    )
    con.register("frame", frame)
    con.execute("create table household_deprivation21_lsoa21 as select * from frame")
    row = framework.for_edition("england-2023-lsoa").set_index("id").loc["e23_households_deprived"]
    num, den = values._census(con, row, pd.Index(["A", "B"]))
    assert list(num) == [40, 290]
    assert list(den) == [100, 300]
    assert num.sum() / den.sum() == pytest.approx(330 / 400)


@pytest.mark.integration
@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.data())
def test_union_is_the_pooled_rate(con, data):
    edition = values.edition_data(con, "england-2019-ward")
    n = len(edition.base)
    a = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=20, unique=True)))
    b = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=20, unique=True)))
    b = np.setdiff1d(b, a)
    if len(b) == 0:
        return
    both = edition.aggregate(np.concatenate([a, b]))
    num = edition.num[a].sum(0) + edition.num[b].sum(0)
    den = edition.den[a].sum(0) + edition.den[b].sum(0)
    expected = np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)
    np.testing.assert_allclose(both, expected, equal_nan=True)
    va, vb = edition.aggregate(a), edition.aggregate(b)
    ok = ~(np.isnan(va) | np.isnan(vb))
    assert np.all(both[ok] >= np.minimum(va, vb)[ok] - 1e-9)
    assert np.all(both[ok] <= np.maximum(va, vb)[ok] + 1e-9)


@pytest.mark.integration
def test_income_rate_matches_published_imd2025_scores(con):
    """Our 2023 denominators reproduce the published IMD 2025 income scores per LSOA."""
    edition = values.edition_data(con, "england-2023-lsoa")
    j = list(edition.indicators["id"]).index("e23_income")
    ours = edition.num[:, j] / np.where(edition.den[:, j] > 0, edition.den[:, j], np.nan)
    published = (
        con.execute("select lsoa21_code, income_score from imd2025_england_lsoa21")
        .df()
        .set_index("lsoa21_code")["income_score"]
        .reindex(edition.base)
        .to_numpy(float)
    )
    ok = ~np.isnan(ours) & (published > 0.02)
    assert np.median(ours[ok] / published[ok]) == pytest.approx(1.0, abs=0.02)
