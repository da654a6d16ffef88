"""MHCLG summary measures: hand-worked answers, invariants, and the official LTLA figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leftbehind.errors import UnknownName
from leftbehind.indices.aggregate import (
    aggregate,
    extent_weight,
    local_concentration,
    percentile_of_rank,
    summary_measures,
)


def frame(rows):
    return pd.DataFrame(rows, columns=["code", "score", "rank", "population"])


def test_extent_of_half_the_population_in_the_most_deprived_decile_is_half():
    # N = 100: one LSOA at rank 5 (most deprived 10%, weight 1), one at rank 50 (weight 0).
    out = summary_measures(frame([("A", 60.0, 5, 100), ("A", 10.0, 50, 100)]), 100)
    row = out.loc["A"]
    assert row["extent"] == pytest.approx(0.5)
    assert row["proportion"] == pytest.approx(0.5)
    assert row["average_score"] == pytest.approx(35.0)
    assert row["average_rank"] == pytest.approx(27.5)
    # Most deprived 10% of the area's population = 20 people, all in the rank-5 LSOA.
    assert row["local_concentration"] == pytest.approx(5.0)
    assert row["population"] == 200


def test_sliding_extent_weights():
    assert extent_weight([10, 11, 20, 30, 31], 100).round(6).tolist() == [
        1.0,
        0.95,
        round(0.95 - 9 * 0.9 / 19, 6),
        0.05,
        0.0,
    ]
    assert extent_weight([11, 30], 100, scheme="step").round(6).tolist() == [0.95, 0.0]


def test_percentiles_of_32844_lsoas():
    assert percentile_of_rank([1, 328, 329, 3284, 3285, 32844], 32844).tolist() == [
        1, 1, 2, 10, 11, 100
    ]  # fmt: skip


def test_population_weighting_matters():
    # 900 people at score 10, 100 at score 50 -> weighted average 14, not 30.
    out = summary_measures(frame([("B", 10.0, 900, 900), ("B", 50.0, 10, 100)]), 1000)
    assert out.loc["B", "average_score"] == pytest.approx(14.0)
    assert out.loc["B", "extent"] == pytest.approx(0.1)


def test_local_concentration_splits_the_straddling_area():
    # Total 1000 -> 10% = 100 people: 50 at rank 10, 50 of the 50 at rank 20.
    assert local_concentration([30, 10, 20], [900, 50, 50]) == pytest.approx(15.0)
    # Target 100 people: 60 at rank 10 and 40 of the rank-20 LSOA -> (600 + 800) / 100.
    assert local_concentration([10, 20, 30], [60, 140, 800]) == pytest.approx(14.0)


def test_vectorised_local_concentration_equals_the_scalar_one():
    rng = np.random.default_rng(7)
    df = frame(
        [(f"G{g}", 1.0, int(r), int(p)) for g, r, p in
         zip(rng.integers(0, 5, 300), rng.permutation(300) + 1, rng.integers(1, 3000, 300),
             strict=True)]
    )  # fmt: skip
    out = summary_measures(df, 300)
    for g, sub in df.groupby("code"):
        assert out.loc[g, "local_concentration"] == pytest.approx(
            local_concentration(sub["rank"], sub["population"])
        )


area_rows = st.lists(
    st.tuples(
        st.sampled_from(["A", "B", "C"]),
        st.floats(0, 100),
        st.integers(1, 1000),
        st.integers(1, 5000),
    ),
    min_size=1,
    max_size=60,
)


@settings(max_examples=75, deadline=None)
@given(area_rows, st.integers(1, 20))
def test_measures_stay_in_range_and_ignore_population_scale(rows, k):
    df = frame(rows)
    out = summary_measures(df, 1000)
    assert out["extent"].between(0, 1).all()
    assert out["proportion"].between(0, 1).all()
    for g, sub in df.groupby("code"):
        assert sub["rank"].min() - 1e-9 <= out.loc[g, "average_rank"] <= sub["rank"].max() + 1e-9
        # The most deprived tenth of the people cannot have a worse average rank than everyone.
        assert out.loc[g, "local_concentration"] <= out.loc[g, "average_rank"] + 1e-6
    scaled = summary_measures(df.assign(population=df["population"] * k), 1000)
    cols = ["average_score", "average_rank", "extent", "local_concentration", "proportion"]
    pd.testing.assert_frame_equal(scaled[cols], out[cols], rtol=1e-9)


@pytest.mark.integration
def test_ltla19_summaries_match_the_official_ones(con):
    ours = aggregate(con, "imd-2019", "ltla19").set_index("code")
    off = con.execute(
        "SELECT ltla19_code AS code, score, proportion, extent FROM imd2019_england_ltla19"
    ).df()
    j = ours.join(off.set_index("code").add_suffix("_official"), how="inner")
    assert len(j) == 317
    assert ((j["proportion"] - j["proportion_official"]).abs() <= 0.5e-4 + 1e-9).mean() >= 0.99
    rel = ((j["average_score"] - j["score_official"]) / j["score_official"]).abs()
    assert rel.median() <= 0.01
    assert (j["extent"] - j["extent_official"]).abs().median() <= 0.002


@pytest.mark.integration
def test_aggregate_columns_and_geographies(con):
    region = aggregate(con, "imd-2019", "region")
    assert list(region.columns) == [
        "code", "name", "average_score", "average_rank", "proportion", "extent",
        "local_concentration", "population",
    ]  # fmt: skip
    assert len(region) == 9
    # Nationally exactly 10% of LSOAs are in the most deprived decile.
    england = aggregate(con, "imd-2025", "country")
    assert england.loc[0, "proportion"] == pytest.approx(3375 / 33755)
    assert len(aggregate(con, "imd-2025", "ltla24")) == 296
    with pytest.raises(UnknownName, match="ward24"):
        aggregate(con, "imd-2025", "ward17")
