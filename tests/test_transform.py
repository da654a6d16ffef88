"""The rank transformations of the English Indices of Deprivation (known answers, invariants)."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from leftbehind.indices.transform import (
    decile_of_rank,
    exponential_transform,
    rank_descending,
    scaled_rank,
)


def test_scaled_rank_runs_from_one_over_n_to_one():
    assert scaled_rank([1, 2, 3, 4], 4).tolist() == [1.0, 0.75, 0.5, 0.25]


def test_exponential_transform_endpoints_match_the_technical_report():
    # Most deprived (R = 1): X = -23 ln(exp(-100/23)) = 100 exactly.
    assert math.isclose(exponential_transform([1], 32844)[0], 100.0, rel_tol=1e-12)
    # Least deprived (R = 1/N): X = -23 ln(1 - (1 - exp(-100/23)) / N). By hand for N = 4:
    # exp(-100/23) = 0.012925, 1 - 0.25 * 0.987075 = 0.753231, -23 ln(0.753231) = 6.5177.
    expected = -23 * math.log(1 - 0.25 * (1 - math.exp(-100 / 23)))
    assert math.isclose(exponential_transform([4], 4)[0], expected, rel_tol=1e-12)
    assert math.isclose(expected, 6.5177, abs_tol=1e-4)


def test_median_area_scores_about_15():
    # R = 1/2 gives X = -23 ln((1 + exp(-100/23)) / 2) ~ 15.7: the transform stretches the
    # deprived tail, which is why it is used.
    x = exponential_transform([50], 99)[0]
    assert 15.0 < x < 16.5


@given(st.integers(min_value=2, max_value=5000))
def test_transform_is_strictly_decreasing_in_rank(n):
    x = exponential_transform(np.arange(1, n + 1), n)
    assert np.all(np.diff(x) < 0)
    assert x[0] <= 100.0 + 1e-9 and x[-1] > 0


@given(st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=1, max_size=200))
def test_rank_descending_is_a_permutation_with_highest_first(scores):
    ranks = rank_descending(scores)
    assert sorted(ranks.tolist()) == list(range(1, len(scores) + 1))
    assert scores[int(np.argmin(ranks))] == max(scores)


def test_rank_descending_breaks_ties_by_order():
    assert rank_descending([1.0, 1.0, 2.0]).tolist() == [2, 3, 1]


def test_deciles_have_exact_boundaries():
    assert decile_of_rank([1, 3284, 3285, 32844], 32844).tolist() == [1, 1, 2, 10]


@given(st.integers(min_value=10, max_value=50000))
def test_every_decile_holds_a_tenth(n):
    deciles = decile_of_rank(np.arange(1, n + 1), n)
    counts = np.bincount(deciles, minlength=11)[1:]
    assert counts.sum() == n
    assert counts.max() - counts.min() <= 1
