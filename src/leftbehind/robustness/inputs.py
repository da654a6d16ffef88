"""The arrays the robustness engine needs for one edition, read once from the store.

What is read is declared on the edition (``Edition.cni_table`` and ``Edition.robustness``):

* with a ``ward_lookup`` (``england-2019-ward``): CNI 2019 domain ranks of the 7,433 wards (2017
  boundaries), IMD 2019 domain ranks of the 32,844 LSOAs (2011 boundaries), and sparse LSOA ->
  ward aggregation matrices (rows: wards; population-weighted for each population year, and
  count-weighted for the proportion measure) built from ``lookup_lsoa11_ward17``;
* without (``england-2023-lsoa``, ``england-2025-lsoa``): CNI 2023 and IMD 2025 domain ranks of
  the 33,755 LSOAs (2021 boundaries); no aggregation.

An edition without a published list (``published_count`` None) has no published flags.

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

from leftbehind.editions import EDITIONS
from leftbehind.errors import InvalidInput, StoreMissing, some_of
from leftbehind.indices.transform import exponential_transform
from leftbehind.indices.weights import get_index
from leftbehind.robustness.choices import CNI_DOMAINS, POPULATION_YEARS, edition_spec

#: Edition -> (CNI table, area code column, area name column), from the declarations.
CNI_TABLES = {
    e.id: (e.cni_table, e.robustness.cni_code_column, e.robustness.cni_name_column)
    for e in EDITIONS.values()
    if e.robustness is not None
}
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
        raise InvalidInput(f"{what}: missing ranks in {some_of(list(bad))}")
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
    ed = edition_spec(edition)
    robustness = ed.robustness
    assert robustness is not None
    table, code, name = ed.cni_table, robustness.cni_code_column, robustness.cni_name_column
    spec = get_index(robustness.imd_index)
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
    if ed.has_published_list:
        published = cni["published_left_behind"].fillna(False).to_numpy(dtype=bool)
    else:  # the CNI's flags belong to another edition's list
        published = np.zeros(len(cni), dtype=bool)
    codes = cni["code"].astype(str).to_numpy()
    names = cni["name"].astype(str).to_numpy()

    lookup_table = robustness.ward_lookup
    if lookup_table is None:
        # Areas are the LSOAs themselves: align the IMD columns on the CNI's areas.
        position = pd.Series(np.arange(len(imd)), index=imd["code"].astype(str))
        where = position.reindex(codes)
        missing = where.isna().to_numpy()
        if missing.any():
            raise InvalidInput(
                f"{missing.sum()} {table} areas have no {robustness.imd_index} ranks (e.g. "
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

    _need(con, lookup_table, *POPULATION_TABLES.values())
    lookup = con.execute(f"SELECT {spec.code} AS small, {code} AS area FROM {lookup_table}").df()
    lsoa_pos = pd.Series(np.arange(len(imd)), index=imd["code"].astype(str))
    ward_pos = pd.Series(np.arange(len(codes)), index=codes)
    col = lsoa_pos.reindex(lookup["small"].astype(str)).to_numpy()
    row = ward_pos.reindex(lookup["area"].astype(str)).to_numpy()
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
