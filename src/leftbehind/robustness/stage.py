"""Build stage: robustness of every edition with a declared ``robustness`` (the English
editions) at the defaults, written to the store.

Registered in ``leftbehind.store.stages.DERIVED_STAGES``; runs inside the build's transaction on
a writable connection. Tables:

* ``robustness_results``: one row per (edition, settings_hash, seed, area) with the columns of
  :data:`leftbehind.robustness.results.AREA_COLUMNS`;
* ``robustness_summary``: one row per (edition, settings_hash, seed, draws) with the summary as
  JSON (expected count and interval, class counts, areas most often added).
"""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from leftbehind.robustness.choices import editions
from leftbehind.robustness.inputs import load_inputs
from leftbehind.robustness.results import (
    AREA_COLUMNS,
    DEFAULT_DRAWS,
    DEFAULT_SEED,
    RESULTS_TABLE,
    SUMMARY_TABLE,
    compute,
)

TABLE_DOCS = {
    RESULTS_TABLE: {
        "edition": f"identification edition ({', '.join(editions())})",
        "settings_hash": "hash of the uncertain choices and number of draws",
        "seed": "random seed of the draws",
        "code": "area code",
        "name": "area name",
        "nominal_left_behind": "left behind with every choice at its nominal value",
        "published_left_behind": "on the list as published by OCSI",
        "p_left_behind": "share of draws (plausible ways of measuring) in which it is left behind",
        "robustness_class": "robust (p >= 0.9), likely (0.5-0.9), borderline (0.1-0.5), "
        "unlikely (< 0.1)",
        "cni_rank_nominal": "CNI rank with nominal (equal) domain weights; 1 = most in need",
        "cni_rank_median": "median CNI rank over the draws",
        "cni_rank_p05": "5th percentile of the CNI rank over the draws",
        "cni_rank_p95": "95th percentile of the CNI rank over the draws",
        "imd_rank_nominal": "IMD rank with nominal weights and aggregation; 1 = most deprived",
        "imd_rank_median": "median IMD rank over the draws",
        "imd_rank_p05": "5th percentile of the IMD rank over the draws",
        "imd_rank_p95": "95th percentile of the IMD rank over the draws",
    },
    SUMMARY_TABLE: {
        "edition": "identification edition",
        "settings_hash": "hash of the uncertain choices and number of draws",
        "seed": "random seed of the draws",
        "draws": "number of draws",
        "summary": "JSON: expected count and 5-95% interval, class counts, areas most often added",
    },
}


def build_robustness(con: duckdb.DuckDBPyConnection) -> None:
    """Compute every edition with a robustness analysis at the defaults (1,000 draws, seed
    2023) and store them."""
    frames, summaries = [], []
    for edition in editions():
        result = compute(load_inputs(con, edition), draws=DEFAULT_DRAWS, seed=DEFAULT_SEED)
        areas = result.areas[AREA_COLUMNS].copy()
        areas.insert(0, "seed", result.seed)
        areas.insert(0, "settings_hash", result.settings_hash)
        areas.insert(0, "edition", edition)
        frames.append(areas)
        summaries.append(
            {
                "edition": edition,
                "settings_hash": result.settings_hash,
                "seed": result.seed,
                "draws": result.draws,
                "summary": json.dumps(result.summary),
            }
        )
    results = pd.concat(frames, ignore_index=True)  # noqa: F841 - read by DuckDB below
    summary = pd.DataFrame(summaries)  # noqa: F841
    con.execute(f"DROP TABLE IF EXISTS {RESULTS_TABLE}")
    con.execute(f"DROP TABLE IF EXISTS {SUMMARY_TABLE}")
    con.execute(
        f"""CREATE TABLE {RESULTS_TABLE} AS SELECT edition, settings_hash,
        CAST(seed AS INTEGER) AS seed, code, name, nominal_left_behind, published_left_behind,
        p_left_behind, robustness_class, CAST(cni_rank_nominal AS INTEGER) AS cni_rank_nominal,
        cni_rank_median, cni_rank_p05, cni_rank_p95, imd_rank_nominal, imd_rank_median,
        imd_rank_p05, imd_rank_p95 FROM results ORDER BY edition, code"""
    )
    con.execute(
        f"""CREATE TABLE {SUMMARY_TABLE} AS SELECT edition, settings_hash,
        CAST(seed AS INTEGER) AS seed, CAST(draws AS INTEGER) AS draws, summary FROM summary"""
    )
