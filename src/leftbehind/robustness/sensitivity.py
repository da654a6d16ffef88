"""Variance-based sensitivity analysis: first-order and total-order Sobol indices.

Estimators as in COINr's ``get_sensitivity`` (Becker, Caperna et al.), following Saltelli et al.
(2010), table 2:

* variance ``V = var(yA ∪ yB)``;
* first order (Saltelli 2010): ``S_i = mean(yB * (yAB_i - yA)) / V``;
* total order (Jansen 1999): ``ST_i = mean((yA - yAB_i)^2) / (2 V)``;

where ``AB_i`` is ``A`` with factor ``i``'s columns from ``B``. A factor the model ignores gives
``yAB_i == yA`` and so exactly zero for both. Intervals: percentile bootstrap over the ``n``
base rows (the same rows resampled for A, B and every AB_i).

The first-order numerator uses ``yB`` centred on the mean of ``yA ∪ yB``: the same expectation
(``E[yAB_i] = E[yA]``) with far less variance when the output's mean is large relative to its
spread (e.g. a count of ~200 areas), as SALib does by standardising the outputs.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from leftbehind.errors import InvalidInput
from leftbehind.robustness.choices import ChoiceSet, default_choices, with_dummy
from leftbehind.robustness.engine import simulate
from leftbehind.robustness.inputs import EditionInputs, load_inputs
from leftbehind.robustness.sampling import check_boot, check_draws, check_seed, saltelli

OUTPUTS = ("count", "rank_shift", "cni_rank_shift", "imd_rank_shift")
OUTPUT_MEANINGS = {
    "count": "number of left-behind areas",
    "rank_shift": "mean absolute rank shift from the nominal ranks (CNI and IMD averaged)",
    "cni_rank_shift": "mean absolute CNI rank shift",
    "imd_rank_shift": "mean absolute IMD rank shift",
}
DEFAULT_BASE = 512
DEFAULT_BOOT = 500


def _indices(
    ya: NDArray[np.float64], yb: NDArray[np.float64], yab: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """ya, yb: (..., n, K); yab: (..., k, n, K) -> first, total: (..., k, K)."""
    both = np.concatenate([ya, yb], axis=-2)
    var = np.var(both, axis=-2, ddof=1)[..., None, :]
    centre = both.mean(axis=-2, keepdims=True)
    ya_, yb_ = ya[..., None, :, :], (yb - centre)[..., None, :, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        first = np.mean(yb_ * (yab - ya_), axis=-2) / var
        total = np.mean((ya_ - yab) ** 2, axis=-2) / (2.0 * var)
    return first, total


def sobol_from_outputs(
    ya: NDArray[np.float64],
    yb: NDArray[np.float64],
    yab: NDArray[np.float64],
    factors: Sequence[str],
    outputs: Sequence[str],
    *,
    n_boot: int = DEFAULT_BOOT,
    seed: int = 0,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Sobol indices with bootstrap intervals from model outputs on A, B and AB_i.

    ``ya``, ``yb``: (n, K) or (n,); ``yab``: (k, n, K) or (k, n). Returns one row per
    (output, factor): ``first, first_low, first_high, total, total_low, total_high, variance``.
    An output that never varies has undefined indices (NaN).
    """
    ya, yb, yab = (np.asarray(a, dtype=np.float64) for a in (ya, yb, yab))
    if ya.ndim == 1:
        ya, yb, yab = ya[:, None], yb[:, None], yab[..., None]
    n, k_out = ya.shape
    k = len(factors)
    if yb.shape != ya.shape or yab.shape != (k, n, k_out) or len(outputs) != k_out:
        raise InvalidInput("Sobol outputs have inconsistent shapes")
    if not 0 < ci < 1:
        raise InvalidInput(f"confidence level must be in (0, 1), got {ci}")
    first, total = _indices(ya, yb, yab)
    variance = np.var(np.concatenate([ya, yb]), axis=0, ddof=1)
    low_q, high_q = (1 - ci) / 2, 1 - (1 - ci) / 2
    lo_f = hi_f = lo_t = hi_t = np.full((k, k_out), np.nan)
    if n_boot > 0:
        rng = np.random.default_rng(seed)
        boots_f, boots_t = [], []
        for start in range(0, n_boot, 64):
            idx = rng.integers(0, n, size=(min(64, n_boot - start), n))
            f, t = _indices(ya[idx], yb[idx], np.moveaxis(yab[:, idx], 0, 1))
            boots_f.append(f)
            boots_t.append(t)
        bf, bt = np.concatenate(boots_f), np.concatenate(boots_t)
        with warnings.catch_warnings():  # an output that never varies: all-NaN slices
            warnings.simplefilter("ignore", RuntimeWarning)
            lo_f, hi_f = np.nanquantile(bf, [low_q, high_q], axis=0)
            lo_t, hi_t = np.nanquantile(bt, [low_q, high_q], axis=0)
    rows = []
    for j, output in enumerate(outputs):
        for i, factor in enumerate(factors):
            rows.append(
                {
                    "output": output,
                    "factor": factor,
                    "first": first[i, j],
                    "first_low": lo_f[i, j],
                    "first_high": hi_f[i, j],
                    "total": total[i, j],
                    "total_low": lo_t[i, j],
                    "total_high": hi_t[i, j],
                    "variance": variance[j],
                }
            )
    return pd.DataFrame(rows)


def sobol_indices(
    model: Callable[[dict[str, NDArray[Any]]], NDArray[np.float64]],
    choices: ChoiceSet,
    n: int,
    seed: int,
    *,
    outputs: Sequence[str] | None = None,
    n_boot: int = DEFAULT_BOOT,
    ci: float = 0.95,
) -> pd.DataFrame:
    """Sobol indices of any vectorised ``model(values) -> (M, K)`` over ``choices``."""
    design = saltelli(choices, n, seed)
    y = np.asarray(model(choices.values(design.matrix)), dtype=np.float64)
    if y.ndim == 1:
        y = y[:, None]
    outputs = list(outputs) if outputs is not None else [f"y{j}" for j in range(y.shape[1])]
    ya, yb, yab = design.split(y)
    return sobol_from_outputs(ya, yb, yab, design.factors, outputs, n_boot=n_boot, seed=seed, ci=ci)


@dataclass
class SensitivityResult:
    edition: str
    n: int
    runs: int
    seed: int
    indices: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        table = self.indices.replace({np.nan: None})
        return {
            "edition": self.edition,
            "base_samples": self.n,
            "model_runs": self.runs,
            "seed": self.seed,
            "outputs": {k: OUTPUT_MEANINGS[k] for k in OUTPUTS},
            "indices": table.to_dict(orient="records"),
        }


def sensitivity(
    inputs: EditionInputs,
    choices: ChoiceSet | None = None,
    n: int = DEFAULT_BASE,
    seed: int = 2023,
    *,
    dummy: bool = False,
    n_boot: int = DEFAULT_BOOT,
    ci: float = 0.95,
    workers: int | None = None,
) -> SensitivityResult:
    """Sobol indices of the count of left-behind areas and the mean absolute rank shift with
    respect to each uncertain choice of ``inputs.edition``. ``dummy`` adds a factor the model
    ignores (its indices are exactly zero: a built-in check)."""
    n, seed = check_draws(n, "base samples", "--samples"), check_seed(seed)
    n_boot = check_boot(n_boot)
    choices = choices or default_choices(inputs.edition)
    if dummy:
        choices = with_dummy(choices)
    design = saltelli(choices, n, seed)
    sim = simulate(inputs, choices, design.matrix, workers=workers)
    y = np.column_stack([sim.count, sim.rank_shift, sim.cni_shift, sim.imd_shift])
    ya, yb, yab = design.split(y)
    table = sobol_from_outputs(
        ya, yb, yab, design.factors, OUTPUTS, n_boot=n_boot, seed=seed, ci=ci
    )
    return SensitivityResult(inputs.edition, n, design.matrix.shape[0], seed, table)


def sensitivity_from_store(
    con: duckdb.DuckDBPyConnection, edition: str, **kwargs: Any
) -> SensitivityResult:
    return sensitivity(load_inputs(con, edition), **kwargs)
