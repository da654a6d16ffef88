"""Boundary and vintage comparison: the 2019 ward list against the 2023 LSOA list.

The two lists use different areas (2017 wards built from 2011 LSOAs; 2021 LSOAs). They are
compared on common pieces: every (LSOA 2011, LSOA 2021) pair of ``lookup_lsoa11_lsoa21_ltla22``,
each carrying the mid-2019 population of its 2011 LSOA (split equally between the 2021 LSOAs
when a 2011 LSOA was split). A piece is in the 2019 list when its 2011 LSOA's ward
(``lookup_lsoa11_ward17``) is left behind, and in the 2023 list when its 2021 LSOA is.

* a 2019 ward is ``persisted`` when at least half its population lives in 2023 left-behind
  LSOAs, ``dropped`` otherwise; a ward not on the 2019 list but at least half covered is
  ``newly_identified``;
* a 2023 LSOA is ``persisted`` when at least half its population was in 2019 left-behind
  wards, ``newly_identified`` otherwise; a 2023 LSOA not on the list but at least half in 2019
  left-behind wards is ``dropped``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd

from leftbehind.editions import ENGLAND_2019_WARD, ENGLAND_2023_LSOA
from leftbehind.errors import UnknownName
from leftbehind.robustness.choices import default_choices
from leftbehind.robustness.engine import nominal
from leftbehind.robustness.inputs import _need, load_inputs

#: The two editions compared: the 2019 ward list and the 2023 LSOA list.
VINTAGES = (ENGLAND_2019_WARD.id, ENGLAND_2023_LSOA.id)
Basis = Literal["published", "recomputed"]
BASES = ("published", "recomputed")
COVERED = 0.5
STATUSES = ("persisted", "dropped", "newly_identified", "neither")


@dataclass
class VintageComparison:
    basis: str
    wards: pd.DataFrame
    lsoas: pd.DataFrame
    summary: dict[str, Any]


def _lists(con: duckdb.DuckDBPyConnection, basis: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    if basis not in BASES:
        raise UnknownName(f"unknown basis {basis!r}; choose one of: {', '.join(BASES)}")
    frames = []
    for edition in VINTAGES:
        inputs = load_inputs(con, edition)
        if basis == "published":
            flags = inputs.published
        else:
            flags = nominal(inputs, default_choices(edition)).left_behind[0]
        frames.append(
            pd.DataFrame({"code": inputs.codes, "name": inputs.names, "left_behind": flags})
        )
    return frames[0], frames[1]


def _status(listed: pd.Series, covered: pd.Series, labels: tuple[str, str, str]) -> np.ndarray:
    """labels for (listed & covered, listed only, covered only); otherwise 'neither'."""
    return np.select(
        [listed & covered, listed & ~covered, ~listed & covered], list(labels), "neither"
    ).astype(object)


def _coverage(
    areas: pd.DataFrame, pieces: pd.DataFrame, key: str, other: str, labels: tuple[str, str, str]
) -> pd.DataFrame:
    """Each area with the share of its population on the other vintage's list (``other``) and
    its status: ``labels`` for (on both, on this list only, covered by the other list only)."""
    this = "2019" if other == "2023" else "2023"
    other_pop = f"pop_{other}"
    by_area = pieces.groupby(key)[["population", other_pop]].sum()
    out = areas.merge(by_area, left_on="code", right_index=True, how="left").fillna(
        {"population": 0.0, other_pop: 0.0}
    )
    share = f"share_in_{other}_list"
    out[share] = np.where(
        out["population"] > 0,
        out[other_pop] / out["population"].where(out["population"] > 0, 1),
        0.0,
    )
    out["status"] = _status(out["left_behind"], out[share] >= COVERED, labels)
    return out.rename(
        columns={"left_behind": f"left_behind_{this}", other_pop: f"population_in_{other}_list"}
    )


def compare_vintages(
    con: duckdb.DuckDBPyConnection, basis: Basis = "published"
) -> VintageComparison:
    """Which 2019 left-behind wards' populations are covered by 2023 left-behind LSOAs, and
    which 2023 LSOAs lie in 2019 left-behind wards."""
    wards, lsoas = _lists(con, basis)
    _need(con, "lookup_lsoa11_lsoa21_ltla22", "lookup_lsoa11_ward17", "population19_lsoa11")
    pieces = con.execute(
        """
        SELECT l.lsoa11_code, l.lsoa21_code, w.ward17_code, p.total_population AS pop11,
               count(*) OVER (PARTITION BY l.lsoa11_code) AS n_children
        FROM lookup_lsoa11_lsoa21_ltla22 l
        JOIN lookup_lsoa11_ward17 w USING (lsoa11_code)
        JOIN population19_lsoa11 p USING (lsoa11_code)
        WHERE l.lsoa11_code LIKE 'E%'
        """
    ).df()
    pieces["population"] = pieces["pop11"].astype(np.float64) / pieces["n_children"]
    lb19 = set(wards.loc[wards["left_behind"], "code"])
    lb23 = set(lsoas.loc[lsoas["left_behind"], "code"])
    pieces["in_2019"] = pieces["ward17_code"].isin(lb19)
    pieces["in_2023"] = pieces["lsoa21_code"].isin(lb23)
    pieces["pop_2019"] = pieces["population"] * pieces["in_2019"]
    pieces["pop_2023"] = pieces["population"] * pieces["in_2023"]

    w = _coverage(
        wards, pieces, "ward17_code", "2023", ("persisted", "dropped", "newly_identified")
    )
    s = _coverage(
        lsoas, pieces, "lsoa21_code", "2019", ("persisted", "newly_identified", "dropped")
    )

    both = float((pieces["in_2019"] & pieces["in_2023"]).mul(pieces["population"]).sum())
    only19 = float((pieces["in_2019"] & ~pieces["in_2023"]).mul(pieces["population"]).sum())
    only23 = float((~pieces["in_2019"] & pieces["in_2023"]).mul(pieces["population"]).sum())

    def counts(frame: pd.DataFrame) -> dict[str, int]:
        vc = frame["status"].value_counts()
        return {k: int(vc.get(k, 0)) for k in STATUSES}

    summary = {
        "basis": basis,
        "wards_2019_left_behind": len(lb19),
        "lsoas_2023_left_behind": len(lb23),
        "ward_status": counts(w),
        "lsoa_status": counts(s),
        "population_2019_list": round(both + only19),
        "population_2023_list": round(both + only23),
        "population_persisted": round(both),
        "population_dropped": round(only19),
        "population_newly_identified": round(only23),
        "share_of_2019_population_persisting": (both / (both + only19)) if both + only19 else None,
        "population_basis": "ONS mid-2019 LSOA 2011 estimates, split equally between the 2021 "
        "LSOAs of a split 2011 LSOA",
        "covered_if_share_at_least": COVERED,
    }
    cols_w = [
        "code",
        "name",
        "left_behind_2019",
        "population",
        "population_in_2023_list",
        "share_in_2023_list",
        "status",
    ]
    cols_s = [
        "code",
        "name",
        "left_behind_2023",
        "population",
        "population_in_2019_list",
        "share_in_2019_list",
        "status",
    ]
    return VintageComparison(
        basis, w[cols_w].reset_index(drop=True), s[cols_s].reset_index(drop=True), summary
    )
