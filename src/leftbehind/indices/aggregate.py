"""Summary measures of deprivation for higher geographies, from small-area (LSOA) results.

Definitions from the English Indices of Deprivation 2019 Research Report (MHCLG, 2019),
section 2.3 and the Technical Report, appendix A ("Summary measures for larger areas"):

* **Average score**: "the population weighted average of the combined scores for the LSOAs in a
  larger area".
* **Average rank**: "the population weighted average of the combined ranks for the LSOAs in a
  larger area" (rank 1 = most deprived, so a lower average rank is more deprived).
* **Proportion of LSOAs in the most deprived 10% nationally**: "the proportion of LSOAs in a
  larger area that are in the most deprived 10 per cent of LSOAs nationally".
* **Extent**: "the proportion of the local population that live in areas classified as among the
  most deprived in the country"; "the population living in the most deprived 10 per cent of
  LSOAs receive a weight of 1.0, those in the 11th to 30th percentiles receive a sliding
  weight, ranging from 0.95 for those in the 11th percentile, to 0.05 for those in the 30th".
* **Local concentration**: "the population weighted average of the ranks of a larger area's most
  deprived LSOAs that contain exactly 10 per cent of the larger area's population".

The percentile of an LSOA is ``ceil(100 * rank / N)`` (1 = most deprived 1%). The sliding extent
weight is linear between 0.95 at the 11th and 0.05 at the 30th percentile
(``EXTENT_SCHEME = "linear"``); ``"step"`` (0.95, 0.90, ... 0.00) is kept for comparison.
"""

from __future__ import annotations

from typing import Literal

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray

from leftbehind.errors import InvalidInput
from leftbehind.indices.imd import imd_from_store
from leftbehind.indices.transform import decile_of_rank
from leftbehind.indices.weights import get_index

ExtentScheme = Literal["linear", "step"]
EXTENT_SCHEME: ExtentScheme = "linear"
LOCAL_CONCENTRATION_SHARE = 0.10

MEASURES = [
    "average_score",
    "average_rank",
    "proportion",
    "extent",
    "local_concentration",
    "population",
]


def percentile_of_rank(rank: ArrayLike, n: int) -> NDArray[np.int64]:
    """National percentile (1 = most deprived 1%) of ranks out of ``n``.

    >>> percentile_of_rank([1, 100, 101, 1000], 1000).tolist()
    [1, 10, 11, 100]
    """
    r = np.asarray(rank, dtype=np.float64)
    return np.ceil(r * 100.0 / n - 1e-9).astype(np.int64)


def extent_weight(
    rank: ArrayLike, n: int, scheme: ExtentScheme = EXTENT_SCHEME
) -> NDArray[np.float64]:
    """Extent weight of each small area: 1 in the most deprived 10%, sliding to 0.05 at the
    30th percentile, 0 beyond.

    >>> extent_weight([1, 11, 30, 31], 100).round(4).tolist()
    [1.0, 0.95, 0.05, 0.0]
    """
    p = percentile_of_rank(rank, n).astype(np.float64)
    if scheme == "linear":
        sliding = 0.95 - (p - 11.0) * (0.90 / 19.0)
    elif scheme == "step":
        sliding = 1.0 - (p - 10.0) * 0.05
    else:
        raise InvalidInput(f"unknown extent scheme {scheme!r}; choose linear or step")
    return np.where(p <= 10, 1.0, np.where(p <= 30, sliding, 0.0))


def local_concentration(
    rank: ArrayLike, population: ArrayLike, share: float = LOCAL_CONCENTRATION_SHARE
) -> float:
    """Population-weighted average rank of an area's most deprived small areas holding exactly
    ``share`` of its population (the small area straddling the cut counts in part).

    >>> local_concentration([10, 20, 30], [50, 50, 900])
    15.0
    """
    r = np.asarray(rank, dtype=np.float64)
    w = np.asarray(population, dtype=np.float64)
    order = np.argsort(r, kind="stable")
    r, w = r[order], w[order]
    target = share * w.sum()
    if target <= 0:
        return float("nan")
    before = np.cumsum(w) - w
    used = np.clip(target - before, 0.0, w)
    return float((used * r).sum() / target)


def summary_measures(
    small: pd.DataFrame,
    n_national: int,
    *,
    by: str = "code",
    score: str = "score",
    rank: str = "rank",
    population: str = "population",
    scheme: ExtentScheme = EXTENT_SCHEME,
) -> pd.DataFrame:
    """The MHCLG summary measures for every group ``by`` of small areas (pure; no store).

    ``small`` holds one row per small area with its group, score, national rank (1 = most
    deprived, out of ``n_national``) and population. Returns one row per group with columns
    ``average_score, average_rank, proportion, extent, local_concentration, population,
    n_areas``, indexed by the group.
    """
    needed = [by, score, rank, population]
    missing = [c for c in needed if c not in small.columns]
    if missing:
        raise InvalidInput(f"summary_measures needs columns {', '.join(missing)}")
    df = pd.DataFrame(
        {
            "g": small[by].to_numpy(),
            "score": small[score].to_numpy(dtype=np.float64),
            "rank": small[rank].to_numpy(dtype=np.float64),
            "pop": small[population].to_numpy(dtype=np.float64),
        }
    )
    if (df["pop"] < 0).any():
        raise InvalidInput("populations must not be negative")
    df["deprived"] = decile_of_rank(df["rank"].to_numpy(), n_national) == 1
    df["ext"] = extent_weight(df["rank"].to_numpy(), n_national, scheme)
    df["ps"] = df["pop"] * df["score"]
    df["pr"] = df["pop"] * df["rank"]
    df["pe"] = df["pop"] * df["ext"]

    # Local concentration, vectorised: within each group, most deprived first.
    df = df.sort_values(["g", "rank"], kind="stable")
    grouped = df.groupby("g", sort=True)
    total = grouped["pop"].transform("sum")
    before = grouped["pop"].cumsum() - df["pop"]
    target = LOCAL_CONCENTRATION_SHARE * total
    df["lc"] = np.clip(target - before, 0.0, df["pop"]) * df["rank"]

    sums = grouped[["pop", "ps", "pr", "pe", "lc"]].sum()
    pop = sums["pop"].replace(0.0, np.nan)
    out = pd.DataFrame(
        {
            "average_score": sums["ps"] / pop,
            "average_rank": sums["pr"] / pop,
            "proportion": grouped["deprived"].mean(),
            "extent": sums["pe"] / pop,
            "local_concentration": sums["lc"] / (LOCAL_CONCENTRATION_SHARE * pop),
            "population": sums["pop"],
            "n_areas": grouped.size(),
        }
    )
    out.index.name = by
    return out


def small_area_frame(
    con: duckdb.DuckDBPyConnection, index: str, population_table: str | None = None
) -> tuple[pd.DataFrame, int]:
    """Every small area of ``index`` with its computed score and rank and its population.

    Returns ``(frame, n)`` where ``frame`` has ``code, score, rank, decile, population`` and
    ``n`` is the national number of small areas. ``population_table`` overrides the index's
    default population (e.g. ``population19_lsoa11``).
    """
    spec = get_index(index)
    imd = imd_from_store(con, index)
    table = population_table or spec.population_table
    column = spec.population_column if population_table is None else "total_population"
    pops = con.execute(
        f"SELECT {spec.population_code} AS code, {column} AS population FROM {table}"
    ).df()
    pops["code"] = pops["code"].astype("str")
    frame = imd.merge(pops, on="code", how="left")
    return frame, len(imd)


def aggregate(
    con: duckdb.DuckDBPyConnection,
    index: str,
    to: str,
    *,
    population_table: str | None = None,
    scheme: ExtentScheme = EXTENT_SCHEME,
) -> pd.DataFrame:
    """Summary measures of ``index`` (``imd-2019`` | ``imd-2025``) for every area of ``to``.

    Columns: ``code, name, average_score, average_rank, proportion, extent,
    local_concentration, population`` (one row per area, sorted by code). Unknown index or
    geography -> :class:`~leftbehind.errors.UnknownName` listing the valid ones.
    """
    spec = get_index(index)
    sql = spec.geography_sql(to)
    frame, n = small_area_frame(con, index, population_table)
    lookup = con.execute(sql).df()
    lookup["small"] = lookup["small"].astype("str")
    joined = frame.merge(lookup, left_on="code", right_on="small", suffixes=("_small", ""))
    measures = summary_measures(joined, n, by="code", scheme=scheme)
    names = joined.groupby("code")["name"].first()
    out = measures.join(names).reset_index()
    return out[["code", "name", *MEASURES]].sort_values("code").reset_index(drop=True)
