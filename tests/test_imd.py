"""IMD from domain ranks: hand-worked answers, invariants, and reproduction of the official
ranks (integration)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leftbehind.errors import InvalidInput, UnknownName
from leftbehind.indices.imd import combine_domain_ranks, compute_imd, imd_from_store
from leftbehind.indices.weights import get_index, index_names, load_indices

WEIGHTS_2019 = {
    "income": 0.225,
    "employment": 0.225,
    "education": 0.135,
    "health": 0.135,
    "crime": 0.093,
    "housing_and_access": 0.093,
    "environment": 0.093,
}


def test_weights_are_the_published_ones():
    assert get_index("imd-2019").weights == WEIGHTS_2019
    w25 = get_index("imd-2025").weights
    assert w25["income"] == 0.225 and w25["housing_and_services"] == 0.093
    assert set(index_names()) == {"imd-2019", "imd-2025"}
    for spec in load_indices().values():
        assert math.isclose(sum(spec.weights.values()), 0.999, abs_tol=1e-9)


def test_unknown_index_lists_the_valid_ones():
    with pytest.raises(UnknownName, match="imd-2019, imd-2025"):
        get_index("imd-2010")
    with pytest.raises(UnknownName, match="ltla19"):
        get_index("imd-2019").geography_sql("atlantis")


def test_hand_worked_two_area_score():
    # N = 2: rank 1 -> X = 100; rank 2 -> R = 1/2 -> X = -23 ln((1 + exp(-100/23)) / 2).
    df = pd.DataFrame({"a": [1, 2], "b": [2, 1]})
    scores = combine_domain_ranks(df, {"a": 0.75, "b": 0.25})
    low = -23 * math.log((1 + math.exp(-100 / 23)) / 2)
    assert scores[0] == pytest.approx(0.75 * 100 + 0.25 * low)
    assert scores[1] == pytest.approx(0.75 * low + 0.25 * 100)


def test_missing_domain_is_invalid_input():
    with pytest.raises(InvalidInput, match="b"):
        combine_domain_ranks(pd.DataFrame({"a": [1]}), {"a": 0.5, "b": 0.5})


@settings(max_examples=50, deadline=None)
@given(st.permutations(list(range(1, 41))))
def test_identical_domain_rankings_give_that_ranking(perm):
    """If every domain ranks the areas the same way, the IMD must too (deciles follow)."""
    spec = get_index("imd-2019")
    df = pd.DataFrame({"code": [f"A{i:03d}" for i in range(40)]})
    for col in spec.rank_columns.values():
        df[col] = perm
    out = compute_imd(df, spec).set_index("code")
    assert out.loc[df["code"], "rank"].tolist() == list(perm)
    assert out["decile"].value_counts().to_dict() == dict.fromkeys(range(1, 11), 4)


@pytest.mark.integration
def test_reconstructs_official_imd2019_ranks(con):
    df = imd_from_store(con, "imd-2019")
    assert len(df) == 32844
    diff = (df["rank"] - df["published_rank"]).abs()
    assert (diff == 0).mean() >= 0.995
    assert diff.max() <= 2
    assert (df["decile"] == np.ceil(df["published_rank"] * 10 / 32844)).mean() > 0.999


@pytest.mark.integration
def test_reconstructs_official_imd2025_scores(con):
    df = imd_from_store(con, "imd-2025")
    assert len(df) == 33755
    assert np.corrcoef(df["score"], df["published_score"])[0, 1] >= 0.9999
    assert (df["score"] - df["published_score"]).abs().max() < 0.01
