from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from leftbehind.errors import InvalidInput
from leftbehind.funding.allocate import allocate, make_params
from leftbehind.funding.bidding import capacity, compare, make_bidding_params, simulate


def _areas(n=500, seed=3):
    rng = np.random.default_rng(seed)
    cni = rng.permutation(n) + 1
    groups = np.where(cni <= n // 10, "left_behind", "rest")
    return pd.DataFrame(
        {
            "code": [f"E05{i:06d}" for i in range(n)],
            "name": [f"W{i}" for i in range(n)],
            "group": groups,
            "population": rng.integers(2000, 12000, n),
            "cni_rank": cni,
            # left behind areas have little civic capacity (low civic-assets/engagement ranks)
            "civic_assets_rank": cni,
            "engaged_community_rank": cni,
            "imd_rank": rng.permutation(n) + 1,
        }
    )


def test_capacity_falls_with_civic_need():
    areas = _areas()
    cap = capacity(areas)
    assert cap[areas["cni_rank"].to_numpy().argmin()] < cap[areas["cni_rank"].to_numpy().argmax()]


def test_same_seed_same_result_and_seed_matters():
    areas = _areas()
    params = make_bidding_params(budget=50e6, award=1e6, draws=300, seed=7)
    a, b = simulate(areas, params), simulate(areas, params)
    pd.testing.assert_frame_equal(a, b)
    c = simulate(areas, make_bidding_params(budget=50e6, award=1e6, draws=300, seed=8))
    assert not a.equals(c)
    assert (a["funded"] <= 50).all() and (a["left_behind_funded"] <= a["funded"]).all()


def test_bidding_screens_out_left_behind_areas_compared_with_formula():
    areas = _areas()
    alloc = allocate(areas, make_params(budget=50e6, years=10))
    report = compare(areas, alloc.areas, make_bidding_params(budget=50e6, award=1e6, draws=500))
    bid = report["bidding"]["left_behind_share"]
    assert bid["p05"] <= bid["mean"] <= bid["p95"]
    assert report["formula"]["left_behind_share"] == 1.0
    assert report["formula"]["left_behind_funded"] == 50
    # under competition the low-capacity left behind areas get less than their 10% of areas
    assert bid["p95"] < 0.10


def test_bad_parameters():
    with pytest.raises(InvalidInput, match="award"):
        simulate(_areas(), make_bidding_params(budget=10, award=100))
    with pytest.raises(InvalidInput, match="bidding parameter draws"):
        make_bidding_params(budget=10, award=1, draws=0)


def test_a_budget_of_exactly_n_awards_funds_n_areas():
    """Float noise must not lose an award: a budget of n x (budget / n) funds n areas."""
    budget = 260_000_000.0
    n = next(k for k in range(200, 400) if int(budget // (budget / k)) != k)  # a noisy case
    areas = _areas(n=n)
    params = make_bidding_params(
        budget=budget, award=budget / n, draws=5, seed=1, bid_intercept=50.0
    )  # everyone bids
    assert (simulate(areas, params)["funded"] == n).all()
