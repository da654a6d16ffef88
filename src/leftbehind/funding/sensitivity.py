"""How much the need measure changes an allocation, and the socio-economic return the report
cites, shown as a range (never a forecast).

* :func:`sensitivity`: allocation per head by need decile under each need option (the same
  budget, eligibility, floor and cap). Deciles are fixed across the options: the eligible areas
  ordered by the default need measure (the IMD's exponential transform of the CNI and IMD ranks,
  combined as the request asks), most in need first, cut into ten groups of (nearly) equal
  count; decile 1 is the most in-need tenth. Per head = the decile's money / its population.
* :func:`social_return`: Frontier Economics (2021), cited in the APPG report: "a £1m investment
  in community-led social infrastructure in a 'left behind' neighbourhood could yield a return
  of as much as £3.2m in socioeconomic benefits over the course of a decade".
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from leftbehind.funding import allocate as al

#: The need options of the table: id, label, the parameters they change.
OPTIONS: tuple[tuple[str, str, dict[str, Any]], ...] = (
    ("exponential", "IMD exponential transform of ranks (default, k = 100/23)",
     {"need": "exponential", "steepness": al.IMD_STEEPNESS}),
    ("exponential_gentle", "Exponential transform, half as steep (k = 50/23)",
     {"need": "exponential", "steepness": al.IMD_STEEPNESS / 2}),
    ("exponential_steep", "Exponential transform, twice as steep (k = 200/23)",
     {"need": "exponential", "steepness": al.IMD_STEEPNESS * 2}),
    ("ranks", "Scaled ranks (N + 1 - rank) / N", {"need": "ranks"}),
    ("scores", "Index scores divided by their mean", {"need": "scores"}),
    ("equal", "Equal need (population only)", {"need": "equal"}),
)  # fmt: skip
DECILES = 10


def need_deciles(need: np.ndarray, codes: pd.Series) -> np.ndarray:
    """Decile 1 (most need) .. 10 of each area, ties broken by code; fewer than ten areas give
    fewer groups.

    >>> need_deciles(np.array([1.0, 3.0, 2.0]), pd.Series(["a", "b", "c"])).tolist()
    [7, 1, 4]
    """
    n = len(need)
    order = np.lexsort((codes.to_numpy(), -need))
    deciles = np.empty(n, dtype=np.int64)
    deciles[order] = np.arange(n) * DECILES // max(n, 1) + 1
    return deciles


def sensitivity(areas: pd.DataFrame, params: al.AllocationParams) -> dict[str, Any]:
    """Allocation per head (pounds) by need decile under each need option."""
    ref_params = params.model_copy(update={"need": "exponential", "steepness": al.IMD_STEEPNESS})
    eligible, ref_need, population, _ = al.area_totals(areas, ref_params)
    deciles = need_deciles(ref_need, eligible["code"])
    present = sorted(set(deciles.tolist()))
    pop_by = np.bincount(deciles, weights=population, minlength=DECILES + 1)
    has_scores = {"cni_score", "imd_score"} <= set(areas.columns)
    options = []
    for option_id, label, update in OPTIONS:
        if option_id == "scores" and not has_scores:
            continue
        chosen = params.model_copy(update=update)
        _, _, _, total = al.area_totals(areas, chosen)
        money = np.bincount(deciles, weights=total.astype(float), minlength=DECILES + 1)
        per_head = [
            round(float(money[d]) / 100 / float(pop_by[d]), 2) if pop_by[d] > 0 else None
            for d in present
        ]
        top, bottom = per_head[0], per_head[-1]
        options.append(
            {
                "id": option_id,
                "label": label,
                "current": option_id == _current_option(params),
                "per_head": per_head,
                "ratio_top_to_bottom": round(top / bottom, 3) if top and bottom else None,
            }
        )
    return {
        "deciles": present,
        "areas": [int((deciles == d).sum()) for d in present],
        "population": [int(pop_by[d]) for d in present],
        "method": (
            "Eligible areas ordered by the default need measure (the IMD's exponential "
            "transform of the CNI and IMD ranks, combined as chosen), most in need first, and "
            "cut into ten groups of equal count: decile 1 is the most in-need tenth. Each option "
            "shares the same budget over the same areas with the same floor and cap; per head = "
            "the decile's money / its population."
        ),
        "options": options,
    }


def _current_option(params: al.AllocationParams) -> str | None:
    if params.need != "exponential":
        return params.need
    for option_id, _, update in OPTIONS:
        steep = update.get("steepness", 0.0)
        if update.get("need") == "exponential" and abs(steep - params.steepness) < 1e-12:
            return option_id
    return None


RETURN_MULTIPLE_HIGH = 3.2
RETURN_SOURCE = (
    "Frontier Economics (2021), 'The impact of investing in social infrastructure in "
    "left-behind neighbourhoods', for Local Trust; cited in the APPG for 'left behind' "
    "neighbourhoods (2023), A neighbourhood strategy for national renewal"
)
RETURN_ASSUMPTIONS = (
    "The money is spent on community-led social infrastructure (places to meet, community "
    "groups and the capacity to run them) in 'left behind' neighbourhoods.",
    "Benefits are counted over ten years: more employment, better public health, value from "
    "wealth creation and economic activity, lower costs of crime and less demand on public "
    "services.",
    "The source gives a maximum ('as much as £3.2m' for each £1m), not a central estimate, so "
    "the low end shown is no measured return; 'softer' outcomes such as less loneliness are "
    "not valued.",
    "This is a scenario from one published study, not a forecast for these areas.",
)


def social_return(allocation: al.Allocation) -> dict[str, Any]:
    """The range of socio-economic benefit the cited study allows for the money this allocation
    gives to 'left behind' areas (pence)."""
    areas = allocation.areas
    invested = int(areas.loc[areas["group"] == "left_behind", "total_pence"].sum())
    return {
        "invested_pence": invested,
        "low_pence": 0,
        "high_pence": round(invested * RETURN_MULTIPLE_HIGH),
        "multiple_high": RETURN_MULTIPLE_HIGH,
        "years": 10,
        "source": RETURN_SOURCE,
        "assumptions": list(RETURN_ASSUMPTIONS),
        "text": (
            "A scenario, not a forecast: the cited study found £1m invested in community-led "
            "social infrastructure in a 'left behind' neighbourhood could yield as much as "
            "£3.2m of socio-economic benefit over ten years. For the money this allocation "
            "gives to 'left behind' areas that is a range from no measured return up to "
            f"{RETURN_MULTIPLE_HIGH:g} times the money."
        ),
    }
