"""Uncertainty analysis of the left-behind classification."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leftbehind.errors import InvalidInput, UnknownName
from leftbehind.indices.transform import rank_descending
from leftbehind.robustness import engine
from leftbehind.robustness.choices import (
    WeightsChoice,
    default_choices,
    parse_range,
)
from leftbehind.robustness.engine import (
    RankHistogram,
    descending_order,
    nominal,
    rank_lexicographic,
    rank_rows,
    row_quantiles,
    simulate,
    top_order,
)
from leftbehind.robustness.results import (
    CLASSES,
    classify,
    compute,
    robustness_for_area,
    run_robustness,
    sentence,
    settings_hash,
)
from leftbehind.robustness.sampling import monte_carlo

WARD = "england-2019-ward"
LSOA = "england-2023-lsoa"

# --- choices as data --------------------------------------------------------------------------


def test_default_choices_per_edition():
    assert default_choices(WARD).names == [
        "imd_weights",
        "cni_weights",
        "aggregation",
        "population_year",
        "threshold_cni",
        "threshold_imd",
    ]
    assert default_choices(LSOA).names == [
        "imd_weights",
        "cni_weights",
        "threshold_cni",
        "threshold_imd",
    ]
    imd = default_choices(WARD).get("imd_weights")
    assert imd.nominal == pytest.approx((0.225, 0.225, 0.135, 0.135, 0.093, 0.093, 0.093))


def test_bad_choices_list_valid_options():
    with pytest.raises(UnknownName, match="england-2019-ward, england-2023-lsoa"):
        default_choices("wales-2022-msoa")
    with pytest.raises(UnknownName, match="valid choices: imd_weights, cni_weights"):
        default_choices(LSOA, fixed=["aggregation"])
    with pytest.raises(UnknownName, match="average_score, average_rank, extent, proportion"):
        default_choices(WARD, aggregations=["median"])
    with pytest.raises(InvalidInput, match="invalid range"):
        default_choices(WARD, threshold_range=(0.12, 0.08))
    with pytest.raises(InvalidInput, match="invalid range"):
        default_choices(WARD, threshold_range=(0.0, 0.1))
    with pytest.raises(InvalidInput, match="must contain the nominal"):
        default_choices(WARD, threshold_range=(0.11, 0.2))
    with pytest.raises(UnknownName, match="choose one of: perturb, dirichlet"):
        default_choices(WARD, weight_distribution="normal")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match=r"\[0, 1\)"):
        default_choices(WARD, weight_spread=1.5)
    with pytest.raises(InvalidInput, match="low:high"):
        parse_range("0.1")
    assert parse_range("8%:12%") == pytest.approx((0.08, 0.12))


@settings(max_examples=50, deadline=None)
@given(
    spread=st.floats(0.0, 0.9),
    seed=st.integers(0, 2**32 - 1),
    distribution=st.sampled_from(["perturb", "dirichlet"]),
)
def test_weights_are_positive_and_sum_to_one(spread, seed, distribution):
    nominal_w = (0.225, 0.225, 0.135, 0.135, 0.093, 0.093, 0.093)
    choice = WeightsChoice("w", tuple("abcdefg"), nominal_w, distribution, spread, 50.0)
    u = np.random.default_rng(seed).random((20, 7))
    w = choice.from_unit(u)
    assert np.all(w > 0)
    np.testing.assert_allclose(w.sum(axis=1), 1.0)
    if distribution == "perturb":
        # before renormalising each weight is within +/-spread of nominal, so the ratio of any
        # two weights to their nominal ratio is within [(1-s)/(1+s), (1+s)/(1-s)]
        rel = w / np.asarray(nominal_w)
        ratio = rel.max(axis=1) / rel.min(axis=1)
        assert np.all(ratio <= (1 + spread) / (1 - spread) + 1e-9)


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(-1e6, 1e6), min_size=1, max_size=60, unique=True))
def test_rank_rows_matches_rank_descending(values):
    x = np.asarray(values)
    np.testing.assert_array_equal(rank_rows(x[None, :])[0], rank_descending(x))


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 40), st.integers(0, 2**16))
def test_row_quantiles_are_actual_order_statistics(m, seed):
    values = np.random.default_rng(seed).integers(1, 500, size=(5, m)).astype(np.uint16)
    q = row_quantiles(values, (0.5, 0.05, 0.95), chunk=2)
    for i in range(5):
        for j, level in enumerate((0.5, 0.05, 0.95)):
            assert q[i, j] == np.quantile(values[i], level, method="inverted_cdf")


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 6),
    st.integers(1, 70),
    st.integers(0, 2**32 - 1),
    st.sampled_from([1.0, 0.5, 1e-300, 1e300]),
)
def test_rank_rows_equals_stable_ranking_with_ties(b, n, seed, scale):
    """The vectorised ranking (64-bit keys, one sort, one scatter) is the old definition:
    highest score first, ties by position, as rank_descending (a stable argsort) ranks."""
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(b, n)).astype(np.float64) * scale  # many ties
    x[rng.random((b, n)) < 0.1] = -np.inf
    x[rng.random((b, n)) < 0.1] = -0.0
    ranks = rank_rows(x)
    assert ranks.dtype == np.int32
    for i in range(b):
        np.testing.assert_array_equal(ranks[i], rank_descending(x[i]))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 5), st.integers(1, 80), st.data())
def test_top_order_is_the_head_of_the_full_order(b, n, data):
    """One partition and a sort of ``top`` keys give the same first ``top`` areas, in the same
    order (ties by position), as sorting the whole row."""
    seed = data.draw(st.integers(0, 2**32 - 1))
    top = data.draw(st.integers(1, n))
    rng = np.random.default_rng(seed)
    x = rng.integers(-3, 4, size=(b, n)).astype(np.float64)  # many ties
    x[rng.random((b, n)) < 0.1] = -np.inf
    np.testing.assert_array_equal(top_order(x, top), descending_order(x)[:, :top])


def test_sum_by_ward_worked_by_hand():
    # 4 LSOAs: 0 and 2 in ward 1 (weights 0.25, 0.75), 1 in ward 0, 3 in no ward (index 2)
    ward_of = np.array([1, 0, 1, 2])
    weight_of = np.array([0.25, 1.0, 0.75, 0.0])
    order = np.array([[2, 0, 1, 3], [3, 1, 0, 2]])  # draw 0: LSOA 2 ranked 1st, ...
    ranks = np.arange(1.0, 5.0)
    draws = np.arange(2)[:, None]
    sums = engine._sum_by_ward(draws, order, weight_of[order] * ranks, ward_of, 2, 2)
    # draw 0: ward 0 = 1.0 * 3; ward 1 = 0.75 * 1 + 0.25 * 2 = 1.25
    # draw 1: ward 0 = 1.0 * 2; ward 1 = 0.25 * 3 + 0.75 * 4 = 3.75
    np.testing.assert_allclose(sums, [[3.0, 1.25], [2.0, 3.75]])
    # flat form: (draw, LSOA) pairs with their weights
    flat = engine._sum_by_ward(
        np.array([0, 0, 1]), np.array([0, 2, 1]), np.array([0.25, 0.75, 1.0]), ward_of, 2, 2
    )
    np.testing.assert_allclose(flat, [[0.0, 1.0], [1.0, 0.0]])


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 60), st.integers(0, 2**32 - 1))
def test_rank_lexicographic_is_share_then_tie_then_position(b, n, seed):
    rng = np.random.default_rng(seed)
    share = rng.integers(0, 4, size=(b, n)) / 3
    share[rng.random((b, n)) < 0.1] = -np.inf  # no value: last
    share[rng.random((b, n)) < 0.2] = 1.0 - 1e-16  # equal to 1 up to rounding
    tie = rng.integers(0, 5, size=(b, n)).astype(np.float64)
    ranks = rank_lexicographic(share, tie)
    for i in range(b):
        rounded = np.round(share[i], 9)
        order = np.lexsort((np.arange(n), -tie[i], -rounded))
        expected = np.empty(n, dtype=np.int64)
        expected[order] = np.arange(1, n + 1)
        np.testing.assert_array_equal(ranks[i], expected)


@settings(max_examples=80, deadline=None)
@given(
    st.integers(1, 5),
    st.integers(1, 200),
    st.integers(0, 2**32 - 1),
    st.sampled_from(["few", "continuous", "near", "missing"]),
)
def test_rank_lexicographic_one_sort_equals_two_sorts(b, n, seed, kind):
    """The one-sort ranking (share, quantised tie, position; runs fixed exactly) equals the
    two-sort definition, ties of every kind included: few distinct values, continuous ones,
    values equal in all but their last bits (a tie, by position) and no value (-inf)."""
    rng = np.random.default_rng(seed)
    share = rng.integers(0, 4, size=(b, n)) / 3
    share[rng.random((b, n)) < 0.5] = 0.0
    share[rng.random((b, n)) < 0.1] = -np.inf
    tie = {
        "few": rng.integers(0, 4, size=(b, n)).astype(np.float64),
        "continuous": rng.normal(size=(b, n)) * 1e3,
        "near": 5.0 + rng.integers(0, 3, size=(b, n)) * 1e-15,
        "missing": np.where(rng.random((b, n)) < 0.3, -np.inf, rng.random((b, n))),
    }[kind]
    np.testing.assert_array_equal(
        rank_lexicographic(share, tie), engine._rank_lexicographic_two_sorts(share, tie)
    )


@settings(max_examples=30, deadline=None)
@given(st.integers(2, 300), st.integers(1, 80), st.integers(1, 400), st.integers(0, 2**16))
def test_streamed_quantiles_within_stated_error(n, m, max_bins, seed):
    """Histogram quantiles are within ``width - 1`` ranks of the exact (inverted-CDF) ones,
    and exact when every rank has its own bin."""
    rng = np.random.default_rng(seed)
    nominal_order = rng.permutation(n)
    draws = np.stack(
        [np.argsort(np.argsort(nominal_order + rng.normal(0, n / 10, n))) + 1 for _ in range(m)]
    ).astype(np.int32)  # (m, n): each row a permutation of 1..n, as ranks are
    hist = RankHistogram(n, m, max_bins)
    for start in range(0, m, 7):
        hist.add(draws[start : start + 7])
    qs = (0.5, 0.05, 0.95)
    approx = hist.quantiles(qs)
    exact = row_quantiles(np.ascontiguousarray(draws.T), qs)
    assert hist.error_bound == hist.width - 1 and hist.width == -(-n // max_bins)
    assert np.abs(approx - exact).max() <= hist.error_bound
    assert (approx[:, 1] <= approx[:, 0]).all() and (approx[:, 0] <= approx[:, 2]).all()
    if max_bins >= n:
        np.testing.assert_array_equal(approx, exact)


def test_classes_and_sentence():
    assert classify([1.0, 0.9, 0.89, 0.5, 0.49, 0.1, 0.09, 0.0]).tolist() == [
        "robust",
        "robust",
        "likely",
        "likely",
        "borderline",
        "borderline",
        "unlikely",
        "unlikely",
    ]
    text = sentence(0.97, True, 1000)
    assert text.startswith("Left behind in 97 of 100 plausible ways of measuring (robust)")
    assert "fewer than 1 in 100" in sentence(0.001, False, 1000)


def test_draws_and_seed_validated():
    choices = default_choices(WARD)
    for bad in (0, -5):
        with pytest.raises(InvalidInput, match="at least 1"):
            monte_carlo(choices, bad, 1)
    with pytest.raises(InvalidInput, match="whole number"):
        monte_carlo(choices, 1.5, 1)  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="seed"):
        monte_carlo(choices, 10, -1)


def test_settings_hash_depends_on_choices():
    a = settings_hash(WARD, 100, default_choices(WARD))
    assert a == settings_hash(WARD, 100, default_choices(WARD))
    assert a != settings_hash(WARD, 101, default_choices(WARD))
    assert a != settings_hash(WARD, 100, default_choices(WARD, weight_spread=0.1))
    assert a != settings_hash(WARD, 100, default_choices(WARD, fixed=["aggregation"]))


# --- the real data ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def ward_inputs(store_path):
    import duckdb

    from leftbehind.robustness.inputs import load_inputs

    con = duckdb.connect(str(store_path), read_only=True)
    try:
        yield load_inputs(con, WARD)
    finally:
        con.close()


@pytest.fixture(scope="module")
def lsoa_inputs(store_path):
    import duckdb

    from leftbehind.robustness.inputs import load_inputs

    con = duckdb.connect(str(store_path), read_only=True)
    try:
        yield load_inputs(con, LSOA)
    finally:
        con.close()


@pytest.mark.integration
def test_nominal_reproduces_published_lists(ward_inputs, lsoa_inputs, con):
    ward = nominal(ward_inputs, default_choices(WARD))
    assert ward_inputs.n_areas == 7433 and ward_inputs.n_lsoa == 32844
    assert ward_inputs.published.sum() == 225
    both = (ward.left_behind[0] & ward_inputs.published).sum()
    assert both >= 215  # OCSI's ward IMD is not published; our nominal recomputation is close
    # recomputed CNI ranks agree with the published ones (ties aside)
    published = (
        con.execute("SELECT cni_rank FROM cni2019_england_ward17 ORDER BY ward17_code")
        .df()["cni_rank"]
        .to_numpy()
    )
    assert np.abs(ward.cni_rank[0] - published).max() <= 1
    lsoa = nominal(lsoa_inputs, default_choices(LSOA))
    assert lsoa_inputs.n_areas == 33755
    np.testing.assert_array_equal(lsoa.left_behind[0], lsoa_inputs.published)
    # wards without any LSOA have no IMD and are never left behind
    assert ward_inputs.imd_missing.sum() == 12
    assert not ward.left_behind[0][ward_inputs.imd_missing].any()


@pytest.mark.integration
@pytest.mark.parametrize("method", ["average_rank", "extent", "proportion"])
def test_ward_aggregation_by_bincount_equals_sparse_product(ward_inputs, method, monkeypatch):
    """The fast aggregation (each LSOA in one ward: a bincount from the sorted order; the extent
    from the top 30% only) ranks the wards exactly as the general sparse product does."""
    assert engine._lsoa_wards(ward_inputs, "2019") is not None  # a best-fit lookup
    weights = np.random.default_rng(7).dirichlet(np.ones(7), size=24)
    fast = engine._ward_ranks(ward_inputs, weights, method, "2019")
    monkeypatch.setattr(engine, "_lsoa_wards", lambda inputs, key: None)
    general = engine._ward_ranks(ward_inputs, weights, method, "2019")
    np.testing.assert_array_equal(fast, general)


def test_one_blas_thread_nests_and_restores():
    from threadpoolctl import threadpool_info

    def blas_threads():
        return [i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    assert before  # NumPy's BLAS is found
    with engine.one_blas_thread():
        with engine.one_blas_thread():
            assert all(t == 1 for t in blas_threads())
        assert all(t == 1 for t in blas_threads())  # still inside the outer simulation
    assert blas_threads() == before


@pytest.mark.integration
def test_fixed_choices_reproduce_nominal_exactly(ward_inputs):
    choices = default_choices(WARD).with_fixed(default_choices(WARD).names)
    sim = simulate(ward_inputs, choices, monte_carlo(choices, 50, 3), keep_ranks=True)
    nom = sim.nominal.left_behind[0]
    np.testing.assert_array_equal(sim.hits, np.where(nom, 50, 0))
    assert (sim.count == nom.sum()).all() and (sim.rank_shift == 0).all()


@pytest.mark.integration
def test_same_seed_same_result_any_batching(ward_inputs):
    choices = default_choices(WARD)
    unit = monte_carlo(choices, 150, 42)
    a = simulate(ward_inputs, choices, unit, keep_ranks=True, batch_size=64, workers=2)
    b = simulate(ward_inputs, choices, unit, keep_ranks=True, batch_size=37, workers=1)
    np.testing.assert_array_equal(a.hits, b.hits)
    np.testing.assert_array_equal(a.imd_ranks, b.imd_ranks)
    r1 = compute(ward_inputs, choices, 150, 42)
    r2 = compute(ward_inputs, choices, 150, 42)
    pd.testing.assert_frame_equal(r1.areas, r2.areas)
    assert r1.summary == r2.summary
    r3 = compute(ward_inputs, choices, 150, 43)
    assert not r1.areas["p_left_behind"].equals(r3.areas["p_left_behind"])


@pytest.mark.integration
def test_streamed_intervals_match_kept_ranks(ward_inputs):
    """One run keeping every rank and streaming them: the streamed 5/50/95% ranks are within
    the histogram's stated error of the exact ones."""
    choices = default_choices(WARD)
    unit = monte_carlo(choices, 120, 11)
    sim = simulate(ward_inputs, choices, unit, keep_ranks=True, histograms=True, max_bins=64)
    qs = (0.5, 0.05, 0.95)
    for hist, kept in ((sim.cni_hist, sim.cni_ranks), (sim.imd_hist, sim.imd_ranks)):
        assert hist.width == -(-7433 // 64)
        error = np.abs(hist.quantiles(qs) - row_quantiles(kept, qs))
        assert error.max() <= hist.error_bound
    exact = simulate(ward_inputs, choices, unit, histograms=True)  # 512 bins: width 15
    np.testing.assert_array_equal(exact.hits, sim.hits)
    # mean rank shifts as defined: CNI over all wards, IMD over the wards with an IMD
    has_imd = ~ward_inputs.imd_missing
    cni = np.abs(sim.cni_ranks.astype(np.int64).T - sim.nominal.cni_rank[0]).mean(axis=1)
    imd = np.abs(sim.imd_ranks.astype(np.int64).T - sim.nominal.imd_rank[0])[:, has_imd]
    np.testing.assert_allclose(sim.cni_shift, cni)
    np.testing.assert_allclose(sim.imd_shift, imd.mean(axis=1))


@pytest.mark.integration
def test_ward_results_are_consistent(ward_inputs):
    result = compute(ward_inputs, draws=300, seed=2023)
    areas, summary = result.areas, result.summary
    assert len(areas) == 7433
    published = areas[areas["published_left_behind"]]
    assert len(published) == 225 and published["p_left_behind"].notna().all()
    assert set(areas["robustness_class"]) <= set(CLASSES)
    assert sum(summary["classes"].values()) == 7433
    assert sum(summary["classes_of_nominal"].values()) == summary["nominal_count"]
    assert summary["nominal_robust"] == summary["classes_of_nominal"]["robust"]
    assert summary["count_p05"] <= summary["expected_count"] <= summary["count_p95"]
    # expected count = sum of the per-area probabilities
    assert areas["p_left_behind"].sum() == pytest.approx(summary["expected_count"])
    rank_cols = ["cni_rank_p05", "cni_rank_median", "cni_rank_p95"]
    assert (np.diff(areas[rank_cols].to_numpy(), axis=1) >= 0).all()
    imd = areas.dropna(subset=["imd_rank_median"])
    assert (imd["imd_rank_p05"] <= imd["imd_rank_p95"]).all()
    added = summary["most_often_added"]
    assert added and all(
        not areas.set_index("code").loc[a["code"], "nominal_left_behind"] for a in added
    )
    assert [a["p_left_behind"] for a in added] == sorted(
        (a["p_left_behind"] for a in added), reverse=True
    )
    # an area far from the cut-offs is never left behind, one deep inside always is
    deep = areas[(areas["cni_rank_nominal"] <= 100) & (areas["imd_rank_nominal"] <= 100)]
    assert (deep["p_left_behind"] == 1).all() and len(deep) > 0
    far = areas[areas["cni_rank_nominal"] > 3000]
    assert (far["p_left_behind"] == 0).all()


@pytest.mark.integration
def test_lsoa_edition_runs(lsoa_inputs):
    result = compute(lsoa_inputs, draws=100, seed=1)
    assert len(result.areas) == 33755
    assert result.summary["published_count"] == 1262
    assert result.summary["nominal_count"] == 1262
    assert result.areas["imd_rank_median"].notna().all()


@pytest.mark.integration
def test_store_stage_results_and_area_lookup(con, tmp_path):
    rows = con.execute(
        "SELECT edition, count(*), count(DISTINCT settings_hash) FROM robustness_results "
        "GROUP BY edition ORDER BY edition"
    ).fetchall()
    assert rows == [(WARD, 7433, 1), (LSOA, 33755, 1), ("england-2025-lsoa", 33755, 1)]
    # the defaults are read from the store, not recomputed (no cache file written)
    result = run_robustness(con, WARD, cache_dir=tmp_path)
    assert result.draws == 1000 and not list(tmp_path.rglob("*.parquet"))
    published = result.areas[result.areas["published_left_behind"]]
    assert len(published) == 225 and published["p_left_behind"].between(0, 1).all()
    info = robustness_for_area(con, WARD, published["code"].iloc[0], cache_dir=tmp_path)
    assert info["robustness_class"] in CLASSES
    assert info["sentence"].startswith("Left behind in ")
    assert "plausible ways of measuring" in info["sentence"]
    with pytest.raises(UnknownName, match="unknown area code"):
        robustness_for_area(con, WARD, "E99999999", cache_dir=tmp_path)
    with pytest.raises(UnknownName, match="choose one of"):
        robustness_for_area(con, "scotland-2022-iz", "S02000001", cache_dir=tmp_path)


@pytest.mark.integration
def test_on_demand_results_are_cached(con, tmp_path):
    first = run_robustness(con, WARD, draws=60, seed=9, cache_dir=tmp_path)
    files = sorted(p.suffix for p in tmp_path.rglob("*") if p.is_file())
    assert files == [".json", ".parquet"]
    second = run_robustness(con, WARD, draws=60, seed=9, cache_dir=tmp_path)
    pd.testing.assert_frame_equal(first.areas, second.areas)
    assert json.loads(json.dumps(first.summary)) == second.summary


@pytest.mark.integration
def test_chart_is_valid_svg(ward_inputs):
    from leftbehind.robustness.charts import p_left_behind_svg

    areas = compute(ward_inputs, draws=50, seed=2).areas
    code = areas.loc[areas["published_left_behind"], "code"].iloc[0]
    svg = p_left_behind_svg(areas, highlight=code)
    root = ET.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    circles = root.findall(f"{ns}circle")
    assert len(circles) > 225
    assert root.find(f"{ns}title").text


@pytest.mark.integration
def test_cli(store_home, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from leftbehind.cli.main import app

    monkeypatch.setenv("LEFTBEHIND_HOME", str(store_home))
    runner = CliRunner()
    out = tmp_path / "r.json"
    chart = tmp_path / "r.svg"
    res = runner.invoke(
        app,
        [
            "robustness",
            "--edition",
            WARD,
            "--draws",
            "40",
            "--seed",
            "5",
            "--format",
            "json",
            "-o",
            str(out),
            "--chart",
            str(chart),
            "--no-cache",
        ],
    )
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["summary"]["draws"] == 40 and len(data["areas"]) == 7433
    assert chart.read_text().startswith("<svg")
    res = runner.invoke(app, ["robustness", "--edition", WARD, "--draws", "0"])
    assert res.exit_code == 2 and "at least 1" in res.output
    res = runner.invoke(app, ["robustness", "--edition", WARD, "--fix", "colour"])
    assert res.exit_code == 2 and "valid choices: imd_weights" in res.output
    res = runner.invoke(app, ["robustness", "--edition", WARD, "--threshold-range", "0.3:0.1"])
    assert res.exit_code == 2 and "invalid range" in res.output
    res = runner.invoke(app, ["robustness", "--edition", "nowhere"])
    assert res.exit_code == 2 and "england-2019-ward" in res.output
    res = runner.invoke(app, ["robustness", "--edition", WARD, "--format", "xml"])
    assert res.exit_code == 2 and "csv, json" in res.output
    res = runner.invoke(
        app,
        [
            "robustness",
            "sensitivity",
            "--edition",
            WARD,
            "-n",
            "16",
            "--boot",
            "10",
            "--dummy",
            "--format",
            "csv",
        ],
    )
    assert res.exit_code == 0, res.output
    assert "dummy" in res.output and "threshold_cni" in res.output
    res = runner.invoke(app, ["robustness", "area", "E99999999", "--edition", WARD])
    assert res.exit_code == 2
