"""Vectorised evaluation of many plausible left-behind lists at once.

A batch of draws is a matrix: the weights of B draws times the transformed domain ranks gives a
(B, areas) score matrix; ranks come from one ``argsort`` along the rows; LSOA -> ward
aggregation is one sparse product per (measure, population year) group of draws. Batches run on
a small thread pool (NumPy's sorts and SciPy's sparse products release the GIL).

Ward-level IMD measures (MHCLG summary measures; ``leftbehind.indices.aggregate``):
``average_score`` (population-weighted mean LSOA score), ``average_rank`` (population-weighted
mean LSOA rank; lower is more deprived), ``extent`` (population-weighted share in the most
deprived 30%, sliding weights beyond 10%), ``proportion`` (share of the ward's LSOAs in the
national most deprived 10%). Ties of extent and proportion (many wards have 0 or 1) are broken by
the average score. Wards without any LSOA in the lookup have no IMD: ranked last, never left
behind.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from leftbehind.identify import threshold_rank
from leftbehind.indices.aggregate import extent_weight
from leftbehind.robustness.choices import AGGREGATIONS, POPULATION_YEARS, ChoiceSet
from leftbehind.robustness.inputs import EditionInputs

TIE_BREAK = 1e-9
DEFAULT_BATCH = 128


def rank_rows(scores: NDArray[np.float64]) -> NDArray[np.int32]:
    """Rank each row (highest score -> 1). Ties keep a fixed, deterministic order."""
    b, n = scores.shape
    order = np.argsort(-scores, axis=1)
    ranks = np.empty((b, n), dtype=np.int32)
    positions = np.arange(1, n + 1, dtype=np.int32)
    for i in range(b):  # a row-wise scatter is cache-friendlier than one 2-D fancy index
        ranks[i, order[i]] = positions
    return ranks


@dataclass(frozen=True)
class Batch:
    cni_rank: NDArray[np.int32]  # (B, N)
    imd_rank: NDArray[np.int32]  # (B, N)
    left_behind: NDArray[np.bool_]  # (B, N)


def _cni_ranks(inputs: EditionInputs, weights: NDArray[np.float64]) -> NDArray[np.int32]:
    if len(weights) > 1 and np.all(weights == weights[0]):
        one = rank_rows(weights[:1] @ inputs.cni_exp_t)
        return np.broadcast_to(one, (len(weights), inputs.n_areas))
    return rank_rows(weights @ inputs.cni_exp_t)


def _ward_measure(
    inputs: EditionInputs, lsoa_scores: NDArray[np.float64], method: str, year: str
) -> NDArray[np.float64]:
    """(b, L) LSOA scores -> (b, N) ward measure where larger is more deprived."""
    assert inputs.population is not None and inputs.counts is not None
    w = inputs.population[year]
    average = np.asarray(w @ lsoa_scores.T).T
    if method == "average_score":
        return average
    n_lsoa = inputs.n_lsoa
    if method == "proportion":
        k = n_lsoa // 10  # decile 1: rank <= N / 10
        kth = -np.partition(-lsoa_scores, k - 1, axis=1)[:, k - 1 : k]
        share = np.asarray(inputs.counts @ (lsoa_scores >= kth).T.astype(np.float64)).T
        return share + TIE_BREAK * average / 100.0
    ranks = rank_rows(lsoa_scores)
    if method == "average_rank":
        return -np.asarray(w @ ranks.T.astype(np.float64)).T
    if method == "extent":
        share = np.asarray(w @ extent_weight(ranks.T, n_lsoa)).T
        return share + TIE_BREAK * average / 100.0
    raise ValueError(method)  # pragma: no cover - guarded by the choice's options


def _imd_ranks(inputs: EditionInputs, values: dict[str, NDArray[Any]]) -> NDArray[np.int32]:
    lsoa_scores = values["imd_weights"] @ inputs.imd_exp_t
    if not inputs.aggregated:
        return rank_rows(lsoa_scores)
    b = lsoa_scores.shape[0]
    agg = values.get("aggregation", np.zeros(b, dtype=np.int64))
    year = values.get("population_year", np.zeros(b, dtype=np.int64))
    options = _options(values)
    measure = np.empty((b, inputs.n_areas), dtype=np.float64)
    for key in np.unique(np.column_stack([agg, year]), axis=0):
        rows = np.flatnonzero((agg == key[0]) & (year == key[1]))
        measure[rows] = _ward_measure(
            inputs,
            lsoa_scores[rows],
            options["aggregation"][key[0]],
            options["population_year"][key[1]],
        )
    measure[:, inputs.imd_missing] = -np.inf
    return rank_rows(measure)


def _options(values: dict[str, NDArray[Any]]) -> dict[str, tuple[str, ...]]:
    return values.get(
        "_options",
        {  # type: ignore[return-value]
            "aggregation": AGGREGATIONS,
            "population_year": POPULATION_YEARS,
        },
    )


def evaluate(inputs: EditionInputs, values: dict[str, NDArray[Any]]) -> Batch:
    """Ranks and left-behind status of every area for a batch of draws (one per row)."""
    cni = _cni_ranks(inputs, np.asarray(values["cni_weights"], dtype=np.float64))
    imd = _imd_ranks(inputs, values)
    n = inputs.n_areas
    b = imd.shape[0]
    t_cni = np.broadcast_to(np.asarray(values["threshold_cni"], dtype=np.float64), (b,))
    t_imd = np.broadcast_to(np.asarray(values["threshold_imd"], dtype=np.float64), (b,))
    lb = (cni <= threshold_rank(t_cni, n)[:, None]) & (imd <= threshold_rank(t_imd, n)[:, None])
    lb &= ~inputs.imd_missing[None, :]
    return Batch(cni, imd, lb)


def _with_options(choices: ChoiceSet, values: dict[str, NDArray[Any]]) -> dict[str, Any]:
    options = {}
    for name in ("aggregation", "population_year"):
        if name in choices.names:
            options[name] = choices.get(name).options  # type: ignore[union-attr]
    return {**values, "_options": options}


def nominal(inputs: EditionInputs, choices: ChoiceSet) -> Batch:
    """The nominal list: every choice at its nominal value."""
    return evaluate(inputs, _with_options(choices, choices.nominal_values()))


@dataclass
class Simulation:
    """Per-draw outputs and per-area tallies of a set of draws."""

    nominal: Batch
    count: NDArray[np.int64]  # (M,) number of left-behind areas per draw
    cni_shift: NDArray[np.float64]  # (M,) mean absolute CNI rank shift from nominal
    imd_shift: NDArray[np.float64]  # (M,) mean absolute IMD rank shift (areas with an IMD)
    hits: NDArray[np.int64]  # (N,) draws in which each area is left behind
    cni_ranks: NDArray[np.integer] | None = None  # (N, M) if kept
    imd_ranks: NDArray[np.integer] | None = None

    @property
    def draws(self) -> int:
        return len(self.count)

    @property
    def rank_shift(self) -> NDArray[np.float64]:
        return (self.cni_shift + self.imd_shift) / 2.0


def _batches(m: int, size: int) -> Iterator[tuple[int, int]]:
    for start in range(0, m, size):
        yield start, min(start + size, m)


def default_workers() -> int:
    return max(1, min(2, os.cpu_count() or 1))


def simulate(
    inputs: EditionInputs,
    choices: ChoiceSet,
    unit: NDArray[np.float64],
    *,
    keep_ranks: bool = False,
    batch_size: int = DEFAULT_BATCH,
    workers: int | None = None,
) -> Simulation:
    """Evaluate every row of the (M, D) unit sample ``unit``; results do not depend on
    ``batch_size`` or ``workers``."""
    nom = nominal(inputs, choices)
    m, n = unit.shape[0], inputs.n_areas
    has_imd = ~inputs.imd_missing
    nom_cni = nom.cni_rank[0].astype(np.int64)
    nom_imd = nom.imd_rank[0].astype(np.int64)
    rank_dtype = np.uint16 if n <= np.iinfo(np.uint16).max else np.uint32
    cni_store = np.empty((n, m), dtype=rank_dtype) if keep_ranks else None
    imd_store = np.empty((n, m), dtype=rank_dtype) if keep_ranks else None
    count = np.empty(m, dtype=np.int64)
    cni_shift = np.empty(m, dtype=np.float64)
    imd_shift = np.empty(m, dtype=np.float64)

    def run(bounds: tuple[int, int]) -> NDArray[np.int64]:
        start, stop = bounds
        values = _with_options(choices, choices.values(unit[start:stop]))
        batch = evaluate(inputs, values)
        count[start:stop] = batch.left_behind.sum(axis=1)
        cni_shift[start:stop] = np.abs(batch.cni_rank - nom_cni).mean(axis=1)
        imd_shift[start:stop] = np.abs(batch.imd_rank - nom_imd)[:, has_imd].mean(axis=1)
        if cni_store is not None and imd_store is not None:
            cni_store[:, start:stop] = batch.cni_rank.T
            imd_store[:, start:stop] = batch.imd_rank.T
        return batch.left_behind.sum(axis=0, dtype=np.int64)

    hits = np.zeros(n, dtype=np.int64)
    workers = default_workers() if workers is None else max(1, workers)
    if workers == 1:
        for bounds in _batches(m, batch_size):
            hits += run(bounds)
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for part in pool.map(run, _batches(m, batch_size)):
                hits += part
    return Simulation(nom, count, cni_shift, imd_shift, hits, cni_store, imd_store)


def row_quantiles(
    values: NDArray[np.integer], qs: tuple[float, ...], chunk: int = 2048
) -> NDArray[np.float64]:
    """Quantiles of each row of an (N, M) integer matrix (inverted-CDF: actual values).

    Sorted in chunks of rows so memory stays near the size of ``values``.
    """
    n, m = values.shape
    positions = [min(m - 1, max(0, int(np.ceil(q * m)) - 1)) for q in qs]
    out = np.empty((n, len(qs)), dtype=np.float64)
    for start in range(0, n, chunk):
        block = np.sort(values[start : start + chunk], axis=1)
        out[start : start + chunk] = block[:, positions]
    return out
