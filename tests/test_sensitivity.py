"""Sobol indices: analytic known answers, zero-effect factors, and the real model."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leftbehind.errors import InvalidInput
from leftbehind.robustness.choices import ChoiceSet, UniformChoice, WeightsChoice, dummy_choice
from leftbehind.robustness.sampling import check_boot, saltelli
from leftbehind.robustness.sensitivity import (
    OUTPUTS,
    sensitivity,
    sobol_from_outputs,
    sobol_indices,
)


def unit_factors(*names: str) -> ChoiceSet:
    return ChoiceSet(
        "test", tuple(UniformChoice(n, 0.5, 0.0, 1.0, lower_bound=-1.0) for n in names)
    )


def lookup(table, output, factor, column):
    row = table[(table["output"] == output) & (table["factor"] == factor)]
    return float(row[column].iloc[0])


def test_linear_model_known_indices():
    # Y = sum a_i X_i, X_i ~ U(0, 1): S_i = ST_i = a_i^2 / sum a_j^2.
    a = np.array([1.0, 2.0, 3.0])
    choices = unit_factors("x1", "x2", "x3")

    def model(values):
        return sum(a[i] * values[f"x{i + 1}"] for i in range(3))

    table = sobol_indices(model, choices, 8192, seed=1, outputs=["y"], n_boot=200)
    expected = a**2 / (a**2).sum()
    for i, exp in enumerate(expected):
        assert lookup(table, "y", f"x{i + 1}", "first") == pytest.approx(exp, abs=0.03)
        assert lookup(table, "y", f"x{i + 1}", "total") == pytest.approx(exp, abs=0.03)
        assert lookup(table, "y", f"x{i + 1}", "total_low") <= exp + 0.03
        assert lookup(table, "y", f"x{i + 1}", "total_high") >= exp - 0.03


def test_ishigami_known_indices():
    # Ishigami & Homma (1990), a = 7, b = 0.1, X_i ~ U(-pi, pi).
    choices = unit_factors("x1", "x2", "x3")

    def model(values):
        x = [np.pi * (2 * values[f"x{i}"] - 1) for i in (1, 2, 3)]
        return np.sin(x[0]) + 7 * np.sin(x[1]) ** 2 + 0.1 * x[2] ** 4 * np.sin(x[0])

    table = sobol_indices(model, choices, 16384, seed=7, outputs=["y"], n_boot=0)
    first = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
    total = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
    for f in first:
        assert lookup(table, "y", f, "first") == pytest.approx(first[f], abs=0.04)
        assert lookup(table, "y", f, "total") == pytest.approx(total[f], abs=0.04)


def test_grouped_factor_is_one_factor():
    # A 3-component weights vector is one factor: Y = w1 + X (both spans one column each);
    # a group's AB_i replaces all its columns at once.
    weights = WeightsChoice("w", ("a", "b", "c"), (1.0, 1.0, 1.0), spread=0.5)
    choices = ChoiceSet("test", (weights, UniformChoice("x", 0.5, 0.0, 1.0, lower_bound=-1)))
    design = saltelli(choices, 16, seed=0)
    assert design.factors == ("w", "x")
    a, _b = design.matrix[:16], design.matrix[16:32]
    ab_w = design.matrix[32:48]
    assert np.array_equal(ab_w[:, 3], a[:, 3])  # x from A
    assert not np.array_equal(ab_w[:, :3], a[:, :3])  # whole w block from B

    def model(values):
        return values["w"][:, 0] * 10 + values["x"]

    table = sobol_indices(model, choices, 4096, seed=3, outputs=["y"], n_boot=0)
    assert lookup(table, "y", "w", "total") > 0.5
    assert lookup(table, "y", "x", "total") > 0


def test_dummy_factor_exactly_zero():
    choices = ChoiceSet("test", (*unit_factors("x1", "x2").choices, dummy_choice()))

    def model(values):
        return np.column_stack([values["x1"] + values["x2"] ** 2, values["x1"] * 3])

    table = sobol_indices(model, choices, 512, seed=5, outputs=["y", "z"], n_boot=100)
    dummy = table[table["factor"] == "dummy"]
    cols = ["first", "first_low", "first_high", "total", "total_low", "total_high"]
    assert (dummy[cols].to_numpy() == 0).all()
    # z ignores x2 too
    assert lookup(table, "z", "x2", "total") == 0
    assert lookup(table, "z", "x1", "total") == pytest.approx(1.0, abs=0.1)


def test_constant_output_gives_nan_without_warnings():
    choices = unit_factors("x1")
    table = sobol_indices(lambda v: np.ones(len(v["x1"])), choices, 64, seed=0, n_boot=10)
    assert np.isnan(table["first"]).all() and np.isnan(table["total_high"]).all()


@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(8, 64),
    scale=st.floats(0.1, 100),
    shift=st.floats(-1000, 1000),
    seed=st.integers(0, 2**16),
)
def test_indices_invariant_to_affine_rescaling(n, scale, shift, seed):
    rng = np.random.default_rng(seed)
    ya, yb, yab = rng.random(n), rng.random(n), rng.random((2, n))
    t1 = sobol_from_outputs(ya, yb, yab, ["p", "q"], ["y"], n_boot=0)
    t2 = sobol_from_outputs(
        ya * scale + shift, yb * scale + shift, yab * scale + shift, ["p", "q"], ["y"], n_boot=0
    )
    np.testing.assert_allclose(t1["total"], t2["total"], rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(t1["first"], t2["first"], rtol=1e-6, atol=1e-9)


def test_bootstrap_count_is_checked():
    assert check_boot(0) == 0 and check_boot(500) == 500
    for bad in (-1, 2.5, True):
        with pytest.raises(InvalidInput, match="must be 0 or more"):
            check_boot(bad)


def test_bad_shapes_and_sizes():
    with pytest.raises(InvalidInput, match="inconsistent"):
        sobol_from_outputs(np.ones(4), np.ones(4), np.ones((3, 4)), ["a", "b"], ["y"])
    with pytest.raises(InvalidInput, match="at least 1"):
        saltelli(unit_factors("x"), 0, seed=1)
    with pytest.raises(InvalidInput, match="confidence"):
        sobol_from_outputs(np.ones(4), np.ones(4), np.ones((1, 4)), ["a"], ["y"], ci=1.5)


@pytest.mark.integration
def test_real_model_zero_effects_and_thresholds(con):
    from leftbehind.robustness.inputs import load_inputs

    inputs = load_inputs(con, "england-2019-ward")
    result = sensitivity(inputs, n=64, seed=11, dummy=True, n_boot=50)
    t = result.indices
    assert set(t["output"]) == set(OUTPUTS)
    assert result.runs == 64 * (7 + 2)
    # The dummy cannot change anything; thresholds cannot move ranks; CNI weights cannot move
    # IMD ranks; IMD choices cannot move CNI ranks.
    zero = [
        ("count", "dummy"),
        ("rank_shift", "dummy"),
        ("rank_shift", "threshold_cni"),
        ("rank_shift", "threshold_imd"),
        ("imd_rank_shift", "cni_weights"),
        ("cni_rank_shift", "imd_weights"),
        ("cni_rank_shift", "aggregation"),
    ]
    for output, factor in zero:
        assert lookup(t, output, factor, "first") == 0, (output, factor)
        assert lookup(t, output, factor, "total") == 0, (output, factor)
    # ... while CNI weights and thresholds do move the count.
    assert lookup(t, "count", "cni_weights", "total") > 0.05
    assert lookup(t, "count", "threshold_cni", "total") > 0.05
    assert lookup(t, "cni_rank_shift", "cni_weights", "total") > 0.8
    payload = result.to_dict()
    assert payload["model_runs"] == result.runs and len(payload["indices"]) == len(t)
