"""Vectorised evaluation of many plausible left-behind lists at once.

A batch of draws is a matrix: the weights of B draws times the transformed domain ranks gives a
(B, areas) float64 score matrix. Each row is ranked by one sort of 64-bit integer keys (the
score's order-preserving bit pattern in the high bits, the area's position in the low bits) and
one vectorised scatter of the sorted positions (:func:`rank_rows`). LSOA -> ward aggregation,
when every LSOA is in at most one ward (a best-fit lookup), is one ``bincount`` per group of
draws straight from the sorted LSOA order (:func:`_sum_by_ward`); the extent needs the order of
only the 30% of LSOAs with a positive weight (one ``partition``, :func:`top_order`); otherwise
it is a sparse product. The CNI and the IMD ranking of a batch are separate tasks on a small
thread pool (NumPy's sorts, bitwise ufuncs, indexing and ``bincount`` and SciPy's sparse
products release the GIL), with the next batch already queued.

Rank intervals are streamed: each batch's ranks are added to a per-area histogram of rank values
(:class:`RankHistogram`, bins of ``ceil(N / 512)`` ranks), so no draw's ranks are kept and
memory does not grow with the number of draws.

Ward-level IMD measures (MHCLG summary measures; ``leftbehind.indices.aggregate``):
``average_score`` (population-weighted mean LSOA score), ``average_rank`` (population-weighted
mean LSOA rank; lower is more deprived), ``extent`` (population-weighted share in the most
deprived 30%, sliding weights beyond 10%), ``proportion`` (share of the ward's LSOAs in the
national most deprived 10%). Ties of extent and proportion (many wards have 0 or 1) are broken by
the average score: wards are ranked by the share rounded to 2^-30 (so shares equal up to rounding
tie), then by the average score. Wards without any LSOA in the lookup have no IMD: ranked last
(by position), never left behind.
"""

from __future__ import annotations

import contextlib
import os
import threading
import weakref
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray
from threadpoolctl import threadpool_limits

from leftbehind.identify import threshold_rank
from leftbehind.indices.aggregate import extent_weight
from leftbehind.robustness.choices import AGGREGATIONS, POPULATION_YEARS, ChoiceSet
from leftbehind.robustness.inputs import EditionInputs

#: Target elements (draws x the widest row: areas, or LSOAs for an aggregated edition) of one
#: batch; the batch size is this divided by the row width, between 8 and 256 draws.
BATCH_ELEMENTS = 1 << 21
#: At most this many histogram bins per area (bin width ceil(N / MAX_BINS) ranks).
MAX_BINS = 512
#: Shares (extent, proportion) are compared after rounding to multiples of 2^-SHARE_BITS.
SHARE_BITS = 30

_SIGN = np.uint64(1 << 63)
_ALL = np.uint64((1 << 64) - 1)


def _index_bits(n: int) -> int:
    return max(1, int(n - 1).bit_length())


def descending_keys(
    scores: NDArray[np.floating], *, overwrite: bool = False
) -> tuple[NDArray[np.uint64], np.uint64]:
    """Unique uint64 sort keys of each row of ``scores``, ascending from the highest score, and
    the mask of their low bits, which hold the area's position (see :func:`descending_order`).

    The order-preserving bit pattern of the float64 score (complemented, so ascending keys are
    descending scores) with its low ``ceil(log2 N)`` bits replaced by the position. ``-0.0``
    counts as ``0.0``; ``-inf`` sorts last. With ``overwrite`` a float64 C-contiguous
    ``scores`` is used as the work array (its values are destroyed).
    """
    b, n = scores.shape
    if overwrite and scores.dtype == np.float64 and scores.flags.c_contiguous:
        work = scores
        np.add(work, 0.0, out=work)  # -0.0 -> 0.0
    else:
        work = np.add(scores, 0.0, dtype=np.float64)  # a copy; -0.0 -> 0.0
    keys = work.view(np.uint64)
    bits = _index_bits(n)
    low = np.uint64((1 << bits) - 1)
    tail = low ^ np.arange(n, dtype=np.uint64)  # (keys | low) ^ tail puts the position in
    if b and work.min() < 0:
        # negative: keep the bits (larger magnitude sorts later); non-negative: flip all but
        # the sign bit (larger value sorts earlier, before every negative score)
        flip = keys >> np.uint64(63)
        flip -= np.uint64(1)
        flip >>= np.uint64(1)
        flip &= ~low
        np.bitwise_or(keys, low, out=keys)
        keys ^= flip
        keys ^= tail
    else:
        np.bitwise_or(keys, low, out=keys)
        keys ^= tail ^ ((_ALL >> np.uint64(1)) & ~low)
    return keys, low


def descending_order(scores: NDArray[np.floating], *, overwrite: bool = False) -> NDArray[np.int64]:
    """Area positions of each row of ``scores`` from highest to lowest score; ties (and scores
    equal in their first ``64 - ceil(log2 N)`` bits, a relative difference under 2^-(52 -
    ceil(log2 N)), e.g. 2^-36 for 33,755 areas) by position.

    One ``sort`` of the uint64 keys of :func:`descending_keys` per row.
    """
    keys, low = descending_keys(scores, overwrite=overwrite)
    keys.sort(axis=1)
    keys &= low
    return keys.view(np.int64)


def top_order(
    scores: NDArray[np.floating], top: int, *, overwrite: bool = False
) -> NDArray[np.int64]:
    """The first ``top`` columns of :func:`descending_order` (the same areas in the same
    order, ties included, as the keys are unique), from one ``partition`` and a sort of only
    ``top`` keys per row."""
    keys, low = descending_keys(scores, overwrite=overwrite)
    n = keys.shape[1]
    if top < n:
        keys = np.partition(keys, top - 1, axis=1)[:, :top]
    keys.sort(axis=1)
    keys &= low
    return keys.view(np.int64)


def scatter_ranks(order: NDArray[np.int64], out: NDArray[np.int32] | None = None) -> NDArray:
    """Ranks (1-based) from each row's order: ``out[i, order[i, p]] = p + 1``, as one flat
    scatter. ``order`` is overwritten with the flat indices."""
    b, n = order.shape
    ranks = np.empty((b, n), dtype=np.int32) if out is None else out
    order += (np.arange(b, dtype=np.int64) * n)[:, None]
    ranks.reshape(-1)[order] = np.arange(1, n + 1, dtype=np.int32)
    return ranks


def rank_rows(scores: NDArray[np.floating], *, overwrite: bool = False) -> NDArray[np.int32]:
    """Rank each row (highest score -> 1); ties by position (lower position first), as
    :func:`leftbehind.indices.transform.rank_descending` does for one row."""
    return scatter_ranks(descending_order(scores, overwrite=overwrite))


def rank_lexicographic(share: NDArray[np.float64], tie: NDArray[np.float64]) -> NDArray[np.int32]:
    """Rank each row by ``share`` (in [0, 1]; -inf for no value, ranked last) rounded to
    multiples of 2^-SHARE_BITS, descending; equal shares by ``tie`` descending (as
    :func:`descending_order` orders it: equal in its first ``64 - ceil(log2 N)`` bits is a tie),
    then by position.

    One sort per row: the key holds the rounded share, then the tie quantised to the bits left
    (a non-decreasing function of the tie's order, so it never contradicts it), then the
    position. Runs of keys equal but for the position (the same share and quantised tie) are
    then put in order exactly, all at once (one ``lexsort`` of only their entries)."""
    b, n = share.shape
    bits = _index_bits(n)
    qbits = 64 - (SHARE_BITS + 1) - bits
    if qbits < 8:  # too many areas to pack a useful quantised tie: two sorts
        return _rank_lexicographic_two_sorts(share, tie)
    scale = float(1 << SHARE_BITS)
    clipped = np.clip(share, -1.0 / scale, 1.0)  # -inf -> just below 0
    keys = np.rint((1.0 - clipped) * scale).astype(np.uint64)  # 0 (share 1) .. 2^30 + 1
    tie_keys, _ = descending_keys(tie)  # ascending = descending tie
    tie_keys >>= np.uint64(bits)  # without the position: equal here is a tie
    # quantised over the finite ties' range (infinite ones clip to an end); the keys have at
    # most 51 bits, so float64 holds them exactly
    level = tie_keys.astype(np.float64)
    finite = np.isfinite(tie)
    lo = np.where(finite, level, np.inf).min(axis=1, keepdims=True)
    hi = np.where(finite, level, -np.inf).max(axis=1, keepdims=True)
    lo[~np.isfinite(lo)] = 0.0
    span = np.maximum(hi - lo, 1.0)  # hi is -inf when lo was: span 1
    level -= lo
    level *= float((1 << qbits) - 1) / span
    q = np.clip(np.floor(level), 0.0, float((1 << qbits) - 1))
    keys <<= np.uint64(qbits)
    keys |= q.astype(np.uint64)
    keys <<= np.uint64(bits)
    keys |= np.arange(n, dtype=np.uint64)[None, :]
    keys.sort(axis=1)
    order = (keys & np.uint64((1 << bits) - 1)).view(np.int64)
    keys >>= np.uint64(bits)
    same = keys[:, 1:] == keys[:, :-1]  # slot j + 1 ties slot j before the exact tie order
    if same.any():
        in_run = np.zeros((b, n), dtype=bool)
        in_run[:, 1:] |= same
        in_run[:, :-1] |= same
        rows, slots = np.nonzero(in_run)  # row-major: runs are contiguous, in slot order
        starts = np.ones(len(rows), dtype=bool)
        cont = (rows[1:] == rows[:-1]) & (slots[1:] == slots[:-1] + 1)
        starts[1:] = ~(cont & same[rows[1:], np.maximum(slots[1:] - 1, 0)])
        run = np.cumsum(starts)
        areas = order[rows, slots]
        # each run's entries by the exact tie order, then position, into the run's own slots
        order[rows, slots] = areas[np.lexsort((areas, tie_keys[rows, areas], run))]
    return scatter_ranks(order)


def _rank_lexicographic_two_sorts(
    share: NDArray[np.float64], tie: NDArray[np.float64]
) -> NDArray[np.int32]:
    """:func:`rank_lexicographic` by two sorts: the tie order, then the shares with each area's
    place in it (for more areas than one key can pack with a quantised tie)."""
    b, n = share.shape
    bits = _index_bits(n)
    by_tie = descending_order(tie)  # areas from the highest tie value
    place = np.empty((b, n), dtype=np.uint64)  # each area's place in that order
    np.put_along_axis(place, by_tie, np.arange(n, dtype=np.uint64)[None, :], axis=1)
    scale = float(1 << SHARE_BITS)
    clipped = np.clip(share, -1.0 / scale, 1.0)  # -inf -> just below 0
    keys = np.rint((1.0 - clipped) * scale).astype(np.uint64)  # 0 (share 1) .. 2^30 + 1
    keys <<= np.uint64(bits)
    keys |= place
    keys.sort(axis=1)
    keys &= np.uint64((1 << bits) - 1)
    return scatter_ranks(np.take_along_axis(by_tie, keys.view(np.int64), axis=1))


@dataclass(frozen=True)
class Batch:
    cni_rank: NDArray[np.int32]  # (B, N)
    imd_rank: NDArray[np.int32]  # (B, N)
    left_behind: NDArray[np.bool_]  # (B, N)


def weighted_sum(weights: NDArray[np.float64], exp_t: NDArray[np.float64]) -> NDArray[np.float64]:
    """(b, k) weights x (k, n) transformed ranks: one BLAS product, on one BLAS thread while a
    simulation runs (:func:`one_blas_thread`); a multithreaded BLAS would spin its threads
    against the ranking threads for a product this thin (k = 3 or 7)."""
    return weights @ exp_t


_BLAS_LOCK = threading.Lock()
_BLAS_USERS = 0
_BLAS_LIMIT: Any = None


@contextlib.contextmanager
def one_blas_thread() -> Iterator[None]:
    """Limit the BLAS to one thread (``threadpoolctl``) while at least one simulation runs in
    this process; the previous limits are restored when the last one ends."""
    global _BLAS_USERS, _BLAS_LIMIT
    with _BLAS_LOCK:
        if _BLAS_USERS == 0:
            _BLAS_LIMIT = threadpool_limits(limits=1, user_api="blas")
        _BLAS_USERS += 1
    try:
        yield
    finally:
        with _BLAS_LOCK:
            _BLAS_USERS -= 1
            if _BLAS_USERS == 0:
                _BLAS_LIMIT.restore_original_limits()
                _BLAS_LIMIT = None


def _cni_ranks(inputs: EditionInputs, weights: NDArray[np.float64]) -> NDArray[np.int32]:
    if len(weights) > 1 and np.all(weights == weights[0]):
        one = rank_rows(weighted_sum(weights[:1], inputs.cni_exp_t), overwrite=True)
        return np.broadcast_to(one, (len(weights), inputs.n_areas))
    return rank_rows(weighted_sum(weights, inputs.cni_exp_t), overwrite=True)


def _ward_ranks(
    inputs: EditionInputs, weights: NDArray[np.float64], method: str, year: str
) -> NDArray[np.int32]:
    """(b, 7) IMD domain weights -> (b, N) ward IMD ranks under one summary measure.

    The average score is linear in the weights, so it is computed from the (N, 7) ward averages
    of the transformed domain ranks without any LSOA-level product; LSOA scores are made only
    for the measures that need them (rank-based ones and the proportion)."""
    assert inputs.population is not None and inputs.counts is not None
    w = inputs.population[year]
    missing = inputs.imd_missing
    average = weighted_sum(weights, _ward_exp_t(inputs, year))
    average[:, missing] = -np.inf
    if method == "average_score":
        return rank_rows(average, overwrite=True)
    n_lsoa = inputs.n_lsoa
    lsoa_scores = weighted_sum(weights, inputs.imd_exp_t)
    if method == "proportion":
        k = n_lsoa // 10  # decile 1: rank <= N / 10
        kth = np.partition(lsoa_scores, n_lsoa - k, axis=1)[:, n_lsoa - k : n_lsoa - k + 1]
        in_top = lsoa_scores >= kth  # the k-th highest score and every score above it
        if (wards := _lsoa_wards(inputs, "counts")) is not None:
            ward_of, weight_of = wards
            rows, cols = np.nonzero(in_top)  # row-major: each ward's LSOAs in index order
            share = _sum_by_ward(rows, cols, weight_of[cols], ward_of, inputs.n_areas, len(in_top))
        else:
            share = np.asarray(inputs.counts @ np.ascontiguousarray(in_top.T, np.float64)).T
    elif method not in ("average_rank", "extent"):  # pragma: no cover - guarded by the options
        raise ValueError(method)
    elif (wards := _lsoa_wards(inputs, year)) is not None:
        # each LSOA in at most one ward: sum by ward straight from the sorted order (no rank
        # matrix, no transpose); extent needs only the ranks with a positive weight
        table = _extent_table(n_lsoa)
        if method == "average_rank":
            order = descending_order(lsoa_scores, overwrite=True)
            value = np.arange(1, n_lsoa + 1, dtype=np.float64)
        else:
            reach = int(np.flatnonzero(table)[-1])  # the last rank with a positive weight
            order = top_order(lsoa_scores, reach, overwrite=True)
            value = table[1 : reach + 1]
        ward_of, weight_of = wards
        b = len(order)
        weights = weight_of[order]
        weights *= value[None, :]
        rows = np.arange(b, dtype=np.int64)[:, None]
        sums = _sum_by_ward(rows, order, weights, ward_of, inputs.n_areas, b)
        if method == "average_rank":
            np.negative(sums, out=sums)
            sums[:, missing] = -np.inf
            return rank_rows(sums, overwrite=True)
        share = sums
    else:
        ranks_t = rank_rows(lsoa_scores, overwrite=True).T  # (L, b) view
        if method == "average_rank":
            measure = -np.asarray(w @ np.ascontiguousarray(ranks_t, dtype=np.float64)).T
            measure[:, missing] = -np.inf
            return rank_rows(measure, overwrite=True)
        share = np.asarray(w @ np.ascontiguousarray(_extent_table(n_lsoa)[ranks_t])).T
    share[:, missing] = -np.inf
    return rank_lexicographic(share, average)


def _sum_by_ward(
    rows: NDArray[np.int64],
    lsoas: NDArray[np.int64],
    weights: NDArray[np.float64],
    ward_of: NDArray[np.int64],
    n_wards: int,
    b: int,
) -> NDArray[np.float64]:
    """(b, n_wards) sums, by ward, of ``weights`` of LSOAs ``lsoas`` in draws ``rows``, as one
    ``bincount`` (``ward_of[l] == n_wards`` for an LSOA in no ward: dropped). ``lsoas`` and
    ``weights`` have one shape; ``rows`` has it too or broadcasts to it (a (b, 1) column of
    draws against a (b, k) matrix of LSOAs)."""
    flat = ward_of[lsoas]
    flat += rows * (n_wards + 1)
    sums = np.bincount(flat.reshape(-1), weights.reshape(-1), minlength=b * (n_wards + 1))
    return sums.reshape(b, n_wards + 1)[:, :n_wards]


_EXTENT_TABLES: dict[int, NDArray[np.float64]] = {}
_WARD_EXP_T: dict[tuple[int, str], tuple[weakref.ref, Any]] = {}


def _per_inputs(
    cache: dict[tuple[int, str], tuple[weakref.ref, Any]],
    inputs: EditionInputs,
    key: str,
    make: Callable[[], Any],
) -> Any:
    """``make()`` computed once per inputs and key (forgotten with the inputs)."""
    hit = cache.get((id(inputs), key))
    if hit is not None and hit[0]() is inputs:
        return hit[1]
    value = make()
    cache[(id(inputs), key)] = (weakref.ref(inputs), value)
    return value


def _ward_exp_t(inputs: EditionInputs, year: str) -> NDArray[np.float64]:
    """(7, N) population-weighted ward averages of the transformed IMD domain ranks, computed
    once per inputs and population year."""

    def make() -> NDArray[np.float64]:
        assert inputs.population is not None
        w = inputs.population[year]
        return np.ascontiguousarray(np.asarray(w @ np.ascontiguousarray(inputs.imd_exp_t.T)).T)

    return _per_inputs(_WARD_EXP_T, inputs, year, make)


_LSOA_WARDS: dict[tuple[int, str], tuple[weakref.ref, Any]] = {}


def _lsoa_wards(
    inputs: EditionInputs, weights: str
) -> tuple[NDArray[np.int64], NDArray[np.float64]] | None:
    """Each LSOA's ward (``n_areas`` for none) and its weight in that ward's row of the
    row-normalised ``weights``: a population year's, or ``"counts"`` for the LSOA counts;
    when no LSOA is split between wards (a best-fit lookup); else None. Computed once per
    inputs and weights."""

    def make() -> tuple[NDArray[np.int64], NDArray[np.float64]] | None:
        assert inputs.population is not None and inputs.counts is not None
        matrix = inputs.counts if weights == "counts" else inputs.population[weights]
        by_lsoa = matrix.T.tocsr()  # (L, N): row l holds l's ward(s)
        by_lsoa.sum_duplicates()
        per_lsoa = np.diff(by_lsoa.indptr)
        if per_lsoa.max(initial=0) > 1:
            return None
        ward_of = np.full(inputs.n_lsoa, inputs.n_areas, dtype=np.int64)
        weight_of = np.zeros(inputs.n_lsoa, dtype=np.float64)
        has = per_lsoa == 1
        ward_of[has] = by_lsoa.indices
        weight_of[has] = by_lsoa.data
        return ward_of, weight_of

    return _per_inputs(_LSOA_WARDS, inputs, weights, make)


def _extent_table(n: int) -> NDArray[np.float64]:
    """Extent weight of each rank 0..n (index = rank; 0 unused), looked up instead of
    recomputed per draw."""
    table = _EXTENT_TABLES.get(n)
    if table is None:
        table = np.concatenate([[0.0], extent_weight(np.arange(1, n + 1), n)])
        _EXTENT_TABLES[n] = table
    return table


def _imd_ranks(inputs: EditionInputs, values: dict[str, NDArray[Any]]) -> NDArray[np.int32]:
    weights = np.asarray(values["imd_weights"], dtype=np.float64)
    if not inputs.aggregated:
        return rank_rows(weighted_sum(weights, inputs.imd_exp_t), overwrite=True)
    b = weights.shape[0]
    agg = values.get("aggregation", np.zeros(b, dtype=np.int64))
    year = values.get("population_year", np.zeros(b, dtype=np.int64))
    options = _options(values)
    ranks = np.empty((b, inputs.n_areas), dtype=np.int32)
    for key in np.unique(np.column_stack([agg, year]), axis=0):
        rows = np.flatnonzero((agg == key[0]) & (year == key[1]))
        ranks[rows] = _ward_ranks(
            inputs,
            weights[rows],
            options["aggregation"][key[0]],
            options["population_year"][key[1]],
        )
    return ranks


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
    return Batch(cni, imd, _left_behind(inputs, values, cni, imd))


def _left_behind(
    inputs: EditionInputs, values: dict[str, NDArray[Any]], cni: NDArray, imd: NDArray
) -> NDArray[np.bool_]:
    n = inputs.n_areas
    b = imd.shape[0]
    t_cni = np.broadcast_to(np.asarray(values["threshold_cni"], dtype=np.float64), (b,))
    t_imd = np.broadcast_to(np.asarray(values["threshold_imd"], dtype=np.float64), (b,))
    lb = cni <= threshold_rank(t_cni, n).astype(np.int32)[:, None]
    lb &= imd <= threshold_rank(t_imd, n).astype(np.int32)[:, None]
    if inputs.imd_missing.any():
        lb &= ~inputs.imd_missing[None, :]
    return lb


def _with_options(choices: ChoiceSet, values: dict[str, NDArray[Any]]) -> dict[str, Any]:
    options = {}
    for name in ("aggregation", "population_year"):
        if name in choices.names:
            options[name] = choices.get(name).options  # type: ignore[union-attr]
    return {**values, "_options": options}


def nominal(inputs: EditionInputs, choices: ChoiceSet) -> Batch:
    """The nominal list: every choice at its nominal value."""
    return evaluate(inputs, _with_options(choices, choices.nominal_values()))


class RankHistogram:
    """Per-area counts of rank values (1..n) in bins of ``width`` ranks, for streamed quantiles.

    ``width = ceil(n / max_bins)``: memory is ``n * ceil(n / width)`` counters (uint16 up to
    65,535 draws, else uint32), whatever the number of draws. A quantile is located in its bin
    exactly (the counts are exact) and placed inside the bin by linear interpolation, so it is
    within ``width - 1`` ranks of the exact inverted-CDF quantile (exact when ``width == 1``,
    i.e. ``n <= max_bins``).
    """

    def __init__(self, n: int, draws: int, max_bins: int = MAX_BINS) -> None:
        self.n = n
        self.width = max(1, -(-n // max(1, max_bins)))
        self.bins = -(-n // self.width)
        dtype = np.uint16 if draws <= np.iinfo(np.uint16).max else np.uint32
        self.counts = np.zeros((n, self.bins), dtype=dtype)
        self._flat = self.counts.reshape(-1)
        self._bin_of = np.concatenate([[0], np.arange(n) // self.width]).astype(np.intp)
        self._offsets = np.arange(n, dtype=np.intp) * self.bins
        self.lock = threading.Lock()

    @property
    def error_bound(self) -> int:
        """Largest difference, in ranks, from the exact quantile."""
        return self.width - 1

    @property
    def nbytes(self) -> int:
        return self.counts.nbytes

    def add(self, ranks: NDArray[np.integer]) -> None:
        """Count a (b, n) batch of ranks. One draw's ranks put each area in exactly one bin, so
        a draw is one fancy-index increment (no repeated index) with area-ordered, hence
        increasing, flat indices."""
        with self.lock:
            for row in ranks:
                idx = self._bin_of[row]
                idx += self._offsets
                self._flat[idx] += 1

    def quantiles(self, qs: tuple[float, ...], chunk: int = 4096) -> NDArray[np.float64]:
        """(n, len(qs)) quantiles of each area's ranks (see the class for the error)."""
        total = int(self.counts[0].sum()) if self.n else 0
        out = np.empty((self.n, len(qs)), dtype=np.float64)
        if total == 0:
            out[:] = np.nan
            return out
        targets = [min(total, max(1, int(np.ceil(q * total)))) for q in qs]
        w = self.width
        for start in range(0, self.n, chunk):
            counts = self.counts[start : start + chunk].astype(np.int64)
            cum = np.cumsum(counts, axis=1)
            rows = np.arange(len(counts))
            for j, k in enumerate(targets):
                b = (cum < k).sum(axis=1)  # first bin holding the k-th smallest rank
                before = np.where(b > 0, cum[rows, np.maximum(b - 1, 0)], 0)
                inside = counts[rows, b]
                lo = b * w + 1
                hi = np.minimum(lo + w - 1, self.n)
                est = lo + (k - before - 0.5) * (hi - lo + 1) / inside - 0.5
                out[start : start + chunk, j] = np.clip(np.rint(est), lo, hi)
        return out


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
    cni_hist: RankHistogram | None = None  # if streamed
    imd_hist: RankHistogram | None = None
    batch_size: int = 0
    workers: int = 1

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


def default_batch_size(inputs: EditionInputs) -> int:
    """Draws per batch: about BATCH_ELEMENTS elements of the widest row, 8 to 256 draws."""
    width = max(inputs.n_areas, inputs.n_lsoa if inputs.aggregated else 0, 1)
    return int(min(256, max(8, BATCH_ELEMENTS // width)))


def simulate(
    inputs: EditionInputs,
    choices: ChoiceSet,
    unit: NDArray[np.float64],
    *,
    keep_ranks: bool = False,
    histograms: bool = False,
    max_bins: int = MAX_BINS,
    batch_size: int | None = None,
    workers: int | None = None,
) -> Simulation:
    """Evaluate every row of the (M, D) unit sample ``unit``; results do not depend on
    ``batch_size`` or ``workers``.

    ``histograms`` streams every draw's ranks into two :class:`RankHistogram` (bounded
    memory); ``keep_ranks`` keeps them all as (N, M) matrices (tests and small runs only).
    The CNI and IMD ranking of each batch are separate tasks on ``workers`` threads; at most
    ``workers + 1`` batches are in flight.
    """
    with one_blas_thread():
        return _simulate(
            inputs, choices, unit, keep_ranks, histograms, max_bins, batch_size, workers
        )


def _simulate(
    inputs: EditionInputs,
    choices: ChoiceSet,
    unit: NDArray[np.float64],
    keep_ranks: bool,
    histograms: bool,
    max_bins: int,
    batch_size: int | None,
    workers: int | None,
) -> Simulation:
    nom = nominal(inputs, choices)
    m, n = unit.shape[0], inputs.n_areas
    missing = inputs.imd_missing
    n_imd = int((~missing).sum())
    nom_cni = np.ascontiguousarray(nom.cni_rank[0], dtype=np.int32)
    nom_imd = np.ascontiguousarray(nom.imd_rank[0], dtype=np.int32)
    rank_dtype = np.uint16 if n <= np.iinfo(np.uint16).max else np.uint32
    cni_store = np.empty((n, m), dtype=rank_dtype) if keep_ranks else None
    imd_store = np.empty((n, m), dtype=rank_dtype) if keep_ranks else None
    cni_hist = RankHistogram(n, m, max_bins) if histograms else None
    imd_hist = RankHistogram(n, m, max_bins) if histograms else None
    count = np.empty(m, dtype=np.int64)
    cni_shift = np.empty(m, dtype=np.float64)
    imd_shift = np.empty(m, dtype=np.float64)
    batch_size = default_batch_size(inputs) if batch_size is None else max(1, batch_size)

    def shift(
        ranks: NDArray[np.int32], nom_ranks: NDArray[np.int32], skip_missing: bool
    ) -> NDArray[np.int64]:
        """Sum over areas of |rank - nominal rank| (without areas lacking an IMD if asked)."""
        diff = ranks - nom_ranks
        np.abs(diff, out=diff)
        total = diff.sum(axis=1, dtype=np.int64)
        if skip_missing and missing.any():
            total -= diff[:, missing].sum(axis=1, dtype=np.int64)
        return total

    def cni_task(start: int, stop: int, values: dict[str, Any]) -> NDArray[np.int32]:
        ranks = _cni_ranks(inputs, np.asarray(values["cni_weights"], dtype=np.float64))
        cni_shift[start:stop] = shift(ranks, nom_cni, False) / n
        if cni_hist is not None:
            cni_hist.add(ranks)
        if cni_store is not None:
            cni_store[:, start:stop] = ranks.T
        return ranks

    def imd_task(start: int, stop: int, values: dict[str, Any]) -> NDArray[np.int32]:
        ranks = _imd_ranks(inputs, values)
        imd_shift[start:stop] = shift(ranks, nom_imd, True) / max(n_imd, 1)
        if imd_hist is not None:
            imd_hist.add(ranks)
        if imd_store is not None:
            imd_store[:, start:stop] = ranks.T
        return ranks

    hits = np.zeros(n, dtype=np.int64)

    def finish(start: int, stop: int, values: dict[str, Any], cni: NDArray, imd: NDArray) -> None:
        lb = _left_behind(inputs, values, cni, imd)
        count[start:stop] = lb.sum(axis=1)
        hits[:] += lb.sum(axis=0, dtype=np.int64)

    workers = default_workers() if workers is None else max(1, workers)
    batches = (
        (start, stop, _with_options(choices, choices.values(unit[start:stop])))
        for start, stop in _batches(m, batch_size)
    )
    if workers == 1:
        for start, stop, values in batches:
            cni = cni_task(start, stop, values)
            finish(start, stop, values, cni, imd_task(start, stop, values))
    else:
        pending: deque[tuple[int, int, dict[str, Any], Future, Future]] = deque()
        with ThreadPoolExecutor(max_workers=workers) as pool:

            def done(item: tuple[int, int, dict[str, Any], Future, Future]) -> None:
                start, stop, values, f_cni, f_imd = item
                finish(start, stop, values, f_cni.result(), f_imd.result())

            for start, stop, values in batches:
                # the heavier IMD task first, so a ward batch's two tasks end close together
                f_imd = pool.submit(imd_task, start, stop, values)
                f_cni = pool.submit(cni_task, start, stop, values)
                pending.append((start, stop, values, f_cni, f_imd))
                if len(pending) > workers:
                    done(pending.popleft())
            while pending:
                done(pending.popleft())
    return Simulation(
        nom,
        count,
        cni_shift,
        imd_shift,
        hits,
        cni_store,
        imd_store,
        cni_hist,
        imd_hist,
        batch_size,
        workers,
    )


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
