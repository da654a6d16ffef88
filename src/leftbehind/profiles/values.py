"""Indicator values for any set of small areas, with correct denominators.

Every indicator is stored per small area (LSOA) as a numerator and a denominator, so the value
for any group of small areas is ``sum(numerator) / sum(denominator)``:

* rates: the count (e.g. people in income deprivation) over the population in the right age band,
  never an average of rates;
* scores, shares and distances published only as values: numerator ``value x population``,
  denominator ``population`` (a population-weighted mean);
* a small area whose value is missing (suppressed counts) adds nothing to either side.

``EditionData`` is built once per store and edition (vectorised, ~1 s) and cached; a profile is
then a sparse matrix product over the area's small areas.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
from scipy import sparse

from leftbehind.editions import EDITIONS, ProfileSpec, get_edition
from leftbehind.errors import StoreMissing
from leftbehind.profiles import framework

GROUPS = ("left_behind", "other_deprived", "rest")
COMPARATORS = ("left_behind", "other_deprived", "nation")

#: Per profiled edition (``Edition.profile`` declared): the small-area ("base") geography and
#: the table and column listing its areas.
BASE = {
    e.id: {"type": e.profile.small_area, "codes": (e.profile.imd_table, e.profile.imd_code_column)}
    for e in EDITIONS.values()
    if e.profile is not None
}
#: The geography identification uses in each profiled edition.
EDITION_GEOGRAPHY = {e.id: e.geography for e in EDITIONS.values() if e.profile is not None}
TYPE_WORDS = {
    "lsoa11": "neighbourhood (LSOA 2011)",
    "lsoa21": "neighbourhood (LSOA 2021)",
    "ward17": "ward (2017)",
    "ward24": "ward (2024)",
    "ltla19": "local authority (2019)",
    "ltla24": "local authority (2024)",
    "msoa11": "neighbourhood (MSOA 2011)",
    "dz11": "data zone (2011)",
    "iz11": "intermediate zone (2011)",
    "soa11": "super output area",
    "ltla20": "council area (2020)",
    "lgd14": "local government district (2014)",
    "region": "region",
    "custom": "custom area",
}


@dataclass
class Units:
    """One geography of an edition: its areas and which small areas make each of them."""

    type: str
    codes: pd.Index
    names: np.ndarray
    la_codes: np.ndarray
    la_names: np.ndarray
    matrix: sparse.csr_matrix  # units x base, 1 where the small area belongs to the unit
    values: np.ndarray = field(repr=False, default=None)  # units x indicators
    sorted_values: list[np.ndarray] = field(repr=False, default_factory=list)

    def position(self, code: str) -> int:
        return int(self.codes.get_loc(code))


@dataclass
class EditionData:
    edition: str
    indicators: pd.DataFrame  # framework rows with method != grants
    base: pd.Index
    num: np.ndarray  # base x indicators
    den: np.ndarray
    population: np.ndarray  # base
    group: np.ndarray  # base: group of the small area ('' when unknown)
    units: dict[str, Units]
    comparators: dict[str, np.ndarray]  # comparator -> indicator values
    comparator_population: dict[str, float]
    group_areas: dict[str, int] = field(default_factory=dict)  # areas per group (identification)
    #: False where no small-area population is mirrored (each small area then counts once)
    has_population: bool = True

    def aggregate(self, rows: np.ndarray) -> np.ndarray:
        """Values of every indicator over the given base rows (sum num / sum den)."""
        num = self.num[rows].sum(axis=0)
        den = self.den[rows].sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)

    def percentile(self, unit_type: str, values: np.ndarray) -> np.ndarray:
        """National percentile of ``values`` among the areas of ``unit_type`` (0-100, 100 =
        highest value), half-counting ties."""
        units = self.units[unit_type]
        return np.array(
            [percentile_in(units.sorted_values[j], value) for j, value in enumerate(values)],
            dtype=float,
        )


def percentile_in(ref: np.ndarray, value: float) -> float:
    """Percentile of ``value`` in the sorted array ``ref`` (0-100, ties half-counted; nan when
    ``value`` is nan or ``ref`` empty).

    >>> percentile_in(np.array([1.0, 2.0, 2.0, 3.0]), 2.0)
    50.0
    """
    if np.isnan(value) or len(ref) == 0:
        return float("nan")
    lo = np.searchsorted(ref, value, side="left")
    hi = np.searchsorted(ref, value, side="right")
    return float(100.0 * (lo + 0.5 * (hi - lo)) / len(ref))


# ---------------------------------------------------------------------------------------------
# building


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {
        r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
    }


def _df(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> pd.DataFrame:
    return con.execute(sql, params or []).df()


def _age_columns(lo_hi: tuple[int, int | None] | None) -> list[str]:
    lo, hi = lo_hi
    top = 89 if hi is None else min(hi, 89)
    cols = [f"age_{a}" for a in range(lo, top + 1)]
    if hi is None or hi >= 90:
        cols.append("age_90_plus")
    return cols


def _profile_spec(edition: str) -> ProfileSpec:
    """The declared ``profile`` of ``edition`` (an unknown or unprofiled edition: UnknownName)."""
    spec = get_edition(edition).profile
    if spec is None:
        from leftbehind.errors import UnknownName

        raise UnknownName(
            f"profiles cover editions {', '.join(BASE)}; {edition!r} is not one of them"
        )
    return spec


def _populations(
    con: duckdb.DuckDBPyConnection, edition: str, base: pd.Index, bands: set[str]
) -> dict[str, np.ndarray]:
    """Population of each small area in each age band named by the framework, as the edition's
    ``profile`` declares it.

    Without an ``age_mix_table`` (2019 ward edition: ONS mid-2017, closest to the IMD 2019 data
    years) the ``population_table`` holds single-year ages per small area. With one (the LSOA
    2021 editions: Census 2021 residents per LSOA21), age bands are estimated by applying the age
    mix of the ``age_mix_table`` LSOA11 estimates (mid-2019) carried to LSOA21 through the ONS
    LSOA11->LSOA21 lookup (a split LSOA11 shares its mix with each part).
    """
    spec = _profile_spec(edition)
    key = f"{spec.small_area}_code"
    out: dict[str, np.ndarray] = {}
    if spec.population_table is None:
        # No small-area population mirrored (Northern Ireland): every small area counts once.
        return {band: np.ones(len(base)) for band in bands | {"ages:all"}}
    if spec.age_mix_table is None:
        where = f" where {spec.population_where}" if spec.population_where else ""
        pop = _df(con, f'select * from "{spec.population_table}"{where}')
        pop = pop.set_index(key).reindex(base)
        out["ages:all"] = pop["total_population"].to_numpy(float)
        for band in bands - {"ages:all"}:
            out[band] = pop[_age_columns(framework.parse_ages(band))].sum(axis=1).to_numpy(float)
    else:
        residents = _df(con, f'select {key}, residents from "{spec.population_table}"')
        residents = residents.set_index(key)["residents"].reindex(base).astype(float)
        out["ages:all"] = residents.to_numpy(float)
        ages = _df(con, f'select * from "{spec.age_mix_table}"').set_index("lsoa11_code")
        link = _df(con, "select lsoa11_code, lsoa21_code from lookup_lsoa11_lsoa21_ltla22")
        link["w"] = 1.0 / link.groupby("lsoa11_code")["lsoa21_code"].transform("count")
        link = link[link["lsoa11_code"].isin(ages.index)]
        total = (ages.loc[link["lsoa11_code"], "total_population"].to_numpy(float)) * link[
            "w"
        ].to_numpy()
        denom = pd.Series(total, index=link["lsoa21_code"].to_numpy()).groupby(level=0).sum()
        for band in bands - {"ages:all"}:
            cols = _age_columns(framework.parse_ages(band))
            part = ages.loc[link["lsoa11_code"], cols].sum(axis=1).to_numpy(float)
            part = pd.Series(part * link["w"].to_numpy(), index=link["lsoa21_code"].to_numpy())
            share = (part.groupby(level=0).sum() / denom).reindex(base)
            out[band] = (share * residents).to_numpy(float)
    for band, arr in out.items():
        out[band] = np.nan_to_num(arr, nan=0.0)
    return out


def _source_values(
    con: duckdb.DuckDBPyConnection, edition: str, row: pd.Series, base: pd.Index, cache: dict
) -> pd.Series:
    """The indicator's published value per small area (a ward value is spread to its LSOAs)."""
    table, column = row["source_table"], row["source_column"]
    key_col = f"{row['geography']}_code"
    if table not in cache:
        cache[table] = _df(con, f'select * from "{table}"').set_index(key_col)
    series = cache[table][column]
    if row["geography"] == "ward17":
        link = cache.setdefault(
            "_lsoa11_ward17",
            _df(con, "select lsoa11_code, ward17_code from lookup_lsoa11_ward17").set_index(
                "lsoa11_code"
            )["ward17_code"],
        )
        return pd.Series(series.reindex(link.reindex(base)).to_numpy(), index=base)
    small_area = _profile_spec(edition).small_area
    if row["geography"] != small_area:
        sql = framework.LINKS[(small_area, row["geography"])]
        pairs = cache.setdefault(sql, _df(con, sql))
        linked = pd.Series(series.reindex(pairs["other"]).to_numpy(float), index=pairs["small"])
        return linked.groupby(level=0).mean().reindex(base)
    return series.reindex(base)


def _census(con: duckdb.DuckDBPyConnection, row: pd.Series, base: pd.Index):
    column, op, values = _parse_census(row["numerator"])
    table = row["source_table"]
    data = _df(
        con,
        f'select lsoa21_code, "{column}" as cat, n, "{row["denominator"]}" as total from "{table}"',
    )
    hit = data["cat"].isin(values)
    if op == "!=":
        hit = ~hit
    num = data[hit].groupby("lsoa21_code")["n"].sum().reindex(base)
    den = data.groupby("lsoa21_code")["total"].first().reindex(base)
    return num.to_numpy(float), den.to_numpy(float)


def _parse_census(spec: str) -> tuple[str, str, list[str]]:
    op = "!=" if "!=" in spec else "="
    column, values = spec.split(op, 1)
    return column, op, values.split("|")


def numerators_denominators(
    con: duckdb.DuckDBPyConnection, edition: str, indicators: pd.DataFrame, base: pd.Index
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per small area and indicator: numerator, denominator; and the total population."""
    bands = set(indicators.loc[indicators["method"] != "census", "denominator"]) | {"ages:all"}
    pops = _populations(con, edition, base, bands)
    num = np.zeros((len(base), len(indicators)))
    den = np.zeros((len(base), len(indicators)))
    cache: dict = {}
    for j, (_, row) in enumerate(indicators.iterrows()):
        method = row["method"]
        if method == "census":
            n, d = _census(con, row, base)
        else:
            values = _source_values(con, edition, row, base, cache).to_numpy(float)
            weight = pops[row["denominator"]]
            if method == "rate":
                n, d = values, weight
            elif method == "decile_share":
                n = np.where(np.isnan(values), np.nan, (values == 1) * weight)
                d = weight
            else:  # mean
                n, d = values * weight, weight
        ok = ~(np.isnan(n) | np.isnan(d)) & (d > 0)
        num[:, j] = np.where(ok, n, 0.0)
        den[:, j] = np.where(ok, d, 0.0)
    return num, den, pops["ages:all"]


def _membership(base: pd.Index, unit_of_base: pd.Series, codes: pd.Index) -> sparse.csr_matrix:
    rows = codes.get_indexer(unit_of_base.reindex(base).to_numpy())
    cols = np.arange(len(base))
    keep = rows >= 0
    data = np.ones(int(keep.sum()))
    return sparse.csr_matrix((data, (rows[keep], cols[keep])), shape=(len(codes), len(base)))


def _unit_tables(con: duckdb.DuckDBPyConnection, edition: str, base: pd.Index) -> dict[str, dict]:
    """For each geography: areas (code, name, la_code, la_name) and base -> area code, in the
    edition's declared ``profile.hierarchy``."""
    specs: dict[str, dict] = {}
    spec = _profile_spec(edition)
    if spec.hierarchy == "declared":
        return _declared_units(con, edition, base)
    if spec.hierarchy == "lsoa11-ward17-ltla19":
        la = _df(
            con,
            "select lsoa11_code, lsoa11_name, ltla19_code, ltla19_name from lookup_lsoa11_ltla19",
        )
        la = la.drop_duplicates("lsoa11_code").set_index("lsoa11_code").reindex(base)
        specs["lsoa11"] = {
            "areas": pd.DataFrame(
                {
                    "name": la["lsoa11_name"],
                    "la_code": la["ltla19_code"],
                    "la_name": la["ltla19_name"],
                },
                index=base,
            ),
            "link": pd.Series(base, index=base),
        }
        wards = _df(
            con,
            "select ward17_code, ward17_name, lad19_code, lad19_name from cni2019_england_ward17",
        )
        link = _df(con, "select lsoa11_code, ward17_code from lookup_lsoa11_ward17")
        specs["ward17"] = {
            "areas": wards.set_index("ward17_code").rename(
                columns={"ward17_name": "name", "lad19_code": "la_code", "lad19_name": "la_name"}
            ),
            "link": link.drop_duplicates("lsoa11_code").set_index("lsoa11_code")["ward17_code"],
        }
        las = la.dropna(subset=["ltla19_code"]).drop_duplicates("ltla19_code")
        specs["ltla19"] = {
            "areas": pd.DataFrame(
                {
                    "name": las["ltla19_name"].to_numpy(),
                    "la_code": las["ltla19_code"].to_numpy(),
                    "la_name": las["ltla19_name"].to_numpy(),
                },
                index=pd.Index(las["ltla19_code"].to_numpy()),
            ),
            "link": la["ltla19_code"],
        }
        region = _df(
            con, "select ltla19_code, region19_code, region19_name from lookup_ltla19_region19"
        )
        la_region = la["ltla19_code"].map(
            region.drop_duplicates("ltla19_code").set_index("ltla19_code")["region19_code"]
        )
        regions = region.drop_duplicates("region19_code").set_index("region19_code")
    else:
        look = _df(con, "select * from lookup_lsoa21_ward24_ltla24").drop_duplicates("lsoa21_code")
        look = look.set_index("lsoa21_code").reindex(base)
        specs["lsoa21"] = {
            "areas": pd.DataFrame(
                {
                    "name": look["lsoa21_name"],
                    "la_code": look["ltla24_code"],
                    "la_name": look["ltla24_name"],
                },
                index=base,
            ),
            "link": pd.Series(base, index=base),
        }
        wards = look.dropna(subset=["ward24_code"]).drop_duplicates("ward24_code")
        specs["ward24"] = {
            "areas": pd.DataFrame(
                {
                    "name": wards["ward24_name"].to_numpy(),
                    "la_code": wards["ltla24_code"].to_numpy(),
                    "la_name": wards["ltla24_name"].to_numpy(),
                },
                index=pd.Index(wards["ward24_code"].to_numpy()),
            ),
            "link": look["ward24_code"],
        }
        las = look.dropna(subset=["ltla24_code"]).drop_duplicates("ltla24_code")
        specs["ltla24"] = {
            "areas": pd.DataFrame(
                {
                    "name": las["ltla24_name"].to_numpy(),
                    "la_code": las["ltla24_code"].to_numpy(),
                    "la_name": las["ltla24_name"].to_numpy(),
                },
                index=pd.Index(las["ltla24_code"].to_numpy()),
            ),
            "link": look["ltla24_code"],
        }
        region = _df(
            con,
            "select ltla24_code, region24_code as region19_code, "
            "region24_name as region19_name from lookup_ltla24_region24",
        )
        la_region = look["ltla24_code"].map(
            region.drop_duplicates("ltla24_code").set_index("ltla24_code")["region19_code"]
        )
        regions = region.drop_duplicates("region19_code").set_index("region19_code")
    specs["region"] = {
        "areas": pd.DataFrame(
            {"name": regions["region19_name"], "la_code": "", "la_name": ""}, index=regions.index
        ),
        "link": la_region,
    }
    return specs


def _declared_units(
    con: duckdb.DuckDBPyConnection, edition: str, base: pd.Index
) -> dict[str, dict]:
    """The geographies of a ``declared`` hierarchy (``ProfileSpec.levels``), and the nation as
    the one region."""
    ed = get_edition(edition)
    specs: dict[str, dict] = {}
    for level in ed.profile.levels:
        rows = _df(con, level.sql).drop_duplicates("small")
        rows = rows[rows["small"].isin(base)]
        areas = rows.drop_duplicates("code").set_index("code")[["name", "la_code", "la_name"]]
        specs[level.type] = {"areas": areas, "link": rows.set_index("small")["code"]}
    specs["region"] = {
        "areas": pd.DataFrame(
            {"name": [ed.nation], "la_code": [""], "la_name": [""]},
            index=pd.Index([ed.country_code]),
        ),
        "link": pd.Series(ed.country_code, index=base),
    }
    return specs


def _groups(con: duckdb.DuckDBPyConnection, edition: str) -> pd.Series:
    """code -> group ('left_behind', 'other_deprived', 'rest') at the edition's geography."""
    if "identification" in _tables(con):
        ident = _df(con, 'select code, "group" from identification where edition = ?', [edition])
        if len(ident):
            return ident.set_index("code")["group"]
    try:
        from leftbehind.identify import identify
    except ImportError as exc:
        raise StoreMissing(
            "the store has no 'identification' table and leftbehind.identify is not installed; "
            "rebuild the store with 'leftbehind build'"
        ) from exc
    return identify(con, edition).set_index("code")["group"]


INPUTS_TABLE = "profile_inputs"
TABLE_DOCS = {
    INPUTS_TABLE: {
        "inputs_key": "Hash of what the arrays depend on: the edition's profile specification, "
        "its indicator rows and its small areas (editions with the same inputs share one)",
        "name": "num, den (small areas x indicators) or population (small areas)",
        "data": "The array in NumPy's .npy format (float64)",
    }
}


def inputs_key(edition: str, indicators: pd.DataFrame, base: pd.Index) -> str:
    """What an edition's numerators and denominators depend on, as a short hash."""
    import hashlib

    spec = get_edition(edition).profile
    digest = hashlib.blake2b(digest_size=12)
    digest.update(spec.model_dump_json().encode() if spec is not None else b"none")
    digest.update(indicators.to_csv(index=False).encode())
    digest.update("\n".join(map(str, base)).encode())
    return digest.hexdigest()


def _npy(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, np.ascontiguousarray(array, dtype=np.float64), allow_pickle=False)
    return buffer.getvalue()


def stored_inputs(
    con: duckdb.DuckDBPyConnection, edition: str, indicators: pd.DataFrame, base: pd.Index
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`numerators_denominators`, read from the store when the build prepared them
    (table ``profile_inputs``), otherwise computed."""
    import io

    if INPUTS_TABLE in _tables(con):
        rows = dict(
            con.execute(
                f"SELECT name, data FROM {INPUTS_TABLE} WHERE inputs_key = ?",
                [inputs_key(edition, indicators, base)],
            ).fetchall()
        )
        if set(rows) == {"num", "den", "population"}:
            out = [np.load(io.BytesIO(rows[k]), allow_pickle=False) for k in ("num", "den")]
            population = np.load(io.BytesIO(rows["population"]), allow_pickle=False)
            return out[0], out[1], population
    return numerators_denominators(con, edition, indicators, base)


def _edition_inputs(con: duckdb.DuckDBPyConnection, edition: str) -> tuple[pd.DataFrame, pd.Index]:
    indicators = framework.for_edition(edition)
    indicators = indicators[indicators["method"] != "grants"].reset_index(drop=True)
    table, column = BASE[edition]["codes"]
    base = pd.Index(
        _df(con, f'select distinct "{column}" as code from "{table}" order by 1')[
            "code"
        ].to_numpy(),
        name="code",
    )
    return indicators, base


def build_profile_inputs(con: duckdb.DuckDBPyConnection) -> None:
    """Store stage: every profiled edition's numerators, denominators and populations per
    small area (the slow part of loading profiles), so a server loads them in milliseconds."""
    con.execute(
        f"""CREATE OR REPLACE TABLE {INPUTS_TABLE} (
            inputs_key VARCHAR NOT NULL, name VARCHAR NOT NULL, data BLOB NOT NULL,
            PRIMARY KEY (inputs_key, name))"""
    )
    done: set[str] = set()
    for edition in BASE:
        indicators, base = _edition_inputs(con, edition)
        key = inputs_key(edition, indicators, base)
        if key in done:
            continue
        num, den, population = numerators_denominators(con, edition, indicators, base)
        con.executemany(
            f"INSERT INTO {INPUTS_TABLE} VALUES (?, ?, ?)",
            [
                (key, "num", _npy(num)),
                (key, "den", _npy(den)),
                (key, "population", _npy(population)),
            ],
        )
        done.add(key)


def build(con: duckdb.DuckDBPyConnection, edition: str) -> EditionData:
    """Compute everything profiles need for one edition (about a second)."""
    ed = get_edition(edition)
    table, _ = BASE[edition]["codes"]
    if table not in _tables(con):
        raise StoreMissing(f"the store lacks table {table}; rebuild it with 'leftbehind build'")
    indicators, base = _edition_inputs(con, edition)
    num, den, population = stored_inputs(con, edition, indicators, base)

    groups = _groups(con, edition)
    geography = EDITION_GEOGRAPHY[edition]
    specs = _unit_tables(con, edition, base)
    unit_of_base = specs[geography]["link"].reindex(base)
    group = unit_of_base.map(groups).fillna("").to_numpy(str)

    units: dict[str, Units] = {}
    for unit_type, spec in specs.items():
        areas = spec["areas"]
        areas = areas[~areas.index.isna()]
        areas = areas[~areas.index.duplicated()]
        codes = pd.Index(areas.index.astype(str))
        matrix = _membership(base, spec["link"], codes)
        with np.errstate(invalid="ignore", divide="ignore"):
            n_sum, d_sum = matrix @ num, matrix @ den
            values = np.where(d_sum > 0, n_sum / np.where(d_sum > 0, d_sum, 1), np.nan)
        if unit_type == ed.geography != ed.profile.small_area:
            # areas (wards) with no best-fit small area still have their CNI values
            direct = _df(con, f'select * from "{ed.cni_table}"').set_index(f"{unit_type}_code")
            for j, row in indicators.iterrows():
                if row["geography"] == unit_type:
                    published = direct[row["source_column"]].reindex(codes).to_numpy(float)
                    values[:, j] = np.where(np.isnan(values[:, j]), published, values[:, j])
        units[unit_type] = Units(
            type=unit_type,
            codes=codes,
            names=areas["name"].fillna("").astype(str).to_numpy(),
            la_codes=areas["la_code"].fillna("").astype(str).to_numpy(),
            la_names=areas["la_name"].fillna("").astype(str).to_numpy(),
            matrix=matrix,
            values=values,
            sorted_values=[np.sort(col[~np.isnan(col)]) for col in values.T],
        )

    comparators: dict[str, np.ndarray] = {}
    comparator_population: dict[str, float] = {}
    for name in COMPARATORS:
        # The nation is the edition's areas (as in the summary): small areas outside every
        # identified area (e.g. the City of London and the Isles of Scilly, which have no CNI)
        # are left out, so there is one population of England everywhere.
        rows = group != "" if name == "nation" else group == name
        comparators[name] = _safe_ratio(num[rows].sum(axis=0), den[rows].sum(axis=0))
        comparator_population[name] = (
            float(population[rows].sum()) if ed.profile.population_table else float("nan")
        )
    return EditionData(
        edition=edition,
        indicators=indicators,
        base=base,
        num=num,
        den=den,
        population=population,
        group=group,
        units=units,
        comparators=comparators,
        comparator_population=comparator_population,
        group_areas={
            **{g: int((groups == g).sum()) for g in GROUPS},
            "nation": len(groups),
        },
        has_population=ed.profile.population_table is not None,
    )


def _safe_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def values_for(con: duckdb.DuckDBPyConnection, edition: str, codes: list[str]) -> pd.Series:
    """Indicator values (by indicator id) for the union of the given small-area codes."""
    data = edition_data(con, edition)
    rows = data.base.get_indexer(pd.Index(codes))
    return pd.Series(data.aggregate(rows[rows >= 0]), index=data.indicators["id"].to_numpy())


# ---------------------------------------------------------------------------------------------
# cache

_CACHE: dict[tuple, EditionData] = {}
_LOCK = threading.Lock()


def _store_key(con: duckdb.DuckDBPyConnection) -> tuple:
    try:
        path = con.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone()[0]
    except duckdb.Error:
        path = None
    if not path:
        return ("memory", id(con))
    fingerprint = None
    try:
        if "build_manifest" in _tables(con):
            fingerprint = con.execute(
                "select string_agg(key || '=' || value, ';' order by key) from build_manifest"
            ).fetchone()[0]
    except duckdb.Error:
        fingerprint = None
    if fingerprint is None:
        import os

        fingerprint = os.path.getmtime(path) if os.path.exists(path) else None
    return (path, fingerprint)


_KEYS: dict[int, tuple[duckdb.DuckDBPyConnection, tuple]] = {}


def _cached_store_key(con: duckdb.DuckDBPyConnection) -> tuple:
    """The store key of a connection, looked up once per connection object."""
    hit = _KEYS.get(id(con))
    if hit is not None and hit[0] is con:
        return hit[1]
    key = _store_key(con)
    if len(_KEYS) > 32:
        _KEYS.clear()
    _KEYS[id(con)] = (con, key)
    return key


def edition_data(con: duckdb.DuckDBPyConnection, edition: str) -> EditionData:
    """The cached :class:`EditionData` for this store and edition."""
    if edition not in BASE:
        from leftbehind.errors import UnknownName

        raise UnknownName(
            f"profiles cover editions {', '.join(BASE)}; {edition!r} is not one of them"
        )
    key = (*_cached_store_key(con), edition)
    with _LOCK:
        data = _CACHE.get(key)
        if data is None:
            data = build(con, edition)
            _CACHE[key] = data
        return data


_EXTRA_CACHES: list[dict] = []


def register_cache(cache: dict) -> None:
    """Have :func:`clear_cache` also empty ``cache`` (another per-store cache of profiles)."""
    _EXTRA_CACHES.append(cache)


def clear_cache() -> None:
    with _LOCK:
        _CACHE.clear()
        _KEYS.clear()
        for cache in _EXTRA_CACHES:
            cache.clear()
