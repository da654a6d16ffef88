"""A transparent, non-competitive, needs-based allocation of a funding pot to neighbourhoods.

The formula (see ``docs/funding.md``):

1. **Eligibility**: areas in the chosen groups of ``identify()`` (default ``left_behind``).
2. **Need weight**: from the Community Needs Index and the IMD. Default ``exponential``: each
   index's rank (1 = most need) is scaled to ``R = (N + 1 - rank) / N`` over all N areas of the
   edition and put through the IMD's own exponential transform (MHCLG, English Indices of
   Deprivation 2019 Technical Report, section 3.9; :mod:`leftbehind.indices.transform`),
   ``X = -(100 / k) ln(1 - R (1 - exp(-k)))`` with steepness ``k`` (default ``100 / 23``, the
   IMD's constant 23), which runs from ~0 (least need) to 100 (most need) and stretches the most
   deprived tenth from ~50 to 100. Or ``ranks`` (``R`` itself), ``scores`` (each divided by its
   mean over all areas), or ``equal``; the two indices combined with ``cni_weight`` (or one
   alone with ``need_index``); the result divided by its mean over eligible areas, so 1.00 is
   an average eligible area.
3. **Share**: proportional to population x need weight, then floors and caps applied by water
   filling (raise those below the floor, hold those above the cap, share the rest
   proportionally). Infeasible floors and caps are an error, never a silent violation.
4. **Pence**: every amount is an integer number of pence; largest-remainder rounding makes
   totals exact (areas sum to the budget, years sum to each area's total).
5. **Split**: a capacity-building share (revenue, front-loaded), then a capital share of the
   rest; the rest is revenue. Capacity building follows a declining profile (years N, N-1 ... 1);
   capital and revenue follow the chosen multi-year profile (flat, front-loaded, or a table).
   The stated amounts are exact: capacity building is ``round(B x capacity_share)`` pence,
   capital ``round((B - capacity) x capital_share)``, revenue the rest, and each part's year
   ``y`` its largest-remainder share of the part by the year weights; the areas' amounts are
   then rounded as a table whose rows (each area's total, each area's part) and columns (each
   part, each year) both add up exactly (controlled rounding: every cell is its exact value
   rounded down or up, found by a maximum flow).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from leftbehind.errors import InvalidInput, UnknownName
from leftbehind.indices.transform import EXPONENTIAL_CONSTANT

GROUP_CHOICES = ("left_behind", "other_deprived", "rest")
MAX_POUNDS = 1e12  # a trillion pounds: far above any real pot, far below float trouble
#: The IMD's steepness: its exponential constant 23 scales ranks to 0-100 with k = 100 / 23.
IMD_STEEPNESS = 100.0 / EXPONENTIAL_CONSTANT
NEED_INDICES = ("combined", "cni", "imd")


class AllocationParams(BaseModel):
    """Parameters of the formula; amounts in pounds (converted to pence exactly)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    budget: float = Field(ge=0.01, le=MAX_POUNDS, description="total pot in pounds over all years")
    years: int = Field(ge=1, le=50)
    groups: tuple[str, ...] = Field(("left_behind",), description="eligible identify() groups")
    need: Literal["exponential", "ranks", "scores", "equal"] = "exponential"
    steepness: float = Field(
        IMD_STEEPNESS, gt=0, le=50, description="k of the exponential transform (IMD: 100/23)"
    )
    need_index: Literal["combined", "cni", "imd"] = "combined"
    cni_weight: float = Field(0.5, ge=0, le=1, description="weight of CNI in need (rest IMD)")
    floor: float | None = Field(
        None, ge=0, le=MAX_POUNDS, description="minimum per area over all years (£)"
    )
    cap: float | None = Field(
        None, ge=0.01, le=MAX_POUNDS, description="maximum per area over all years (£)"
    )
    capacity_share: float = Field(0.1, ge=0, le=1, description="capacity-building share")
    capital_share: float = Field(0.3, ge=0, le=1, description="capital share of the rest")
    profile: Literal["flat", "front_loaded", "table"] = "flat"
    profile_table: tuple[float, ...] | None = Field(
        None, description="yearly weights when profile='table' (one per year, summing > 0)"
    )

    @field_validator("groups")
    @classmethod
    def _known_groups(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [g for g in value if g not in GROUP_CHOICES]
        if bad or not value:
            raise ValueError(f"groups must be among {', '.join(GROUP_CHOICES)}")
        return tuple(dict.fromkeys(value))


NEEDS = ("exponential", "ranks", "scores", "equal")
PROFILES = ("flat", "front_loaded", "table")


def make_params(**kwargs) -> AllocationParams:
    """Build parameters, turning validation errors into one-line ``InvalidInput`` (an unknown
    ``need`` or ``profile``: ``UnknownName`` listing the choices)."""
    for name, valid in (("need", NEEDS), ("profile", PROFILES), ("need_index", NEED_INDICES)):
        if name in kwargs and kwargs[name] not in valid:
            raise UnknownName(f"unknown {name} {kwargs[name]!r}; choose one of: {', '.join(valid)}")
    try:
        params = AllocationParams(**kwargs)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "parameters"
        raise InvalidInput(
            f"allocation parameter {where}: {err['msg']}; fix the value",
            parameter=str(err["loc"][0]) if err["loc"] else None,
        ) from None
    if params.profile == "table":
        table = params.profile_table
        if table is None or len(table) != params.years:
            raise InvalidInput(
                f"profile table needs {params.years} yearly weights, got "
                f"{0 if table is None else len(table)}; give one weight per year",
                parameter="profile_table",
            )
        if (
            not all(math.isfinite(w) and w >= 0 for w in table)
            or not math.isfinite(sum(table))
            or sum(table) <= 0
        ):
            raise InvalidInput(
                "profile table weights must be finite numbers >= 0 with a positive sum; fix them",
                parameter="profile_table",
            )
    return params


def year_weights(params: AllocationParams) -> np.ndarray:
    n = params.years
    if params.profile == "flat":
        return np.ones(n)
    if params.profile == "front_loaded":
        return np.arange(n, 0, -1, dtype=float)
    return np.asarray(params.profile_table, dtype=float)


def capacity_weights(years: int) -> np.ndarray:
    """Front-loaded: year 1 gets ``years`` parts, the last year one part."""
    return np.arange(years, 0, -1, dtype=float)


def exponential_need(scaled: np.ndarray, steepness: float = IMD_STEEPNESS) -> np.ndarray:
    """The IMD's exponential transform of scaled ranks ``R`` in (0, 1] (1 = most need):
    ``-(100 / k) ln(1 - R (1 - exp(-k)))``, from ~0 to 100; ``k = 100 / 23`` is the IMD's.

    >>> [round(float(x), 2) for x in exponential_need(np.array([1.0, 0.9, 0.5]))]
    [100.0, 50.43, 15.65]
    """
    k = float(steepness)
    with np.errstate(invalid="ignore", divide="ignore"):
        return -(100.0 / k) * np.log1p(-scaled * -np.expm1(-k))


def need_weights(areas: pd.DataFrame, params: AllocationParams) -> np.ndarray:
    """Need weight per row (mean 1 over the rows given): ranks are scaled against the highest
    rank present, scores against their mean, so pass every area of the edition."""
    n = len(areas)
    if n == 0:
        return np.zeros(0)
    if params.need == "equal":
        return np.ones(n)
    if params.need in ("ranks", "exponential"):
        parts = []
        for col in ("cni_rank", "imd_rank"):
            rank = pd.to_numeric(areas[col], errors="coerce").to_numpy(float)
            total = np.nanmax(rank) if np.isfinite(rank).any() else 1.0
            scaled = (total + 1 - rank) / total
            if params.need == "exponential":
                scaled = exponential_need(scaled, params.steepness)
            parts.append(np.where(np.isfinite(rank), scaled, np.nan))
    else:
        parts = []
        for col in ("cni_score", "imd_score"):
            if col not in areas:
                raise InvalidInput(
                    f"need 'scores' requires a {col} column; use --need ranks or rebuild the store",
                    parameter="need",
                )
            score = pd.to_numeric(areas[col], errors="coerce").to_numpy(float)
            mean = np.nanmean(score) if np.isfinite(score).any() else np.nan
            parts.append(
                score / mean if mean and np.isfinite(mean) and mean > 0 else score * np.nan
            )
    cni, imd = parts
    weight = {"cni": 1.0, "imd": 0.0}.get(params.need_index, params.cni_weight)
    combined = weight * cni + (1 - weight) * imd
    # an area missing one index is judged on the other
    combined = np.where(np.isnan(cni), imd, np.where(np.isnan(imd), cni, combined))
    combined = np.where(np.isfinite(combined) & (combined > 0), combined, np.nan)
    if np.isnan(combined).all():
        return np.ones(n)
    combined = np.where(np.isnan(combined), np.nanmin(combined), combined)
    return combined / combined.mean()


def water_fill(raw: np.ndarray, total: float, floor: float, cap: float) -> np.ndarray:
    """x_i = clip(lambda * raw_i, floor, cap) with sum(x) = total (raw >= 0)."""
    n = len(raw)
    if n * floor > total + 1e-9 or n * cap < total - 1e-9:
        raise ValueError("infeasible")
    if np.all(raw <= 0):
        raw = np.ones(n)
    # A sliver of weight for areas with none (population 0), so money the others cannot take
    # under their caps still has somewhere to go; it changes other shares by ~1e-9.
    raw = raw + raw.max() * 1e-9
    lo, hi = 0.0, 1.0
    while np.clip(hi * raw, floor, cap).sum() < total:
        hi *= 2.0
        if hi > 1e300:
            break
    for _ in range(200):
        mid = (lo + hi) / 2
        if np.clip(mid * raw, floor, cap).sum() < total:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 1e-15 * hi:
            break
    x = np.clip(hi * raw, floor, cap)
    # spread the tiny remaining error over areas strictly inside their bounds
    residual = total - x.sum()
    free = (x > floor) & (x < cap) if residual > 0 else (x > floor)
    if residual != 0 and free.any():
        x[free] += (
            residual * raw[free] / raw[free].sum() if raw[free].sum() > 0 else residual / free.sum()
        )
        x = np.clip(x, floor, cap)
    return x


def largest_remainder(
    values: np.ndarray,
    totals: np.ndarray,
    upper: np.ndarray | int | None = None,
    tiebreak: np.ndarray | None = None,
    lower: np.ndarray | int = 0,
) -> np.ndarray:
    """Integer rows summing exactly to ``totals`` (one per row), from non-negative real ``values``.

    Each row's values are floored (and kept within ``lower`` and ``upper``), then the units left
    over go one at a time to the largest fractional parts (ties: larger ``tiebreak`` first, then
    earlier position), never past a cell's bound; a unit too many is taken back from the
    smallest fractional parts. Rounds repeat until every row hits its total, which is possible
    whenever ``sum(lower) <= total <= sum(upper)``.

    >>> largest_remainder(np.array([[1 / 3, 1 / 3, 1 / 3]]) * 100, np.array([100])).tolist()
    [[34, 33, 33]]
    >>> largest_remainder(np.array([[0.5, 0.5, 3.0]]), np.array([5]), upper=2).tolist()
    [[2, 1, 2]]
    """
    values = np.atleast_2d(np.asarray(values, dtype=float))
    totals = np.asarray(totals, dtype=np.int64).reshape(-1)
    rows, cols = values.shape
    hi = np.broadcast_to(
        np.iinfo(np.int64).max if upper is None else np.asarray(upper, dtype=np.int64),
        (rows, cols),
    )
    lo = np.broadcast_to(np.asarray(lower, dtype=np.int64), (rows, cols))
    too_low = lo.sum(axis=1) > totals
    too_high = False if upper is None else hi.sum(axis=1) < totals
    if np.any(too_low | too_high):
        raise ValueError("infeasible bounds for largest remainder")
    out = np.clip(np.floor(values + 1e-9).astype(np.int64), lo, hi)
    tb = np.broadcast_to(
        np.zeros(cols) if tiebreak is None else np.atleast_2d(tiebreak)[0], (rows, cols)
    )
    position = np.broadcast_to(np.arange(cols), (rows, cols))
    while True:  # every round moves each unbalanced row at least one unit closer
        deficit = totals - out.sum(axis=1)
        if not deficit.any():
            return out
        adding = (deficit > 0)[:, None]
        frac = values - out
        # Adding: largest remainders first; taking back: smallest remainders first.
        room = np.where(adding, out < hi, out > lo)
        key = np.where(room, np.where(adding, frac, -frac), -np.inf)
        order = np.lexsort((position, -tb, -key), axis=-1)
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, position.copy(), axis=1)
        amount = np.minimum(np.abs(deficit), room.sum(axis=1))[:, None]
        if not amount.any():  # pragma: no cover - excluded by the feasibility check above
            raise AssertionError("largest remainder failed to hit totals")
        out = out + np.where(rank < amount, np.where(adding, 1, -1), 0)


def _pounds(pence: int) -> str:
    sign = "-" if pence < 0 else ""
    pence = abs(int(pence))
    return f"{sign}£{pence // 100:,}.{pence % 100:02d}"


def pounds_text(pence: int) -> str:
    """'1234.56' from 123456 pence (exact, for CSV/JSON)."""
    sign = "-" if pence < 0 else ""
    pence = abs(int(pence))
    return f"{sign}{pence // 100}.{pence % 100:02d}"


class Allocation:
    """The result: ``areas`` (one row per eligible area) and ``yearly`` (area x year), pence."""

    def __init__(self, params: AllocationParams, areas: pd.DataFrame, yearly: pd.DataFrame):
        self.params = params
        self.areas = areas
        self.yearly = yearly

    @property
    def total_pence(self) -> int:
        return int(self.areas["total_pence"].sum())


def area_totals(
    areas: pd.DataFrame, params: AllocationParams
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray, np.ndarray]:
    """The eligible areas, their need weights (mean 1), populations and totals in pence
    (steps 1-4 of the formula)."""
    missing = {"code", "group", "population"} - set(areas.columns)
    if missing:
        raise InvalidInput(
            f"areas frame lacks {', '.join(sorted(missing))}; pass identify() output"
        )
    # need is judged against every area of the edition, then normalised over the eligible
    areas = areas.reset_index(drop=True)
    mask = areas["group"].isin(params.groups).to_numpy()
    need_all = need_weights(areas, params)
    eligible = areas[mask].reset_index(drop=True)
    if eligible.empty:
        raise InvalidInput(
            f"no areas in groups {', '.join(params.groups)}; widen eligibility (e.g. "
            "--include-other-deprived)",
            parameter="groups",
        )
    n = len(eligible)
    budget_p = round(params.budget * 100)
    floor_p = round(params.floor * 100) if params.floor is not None else 0
    cap_p = round(params.cap * 100) if params.cap is not None else budget_p
    if params.floor is not None and params.cap is not None and floor_p > cap_p:
        raise InvalidInput(
            f"floor £{params.floor:,.2f} is above cap £{params.cap:,.2f}; lower the floor or "
            "raise the cap",
            parameter="floor",
        )
    if n * floor_p > budget_p:
        raise InvalidInput(
            f"infeasible: {n} areas x floor {_pounds(floor_p)} = {_pounds(n * floor_p)} exceeds "
            f"the budget {_pounds(budget_p)}; lower the floor or raise the budget",
            parameter="floor",
        )
    if n * cap_p < budget_p:
        raise InvalidInput(
            f"infeasible: {n} areas x cap {_pounds(cap_p)} = {_pounds(n * cap_p)} is less than "
            f"the budget {_pounds(budget_p)}; raise the cap, widen eligibility or lower the budget",
            parameter="cap",
        )
    need = need_all[mask]
    need = need / need.mean() if need.mean() > 0 else np.ones(n)
    population = pd.to_numeric(eligible["population"], errors="coerce").fillna(0).to_numpy(float)
    population = np.clip(population, 0, None)
    raw = population * need
    x = water_fill(raw, float(budget_p), float(floor_p), float(cap_p))
    # Leftover pennies go first to the larger population x need, then to the larger need, so an
    # area with more need and the same population never receives less (even at population 0).
    priority = np.lexsort((need, raw)).argsort()
    total = largest_remainder(
        x[None, :], np.array([budget_p]), upper=cap_p, tiebreak=priority[None, :], lower=floor_p
    )[0]
    return eligible, need, population, total


def part_totals(budget_p: int, params: AllocationParams) -> tuple[int, int, int]:
    """The stated capacity-building, capital and revenue amounts in pence (exact, summing to
    the budget).

    >>> part_totals(200_000_000, make_params(budget=2e6, years=10))
    (20000000, 54000000, 126000000)
    """
    capacity = round(budget_p * params.capacity_share)
    capital = round((budget_p - capacity) * params.capital_share)
    return capacity, capital, budget_p - capacity - capital


def round_table(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Integer table with row sums ``rows`` and column sums ``cols`` (equal grand totals), each
    cell its exact proportional value ``rows_i x cols_j / total`` rounded down or up.

    Cells start at their floors; the units each row and column still lack are matched by a
    maximum flow (rows -> cells with a fractional part -> columns), which always succeeds for
    integer margins (Bacharach 1966; Cox 1987 'controlled rounding').

    >>> round_table(np.array([1, 1, 1]), np.array([2, 1])).tolist()
    [[1, 0], [1, 0], [0, 1]]
    """
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import maximum_flow

    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    grand = int(rows.sum())
    if grand != int(cols.sum()) or (rows < 0).any() or (cols < 0).any():
        raise ValueError("row and column totals must be non-negative with equal sums")
    n, k = len(rows), len(cols)
    if grand == 0:
        return np.zeros((n, k), dtype=np.int64)
    # exact floors and remainders in integers: rows_i x cols_j = q x grand + r
    if int(rows.max()) * int(cols.max()) < 2**62:  # exact in 64-bit integers
        prod = rows[:, None] * cols[None, :]
    else:  # a trillion-pound pot: exact in Python integers
        prod = rows[:, None].astype(object) * cols[None, :].astype(object)
    base = np.asarray(prod // grand, dtype=np.int64)
    frac = np.asarray(prod % grand != 0, dtype=bool)
    need_r = rows - base.sum(axis=1)
    need_c = cols - base.sum(axis=0)
    units = int(need_r.sum())
    if units == 0:
        return base
    ri, cj = np.nonzero(frac)
    src, sink = 0, n + k + 1
    heads = np.concatenate([np.zeros(n, np.int64), 1 + ri, 1 + n + np.arange(k)])
    tails = np.concatenate([1 + np.arange(n), 1 + n + cj, np.full(k, sink)])
    caps = np.concatenate([need_r, np.ones(len(ri), np.int64), need_c]).astype(np.int32)
    graph = csr_matrix((caps, (heads, tails)), shape=(n + k + 2, n + k + 2))
    flow = maximum_flow(graph, src, sink)
    if flow.flow_value != units:  # pragma: no cover - impossible for integer margins
        raise AssertionError("controlled rounding failed")
    used = np.asarray(flow.flow[1 + ri, 1 + n + cj]).reshape(-1) > 0
    out = base.copy()
    np.add.at(out, (ri[used], cj[used]), 1)
    return out


def allocate(areas: pd.DataFrame, params: AllocationParams) -> Allocation:
    """Allocate over the ``identify()`` frame ``areas`` (needs code, name, group, population,
    cni_rank, imd_rank; ``cni_score``/``imd_score`` for ``need='scores'``)."""
    eligible, need, population, total = area_totals(areas, params)
    n = len(eligible)
    budget_p = int(total.sum())
    floor_p = round(params.floor * 100) if params.floor is not None else 0
    cap_p = round(params.cap * 100) if params.cap is not None else budget_p

    # split: the parts' stated totals exactly, every area's parts summing to its total; rounded
    # in code order, so the result does not depend on the order the areas come in
    order = np.argsort(eligible["code"].astype(str).to_numpy(), kind="stable")
    back = np.empty_like(order)
    back[order] = np.arange(n)

    def table(rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        return round_table(rows[order], cols)[back]

    parts = table(total, np.array(part_totals(budget_p, params)))
    capacity, capital, revenue = parts[:, 0], parts[:, 1], parts[:, 2]

    years = params.years
    yw = year_weights(params)
    cw = capacity_weights(years)

    def by_year(amounts: np.ndarray, weights: np.ndarray) -> np.ndarray:
        stated = largest_remainder((weights / weights.sum() * amounts.sum())[None, :],
                                   np.array([amounts.sum()]))[0]  # fmt: skip
        return table(amounts, stated)

    cap_y = by_year(capacity, cw)
    capital_y = by_year(capital, yw)
    revenue_y = by_year(revenue, yw)

    names = eligible["name"] if "name" in eligible else eligible["code"]
    per_area = pd.DataFrame(
        {
            "code": eligible["code"],
            "name": names,
            "group": eligible["group"],
            "population": population.astype(np.int64),
            "need_weight": np.round(need, 4),
            "cni_rank": eligible.get("cni_rank"),
            "imd_rank": eligible.get("imd_rank"),
            "total_pence": total,
            "capital_pence": capital,
            "revenue_pence": revenue,
            "capacity_building_pence": capacity,
            "at_floor": (params.floor is not None) & (total <= floor_p),
            "at_cap": (params.cap is not None) & (total >= cap_p),
        }
    )
    per_area["explanation"] = [_explain(row, params) for row in per_area.itertuples(index=False)]
    year_index = np.arange(1, years + 1)
    yearly = pd.DataFrame(
        {
            "code": np.repeat(eligible["code"].to_numpy(), years),
            "name": np.repeat(names.to_numpy(), years),
            "year": np.tile(year_index, n),
            "capital": capital_y.reshape(-1),
            # revenue excludes capacity building, as in the per-area figures
            "revenue": revenue_y.reshape(-1),
            "capacity_building": cap_y.reshape(-1),
        }
    )
    yearly["total"] = yearly["capital"] + yearly["revenue"] + yearly["capacity_building"]
    return Allocation(params, per_area, yearly)


def _fmt_rank(value) -> str:
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return "n/a"


def _explain(row, params: AllocationParams) -> str:
    yrs = f"{params.years} year" + ("s" if params.years != 1 else "")
    text = (
        f"{row.name} receives {_pounds(row.total_pence)} over {yrs}: population "
        f"{row.population:,}, need weight {row.need_weight:.2f} "
    )
    if params.need == "equal":
        text += "(equal need for every eligible area)"
    else:
        text += f"(CNI rank {_fmt_rank(row.cni_rank)}, IMD rank {_fmt_rank(row.imd_rank)})"
    text += (
        f"; {_pounds(row.capital_pence)} capital and {_pounds(row.revenue_pence)} revenue, "
        f"including {_pounds(row.capacity_building_pence)} for community capacity building "
        "front-loaded in the early years"
    )
    if row.at_cap:
        text += f"; limited by the cap of {_pounds(round(params.cap * 100))}"
    elif row.at_floor:
        text += f"; raised to the floor of {_pounds(round(params.floor * 100))}"
    else:
        text += "; share in proportion to population x need"
    return text + "."


def attach_scores(con, edition: str, areas: pd.DataFrame) -> pd.DataFrame:
    """Add ``cni_score``, ``civic_assets_rank`` and ``engaged_community_rank`` from the edition's
    CNI table (for ``need='scores'`` and the bidding model)."""
    from leftbehind.editions import get_edition

    ed = get_edition(edition)
    geography, table = ed.geography, ed.cni_table
    cols = {r[0] for r in con.execute(f"DESCRIBE {table}").fetchall()}
    want = [c for c in ("cni_score", "civic_assets_rank", "engaged_community_rank") if c in cols]
    extra = con.execute(f"SELECT {geography}_code AS code, {', '.join(want)} FROM {table}").df()
    keep = [c for c in want if c not in areas.columns]
    return areas.merge(extra[["code", *keep]], on="code", how="left") if keep else areas


def edition_areas(con, edition: str) -> pd.DataFrame:
    """The edition's ``identify()`` frame with the CNI scores and civic ranks attached (what
    the formula and the bidding model read)."""
    from leftbehind.identify import identify

    return attach_scores(con, edition, identify(con, edition))


def allocate_edition(con, edition: str, params: AllocationParams) -> Allocation:
    """Allocate over an edition's areas from the store."""
    return allocate(edition_areas(con, edition), params)


AMOUNT_COLUMNS = ("capital", "revenue", "capacity_building", "total")


def _yearly_rows(allocation: Allocation) -> tuple[list, list[dict]]:
    """The codes of ``yearly`` and its rows (year and amounts in pounds), column-wise fast."""
    y = allocation.yearly
    amounts = [[pounds_text(v) for v in y[c].tolist()] for c in AMOUNT_COLUMNS]
    rows = [
        {"year": int(year), **dict(zip(AMOUNT_COLUMNS, values, strict=True))}
        for year, *values in zip(y["year"].tolist(), *amounts, strict=True)
    ]
    return y["code"].tolist(), rows


def to_rows(allocation: Allocation) -> list[dict]:
    """CSV rows: code,name,year,capital,revenue,capacity_building,total in pounds (exact)."""
    codes, rows = _yearly_rows(allocation)
    names = allocation.yearly["name"].tolist()
    return [
        {"code": code, "name": name, **row}
        for code, name, row in zip(codes, names, rows, strict=True)
    ]


AREA_COLUMNS = {
    "code": "code",
    "name": "name",
    "group": "group",
    "population": "population",
    "need_weight": "need_weight",
    "total": "total_pence",
    "capital": "capital_pence",
    "revenue": "revenue_pence",
    "capacity_building": "capacity_building_pence",
    "explanation": "explanation",
}


def to_json(allocation: Allocation) -> dict:
    """Parameters, totals and per area the amounts by year with a plain-words explanation."""
    codes, rows = _yearly_rows(allocation)
    by_code: dict[str, list[dict]] = {}
    for code, row in zip(codes, rows, strict=True):
        by_code.setdefault(code, []).append(row)
    frame = allocation.areas
    columns = [frame[c].tolist() for c in AREA_COLUMNS.values()]
    areas = []
    for values in zip(*columns, strict=True):
        rec = dict(zip(AREA_COLUMNS, values, strict=True))
        rec["population"] = int(rec["population"])
        rec["need_weight"] = float(rec["need_weight"])
        for key in AMOUNT_COLUMNS:
            rec[key] = pounds_text(rec[key])
        rec["years"] = by_code.get(rec["code"], [])
        areas.append(rec)
    return {
        "parameters": allocation.params.model_dump(),
        "total": pounds_text(allocation.total_pence),
        "areas_funded": len(areas),
        "areas": areas,
    }
