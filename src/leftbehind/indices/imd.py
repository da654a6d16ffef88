"""Compute the Index of Multiple Deprivation from published domain ranks.

English Indices of Deprivation 2019 Technical Report (MHCLG, 2019), section 3.9: the domain
ranks are exponentially transformed,

    "X = -23 ln(1 - R(1 - exp(-100/23)))  where R is the rank of the LSOA, scaled to the range
     [0,1], with R = 1/N for the least deprived, and R = N/N, that is, R = 1, for the most
     deprived LSOA",

then "the transformed domain scores were combined using the domain weights" into the IMD score,
which is ranked so that "the LSOA with a rank of 1 is the most deprived". Deciles are "calculated
by ranking the 32,844 neighbourhoods in England from most deprived to least deprived and
dividing them into 10 equal groups".
"""

from __future__ import annotations

from collections.abc import Mapping

import duckdb
import numpy as np
import pandas as pd
from numpy.typing import NDArray

from leftbehind.errors import InvalidInput
from leftbehind.indices.transform import decile_of_rank, exponential_transform, rank_descending
from leftbehind.indices.weights import IndexSpec, get_index


def combine_domain_ranks(
    ranks: pd.DataFrame, weights: Mapping[str, float], n: int | None = None
) -> NDArray[np.float64]:
    """Weighted sum of exponentially transformed domain ranks (the IMD score).

    ``ranks`` holds one column per domain named as in ``weights`` (1 = most deprived);
    ``n`` defaults to the number of rows (the national count of small areas).

    >>> df = pd.DataFrame({"a": [1, 2], "b": [1, 2]})
    >>> combine_domain_ranks(df, {"a": 0.5, "b": 0.5}).round(3).tolist()
    [100.0, 15.647]
    """
    missing = [d for d in weights if d not in ranks.columns]
    if missing:
        raise InvalidInput(f"domain rank columns missing: {', '.join(missing)}")
    n = len(ranks) if n is None else n
    total = np.zeros(len(ranks), dtype=np.float64)
    for domain, weight in weights.items():
        r = ranks[domain].to_numpy(dtype=np.float64)
        if np.isnan(r).any():
            raise InvalidInput(f"domain {domain!r} has missing ranks")
        total += weight * exponential_transform(r, n)
    return total


def score_rank_decile(codes: pd.Series | list[str], scores: NDArray[np.float64]) -> pd.DataFrame:
    """Rank scores (1 = highest = most deprived; ties broken by code) and assign deciles."""
    out = pd.DataFrame({"code": pd.Series(codes, dtype="str").to_numpy(), "score": scores})
    out = out.sort_values("code", kind="stable").reset_index(drop=True)
    out["rank"] = rank_descending(out["score"].to_numpy())
    out["decile"] = decile_of_rank(out["rank"].to_numpy(), len(out))
    return out


def compute_imd(domain_ranks: pd.DataFrame, spec: IndexSpec, code: str = "code") -> pd.DataFrame:
    """IMD score, rank and decile for every area of ``domain_ranks`` (pure; no store).

    ``domain_ranks`` has a ``code`` column and the rank columns named in ``spec``.
    Returns ``code, score, rank, decile`` sorted by code.
    """
    renamed = domain_ranks.rename(columns={c: d for d, c in spec.rank_columns.items()})
    scores = combine_domain_ranks(renamed, spec.weights)
    return score_rank_decile(domain_ranks[code], scores)


def imd_from_store(con: duckdb.DuckDBPyConnection, index: str) -> pd.DataFrame:
    """Compute ``index`` (e.g. ``imd-2019``) for every LSOA from the domain ranks in the store.

    Returns ``code, score, rank, decile`` plus ``published_rank`` (and ``published_score``
    where the source has one) for validation.
    """
    spec = get_index(index)
    cols = [spec.code, *spec.rank_columns.values()]
    published = [c for c in (spec.published_rank, spec.published_score) if c]
    sql = f"SELECT {', '.join(dict.fromkeys(cols + published))} FROM {spec.table}"
    df = con.execute(sql).df()
    out = compute_imd(df, spec, code=spec.code)
    extra = df[[spec.code, *published]].rename(columns={spec.code: "code"})
    rename = {}
    if spec.published_rank:
        rename[spec.published_rank] = "published_rank"
    if spec.published_score:
        rename[spec.published_score] = "published_score"
    extra = extra.rename(columns=rename)
    extra["code"] = extra["code"].astype("str")
    return out.merge(extra, on="code", how="left")
