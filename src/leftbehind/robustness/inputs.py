"""The arrays the robustness engine needs for one edition, read once from the store.

* ``england-2019-ward``: CNI 2019 domain ranks of the 7,433 wards (2017 boundaries), IMD 2019
  domain ranks of the 32,844 LSOAs (2011 boundaries), and sparse LSOA -> ward aggregation
  matrices (rows: wards; population-weighted for each population year, and count-weighted for
  the proportion measure) built from ``lookup_lsoa11_ward17``.
* ``england-2023-lsoa``: CNI 2023 and IMD 2025 domain ranks of the 33,755 LSOAs (2021
  boundaries); no aggregation.

Domain ranks are exponentially transformed once here (``leftbehind.indices.transform``); a draw
only multiplies them by its weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import scipy.sparse as sp
from numpy.typing import NDArray

from leftbehind.errors import InvalidInput, StoreMissing
from leftbehind.indices.transform import exponential_transform
from leftbehind.indices.weights import get_index
from leftbehind.robustness.choices import (
    CNI_DOMAINS,
    EDITION_INDICES,
    POPULATION_YEARS,
    check_edition,
)

CNI_TABLES = {
    "england-2019-ward": ("cni2019_england_ward17", "ward17_code", "ward17_name"),
    "england-2023-lsoa": ("cni2023_england_lsoa21", "lsoa21_code", "lsoa21_name"),
}
WARD_LOOKUP = "lookup_lsoa11_ward17"
POPULATION_TABLES = {year: f"population{year[2:]}_lsoa11" for year in POPULATION_YEARS}


@dataclass(frozen=True)
class EditionInputs:
    """Everything a draw needs, as arrays aligned on the areas (sorted by code)."""

    edition: str
    codes: NDArray[np.str_]
    names: NDArray[np.str_]
    published: NDArray[np.bool_]
    cni_exp_t: NDArray[np.float64]  # (3, N) transformed CNI domain ranks
    imd_exp_t: NDArray[np.float64]  # (7, L) transformed IMD domain ranks of the LSOAs
    imd_missing: NDArray[np.bool_]  # (N,) areas without any LSOA (no IMD)
    population: dict[str, sp.csr_matrix] | None = None  # year -> (N, L) row-normalised
    counts: sp.csr_matrix | None = None  # (N, L) row-normalised LSOA counts

    @property
    def n_areas(self) -> int:
        return len(self.codes)

    @property
    def n_lsoa(self) -> int:
        return self.imd_exp_t.shape[1]

    @property
    def aggregated(self) -> bool:
        return self.population is not None


def _exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = ?", [table]
    ).fetchone()
    return bool(found and found[0])


def _need(con: duckdb.DuckDBPyConnection, *tables: str) -> None:
    missing = [t for t in tables if not _exists(con, t)]
    if missing:
        raise StoreMissing(
            f"the store lacks table(s) {', '.join(missing)}; rebuild it with 'leftbehind build'"
        )


def _ranks(frame: pd.DataFrame, columns: list[str], what: str) -> NDArray[np.float64]:
    values = frame[columns].to_numpy(dtype=np.float64, na_value=np.nan)
    if np.isnan(values).any():
        bad = [c for c in columns if frame[c].isna().any()]
        raise InvalidInput(f"{what}: missing ranks in {', '.join(bad)}")
    return values


def _transform(ranks: NDArray[np.float64]) -> NDArray[np.float64]:
    n = ranks.shape[0]
    return np.ascontiguousarray(
        np.stack([exponential_transform(ranks[:, j], n) for j in range(ranks.shape[1])])
    )


def _row_normalise(m: sp.csr_matrix) -> sp.csr_matrix:
    sums = np.asarray(m.sum(axis=1)).ravel()
    inv = np.divide(1.0, sums, out=np.zeros_like(sums), where=sums > 0)
    return sp.csr_matrix(sp.diags(inv) @ m)


def load_inputs(con: duckdb.DuckDBPyConnection, edition: str) -> EditionInputs:
    """Read ``edition``'s domain ranks (and aggregation matrices) from the store."""
    check_edition(edition)
    table, code, name = CNI_TABLES[edition]
    spec = get_index(EDITION_INDICES[edition])
    _need(con, table, spec.table)
    cni_cols = [f"{d}_rank" for d in CNI_DOMAINS]
    cni = con.execute(
        f"SELECT {code} AS code, {name} AS name, {', '.join(cni_cols)}, "
        f"published_left_behind FROM {table} ORDER BY code"
    ).df()
    imd_cols = list(spec.rank_columns.values())
    imd = con.execute(
        f"SELECT {spec.code} AS code, {', '.join(imd_cols)} FROM {spec.table} ORDER BY code"
    ).df()
    cni_exp = _transform(_ranks(cni, cni_cols, table))
    imd_exp = _transform(_ranks(imd, imd_cols, spec.table))
    published = cni["published_left_behind"].fillna(False).to_numpy(dtype=bool)
    codes = cni["code"].astype(str).to_numpy()
    names = cni["name"].astype(str).to_numpy()

    if edition == "england-2023-lsoa":
        # Areas are the LSOAs themselves: align the IMD columns on the CNI's areas.
        position = pd.Series(np.arange(len(imd)), index=imd["code"].astype(str))
        where = position.reindex(codes)
        missing = where.isna().to_numpy()
        if missing.any():
            raise InvalidInput(
                f"{missing.sum()} CNI 2023 LSOAs have no IMD 2025 ranks (e.g. "
                f"{codes[missing][0]}); the two sources should cover the same LSOAs"
            )
        aligned = imd_exp[:, where.to_numpy(dtype=np.int64)]
        return EditionInputs(
            edition,
            codes,
            names,
            published,
            cni_exp,
            np.ascontiguousarray(aligned),
            np.zeros(len(codes), dtype=bool),
        )

    _need(con, WARD_LOOKUP, *POPULATION_TABLES.values())
    lookup = con.execute(f"SELECT lsoa11_code, ward17_code FROM {WARD_LOOKUP}").df()
    lsoa_pos = pd.Series(np.arange(len(imd)), index=imd["code"].astype(str))
    ward_pos = pd.Series(np.arange(len(codes)), index=codes)
    col = lsoa_pos.reindex(lookup["lsoa11_code"].astype(str)).to_numpy()
    row = ward_pos.reindex(lookup["ward17_code"].astype(str)).to_numpy()
    keep = ~(np.isnan(col) | np.isnan(row))
    row, col = row[keep].astype(np.int64), col[keep].astype(np.int64)
    shape = (len(codes), len(imd))
    counts = sp.csr_matrix((np.ones(len(row)), (row, col)), shape=shape)
    population = {}
    for year, pop_table in POPULATION_TABLES.items():
        pops = con.execute(f"SELECT lsoa11_code, total_population FROM {pop_table}").df()
        pop = pd.Series(
            pops["total_population"].to_numpy(dtype=np.float64, na_value=np.nan),
            index=pops["lsoa11_code"].astype(str),
        )
        weights = pop.reindex(imd["code"].astype(str)).to_numpy()[col]
        if np.isnan(weights).any() or (weights < 0).any():
            raise InvalidInput(f"{pop_table}: missing or negative populations for LSOAs")
        population[year] = _row_normalise(sp.csr_matrix((weights, (row, col)), shape=shape))
    imd_missing = np.asarray(counts.sum(axis=1)).ravel() == 0
    return EditionInputs(
        edition,
        codes,
        names,
        published,
        cni_exp,
        imd_exp,
        imd_missing,
        population,
        _row_normalise(counts),
    )
