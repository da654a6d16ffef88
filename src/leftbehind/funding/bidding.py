"""A competitive funding round simulated, to compare with the needs-based formula.

Model (Monte Carlo with a seed, vectorised over draws):

* **civic capacity** of an area, in (0, 1]: the mean of its CNI civic-assets and
  engaged-community ranks divided by the number of areas (rank 1 = most need = least capacity;
  falls back to the overall CNI rank);
* **bidding**: each area bids with probability ``logistic(bid_intercept + bid_slope x (capacity
  - 0.5))``, so better-resourced areas bid more often;
* **scoring**: a bid's score is ``quality_weight x capacity + need_credit x need + noise``
  (``need`` from IMD rank, noise normal with ``noise_sd``); the funder funds the best-scoring bids
  with awards of ``award`` pounds until the budget runs out.

For the same budget it reports the share of money reaching ``left_behind`` areas and how many of
them are funded, with 5-95% intervals, against the formula's share and count.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from leftbehind.errors import InvalidInput


class BiddingParams(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    budget: float = Field(ge=0.01, le=1e12)
    award: float = Field(ge=0.01, le=1e12, description="size of each competitive award (£)")
    draws: int = Field(1000, ge=1, le=1_000_000)
    seed: int = 0
    bid_intercept: float = -0.5
    bid_slope: float = 3.0
    quality_weight: float = 1.0
    need_credit: float = 0.3
    noise_sd: float = 0.5


def make_bidding_params(**kwargs) -> BiddingParams:
    try:
        return BiddingParams(**kwargs)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "parameters"
        raise InvalidInput(
            f"bidding parameter {where}: {err['msg']}; fix the value",
            parameter=str(err["loc"][0]) if err["loc"] else None,
        ) from None


def _scaled_rank(values: pd.Series) -> np.ndarray:
    rank = pd.to_numeric(values, errors="coerce").to_numpy(float)
    total = np.nanmax(rank) if np.isfinite(rank).any() else 1.0
    return np.where(np.isfinite(rank), rank / total, 0.5)


def capacity(areas: pd.DataFrame) -> np.ndarray:
    """Civic capacity in (0, 1]: high where CNI civic-assets and engagement need is low."""
    cols = [c for c in ("civic_assets_rank", "engaged_community_rank") if c in areas]
    if not cols:
        cols = ["cni_rank"]
    return np.mean([_scaled_rank(areas[c]) for c in cols], axis=0)


def simulate(areas: pd.DataFrame, params: BiddingParams, chunk: int = 200) -> pd.DataFrame:
    """Per draw: ``funded``, ``left_behind_funded``, ``left_behind_share`` (of money)."""
    n = len(areas)
    if n == 0:
        raise InvalidInput("no areas to simulate; check the edition")
    # Tolerate float noise: a budget of exactly n awards funds n areas, not n - 1.
    slots = int(np.floor(params.budget / params.award * (1 + 1e-12)))
    if slots < 1:
        raise InvalidInput(
            f"award £{params.award:,.2f} exceeds the budget £{params.budget:,.2f}; lower the award",
            parameter="award",
        )
    cap = capacity(areas)
    need = 1.0 - _scaled_rank(areas["imd_rank"]) if "imd_rank" in areas else np.zeros(n)
    p_bid = 1.0 / (1.0 + np.exp(-(params.bid_intercept + params.bid_slope * (cap - 0.5))))
    base = params.quality_weight * cap + params.need_credit * need
    is_lb = (areas["group"] == "left_behind").to_numpy()
    rng = np.random.default_rng(params.seed)
    funded_all, lb_all = [], []
    k = min(slots, n)
    for start in range(0, params.draws, chunk):
        d = min(chunk, params.draws - start)
        bids = rng.random((d, n)) < p_bid
        score = base + params.noise_sd * rng.standard_normal((d, n))
        score = np.where(bids, score, -np.inf)
        if k < n:
            top = np.argpartition(-score, k - 1, axis=1)[:, :k]
        else:
            top = np.broadcast_to(np.arange(n), (d, n))
        chosen_ok = np.isfinite(np.take_along_axis(score, top, axis=1))
        funded_all.append(chosen_ok.sum(axis=1))
        lb_all.append((chosen_ok & is_lb[top]).sum(axis=1))
    funded = np.concatenate(funded_all)
    lb = np.concatenate(lb_all)
    share = np.divide(lb, funded, out=np.zeros(len(funded)), where=funded > 0)
    return pd.DataFrame({"funded": funded, "left_behind_funded": lb, "left_behind_share": share})


def _interval(values: np.ndarray) -> dict:
    return {
        "mean": round(float(np.mean(values)), 4),
        "p05": round(float(np.quantile(values, 0.05)), 4),
        "p95": round(float(np.quantile(values, 0.95)), 4),
    }


def compare(areas: pd.DataFrame, allocation_areas: pd.DataFrame, params: BiddingParams) -> dict:
    """Bidding (with 5-95% intervals) against the formula's allocation for the same budget."""
    draws = simulate(areas, params)
    total = float(allocation_areas["total_pence"].sum())
    lb_mask = allocation_areas["group"] == "left_behind"
    formula_share = (
        float(allocation_areas.loc[lb_mask, "total_pence"].sum()) / total if total else 0.0
    )
    formula_lb = int(((allocation_areas["total_pence"] > 0) & lb_mask).sum())
    return {
        "budget": params.budget,
        "award": params.award,
        "draws": params.draws,
        "seed": params.seed,
        "left_behind_areas": int((areas["group"] == "left_behind").sum()),
        "bidding": {
            "left_behind_share": _interval(draws["left_behind_share"].to_numpy()),
            "left_behind_funded": _interval(draws["left_behind_funded"].to_numpy()),
            "funded": _interval(draws["funded"].to_numpy()),
        },
        "formula": {
            "left_behind_share": round(formula_share, 4),
            "left_behind_funded": formula_lb,
            "funded": int((allocation_areas["total_pence"] > 0).sum()),
        },
    }
