"""Samples of the unit hypercube: plain Monte Carlo draws and Saltelli A/B/AB_i matrices.

Saltelli et al. (2010), "Variance based sensitivity analysis of model output. Design and
estimator for the total sensitivity index", Computer Physics Communications 181: two
independent N x D matrices A and B; AB_i is A with the columns of factor i taken from B. A
factor may span several columns (a weight vector is one factor), so AB_i replaces the whole
block. The model is then run on A, B and every AB_i: N (k + 2) runs for k factors.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from leftbehind.errors import InvalidInput
from leftbehind.robustness.choices import ChoiceSet

MAX_DRAWS = 1_000_000


def check_draws(draws: int, what: str = "draws", option: str = "--draws") -> int:
    """A number of draws (or base samples) must be a whole number from 1 to a million."""
    if isinstance(draws, bool) or not isinstance(draws, int | np.integer):
        raise InvalidInput(f"{what} must be a whole number, got {draws!r}")
    if draws <= 0:
        raise InvalidInput(f"{what} must be at least 1, got {draws}; e.g. {option} 1000")
    if draws > MAX_DRAWS:
        raise InvalidInput(f"{what} must be at most {MAX_DRAWS:,}, got {draws:,}")
    return int(draws)


def check_boot(n_boot: int) -> int:
    """Bootstrap resamples: a whole number, 0 (no intervals) or more."""
    if isinstance(n_boot, bool) or not isinstance(n_boot, int | np.integer) or n_boot < 0:
        raise InvalidInput(f"bootstrap resamples (--boot) must be 0 or more, got {n_boot!r}")
    return int(n_boot)


def check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or seed < 0:
        raise InvalidInput(f"seed must be a non-negative whole number, got {seed!r}")
    return int(seed)


def monte_carlo(choices: ChoiceSet, draws: int, seed: int) -> NDArray[np.float64]:
    """``draws`` x D independent uniform samples (the same seed gives the same sample)."""
    draws, seed = check_draws(draws), check_seed(seed)
    rng = np.random.default_rng(seed)
    return rng.random((draws, choices.dims))


@dataclass(frozen=True)
class SaltelliDesign:
    """A, B and AB_i (one per factor) stacked as one matrix for a single batched model run.

    Rows: ``A`` (0..n-1), ``B`` (n..2n-1), then ``AB_i`` for factor i at ``(2 + i) n``.
    """

    n: int
    factors: tuple[str, ...]
    matrix: NDArray[np.float64]

    def split(self, y: NDArray[np.float64]) -> tuple[NDArray, NDArray, NDArray]:
        """Model outputs for the stacked rows -> (yA (n,...), yB (n,...), yAB (k, n, ...))."""
        n, k = self.n, len(self.factors)
        if y.shape[0] != n * (k + 2):
            raise InvalidInput(f"expected {n * (k + 2)} model outputs, got {y.shape[0]}")
        return y[:n], y[n : 2 * n], y[2 * n :].reshape((k, n, *y.shape[1:]))


def saltelli(choices: ChoiceSet, n: int, seed: int) -> SaltelliDesign:
    """The Saltelli design for ``choices`` with ``n`` base samples (N (k + 2) rows in all)."""
    n, seed = check_draws(n, "base samples", "--samples"), check_seed(seed)
    rng = np.random.default_rng(seed)
    d = choices.dims
    base = rng.random((n, 2 * d))
    a, b = base[:, :d], base[:, d:]
    blocks = [a, b]
    for s in choices.slices().values():
        ab = a.copy()
        ab[:, s] = b[:, s]
        blocks.append(ab)
    return SaltelliDesign(n, tuple(choices.names), np.vstack(blocks))
