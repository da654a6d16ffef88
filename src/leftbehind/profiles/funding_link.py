"""Dimension 9 (funding and investment): grant money per head from the funding module.

There is no published small-area funding source. When 360Giving grants have been imported
(they live in the community database; the observatory hands them to the profile as a
``grants`` view on its store connection) the funding module's
:func:`leftbehind.funding.summary.area_grants` gives money per area of the edition's geography;
this spreads each area's amount over its small areas by population so an area's value
aggregates like any rate (sum of money / sum of residents). The comparators (left behind, other
deprived, nation) are the funding module's own :func:`~leftbehind.funding.summary.group_totals`,
so the profile and the grants summary share one population base. Without grants: ``None``, and
the profile says 'no data yet'. A value is never invented.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np

from leftbehind.funding.summary import area_grants, group_totals
from leftbehind.profiles import values


@dataclass(frozen=True)
class GrantData:
    """Grant money per small area of the edition's base and per head in each comparator."""

    amounts: np.ndarray  # money placed in each small area of ``data.base``
    comparators: dict[str, float]  # left_behind, other_deprived, nation (nan: no population)


def _spread_to_base(data: values.EditionData, per_unit: np.ndarray) -> np.ndarray:
    """Each edition area's money shared over its small areas by population."""
    units = data.units[values.EDITION_GEOGRAPHY[data.edition]]
    unit_pop = units.matrix @ data.population
    member_unit = np.full(len(data.base), -1)
    coo = units.matrix.tocoo()
    member_unit[coo.col] = coo.row
    ok = member_unit >= 0
    share = np.zeros(len(data.base))
    with np.errstate(invalid="ignore", divide="ignore"):
        share[ok] = data.population[ok] / unit_pop[member_unit[ok]]
    share = np.nan_to_num(share)
    return np.where(ok, per_unit[np.maximum(member_unit, 0)] * share, 0.0)


def grant_data(con: duckdb.DuckDBPyConnection, data: values.EditionData) -> GrantData | None:
    """The edition's grant money (cached on ``data``), or ``None`` when no grant is placed."""
    token = None
    if "grants" in values._tables(con):
        token = tuple(
            con.execute("SELECT count(*), sum(amount_gbp), max(identifier) FROM grants").fetchall()[
                0
            ]
        )
    cached = getattr(data, "_grant_data", None)
    if cached is not None and cached[0] == token:
        return cached[1]
    result = None
    if token is not None and token[0]:
        per_area = area_grants(con, data.edition)
        if float(per_area["grants"].sum()) > 0:
            units = data.units[values.EDITION_GEOGRAPHY[data.edition]]
            per_unit = (
                per_area.groupby("code")["amount_gbp"].sum().reindex(units.codes).fillna(0.0)
            ).to_numpy(float)
            comparators = {
                name: float("nan") if t["per_head"] is None else t["per_head"]
                for name, t in group_totals(per_area).items()
            }
            result = GrantData(_spread_to_base(data, per_unit), comparators)
    data._grant_data = (token, result)
    return result


def grants_per_head(
    con: duckdb.DuckDBPyConnection, data: values.EditionData, rows: np.ndarray
) -> tuple[float, dict[str, float], float | None] | None:
    """(value, comparators, percentile among edition areas) or None when no grants exist."""
    grants = grant_data(con, data)
    if grants is None:
        return None
    amounts, pop = grants.amounts, data.population
    total = float(pop[rows].sum())
    value = float(amounts[rows].sum()) / total if total > 0 else float("nan")
    units = data.units[values.EDITION_GEOGRAPHY[data.edition]]
    with np.errstate(invalid="ignore", divide="ignore"):
        unit_vals = (units.matrix @ amounts) / (units.matrix @ pop)
    pct = values.percentile_in(np.sort(unit_vals[np.isfinite(unit_vals)]), value)
    return value, dict(grants.comparators), None if np.isnan(pct) else round(pct, 1)
