"""Dimension 9 (funding and investment): grant money per head from the funding module.

There is no published small-area funding source. When 360Giving grants have been imported
(table ``grants``) the funding module's ``grant_totals(con, edition)`` gives money per area of
the edition's geography; this spreads each area's amount over its small areas by population and
then aggregates like any rate (sum of money / sum of residents). Without grants: ``None``, and
the profile says 'no data yet'. A value is never invented.
"""

from __future__ import annotations

import duckdb
import numpy as np

from leftbehind.profiles import values


def _base_amounts(con: duckdb.DuckDBPyConnection, data: values.EditionData) -> np.ndarray | None:
    cached = getattr(data, "_grant_amounts", "unset")
    if not isinstance(cached, str):
        return cached
    amounts = None
    if "grants" in values._tables(con):
        try:
            from leftbehind.funding.summary import grant_totals
        except ImportError:
            grant_totals = None
        if grant_totals is not None:
            totals = grant_totals(con, data.edition)
            if totals is not None and len(totals) and float(totals["grants"].sum()) > 0:
                units = data.units[values.EDITION_GEOGRAPHY[data.edition]]
                per_unit = (
                    totals.groupby("code")["amount_gbp"].sum().reindex(units.codes).fillna(0.0)
                ).to_numpy(float)
                unit_pop = units.matrix @ data.population
                share = np.zeros(len(data.base))
                member_unit = np.full(len(data.base), -1)
                coo = units.matrix.tocoo()
                member_unit[coo.col] = coo.row
                ok = member_unit >= 0
                with np.errstate(invalid="ignore", divide="ignore"):
                    share[ok] = data.population[ok] / unit_pop[member_unit[ok]]
                share = np.nan_to_num(share)
                amounts = np.where(ok, per_unit[np.maximum(member_unit, 0)] * share, 0.0)
    data._grant_amounts = amounts
    return amounts


def grants_per_head(
    con: duckdb.DuckDBPyConnection, data: values.EditionData, rows: np.ndarray
) -> tuple[float, dict[str, float], float | None] | None:
    """(value, comparators, percentile among edition areas) or None when no grants exist."""
    amounts = _base_amounts(con, data)
    if amounts is None:
        return None
    pop = data.population

    def per_head(mask_or_rows) -> float:
        total = float(pop[mask_or_rows].sum())
        return float(amounts[mask_or_rows].sum()) / total if total > 0 else float("nan")

    comps = {
        "left_behind": per_head(data.group == "left_behind"),
        "other_deprived": per_head(data.group == "other_deprived"),
        "nation": per_head(np.ones(len(pop), bool)),
    }
    value = per_head(rows)
    units = data.units[values.EDITION_GEOGRAPHY[data.edition]]
    with np.errstate(invalid="ignore", divide="ignore"):
        unit_vals = (units.matrix @ amounts) / (units.matrix @ pop)
    ref = np.sort(unit_vals[np.isfinite(unit_vals)])
    pct = None
    if len(ref) and np.isfinite(value):
        lo, hi = np.searchsorted(ref, value, "left"), np.searchsorted(ref, value, "right")
        pct = round(100.0 * (lo + 0.5 * (hi - lo)) / len(ref), 1)
    return value, comps, pct
