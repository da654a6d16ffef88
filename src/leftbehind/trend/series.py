"""One harmonised series of the English IMD 2004-2025 on 2021 LSOAs and on 2017 wards.

Scores of different IMD editions are not comparable (each edition re-weights and re-scales its
indicators), ranks are: the series holds each area's **national rank and percentile** in every
edition. The editions are published on three geographies:

* IMD 2004, 2007, 2010 on 2001 LSOAs (32,482 areas),
* IMD 2015, 2019 on 2011 LSOAs (32,844 areas),
* IMD 2025 on 2021 LSOAs (33,755 areas).

They are carried to 2021 LSOAs through the official ONS lookups (``lookup_lsoa01_lsoa11``,
``lookup_lsoa11_lsoa21_ltla22``) step by step, by each step's change code (:data:`CHANGES`):

* **U** (unchanged): the area keeps its published rank, exactly;
* **S** (split): every child inherits its parent's rank;
* **M** (merged): the child takes the population-weighted mean of its parents' ranks;
* **X** (irregular, redrawn): the child takes the mean of the ranks of the areas it was drawn
  from, each weighted by its population shared equally among its children (best fit).

One formula covers all four: ``value(child) = sum(w_p * v_p) / sum(w_p)`` over the child's
parents ``p`` with ``w_p = population(p) / children(p)``; it reduces to the published value for
U and S (copied, not recomputed, so it is exact) and to the population-weighted mean for M
(:func:`carry`). Populations: ONS mid-2019
estimates for 2011 LSOAs; no population of 2001 LSOAs is in the store, so 2001 -> 2011 merges
and irregular changes weight their parents equally (``EQUAL_WEIGHTS_NOTE``).

A carried rank may be fractional (a weighted mean); the percentile is
``100 * (rank - 0.5) / n`` with ``n`` the edition's number of LSOAs, so 0 is the most deprived
area in England and 100 the least deprived, and the England median is 50 in every edition.

**Wards (2017 boundaries)**, as the england-2019-ward edition does: each edition's LSOA scores
are put on 2011 LSOAs (2001 LSOAs carried forward by the same rule on scores; 2021 LSOAs carried
back, weighted by Census 2021 residents), averaged over the LSOAs that best fit each ward
(``lookup_lsoa11_ward17``) weighted by mid-2017 population, and the edition's wards (those of
the CNI 2019) ranked on that
average within the edition (1 = most deprived, ties by code). IMD 2019 publishes no LSOA score in
the store: its score is the one our engine computes from the domain ranks (as the edition
does), so the 2019 ward ranks are the edition's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

SERIES_TABLE = "trend_series"
CHANGES_TABLE = "trend_boundary_changes"

#: Official ONS change codes, in order of how far a child is from one published area.
CHANGES: dict[str, str] = {
    "U": "unchanged",
    "S": "split",
    "M": "merged",
    "X": "irregular (redrawn)",
}
SEVERITY = {code: i for i, code in enumerate(CHANGES)}
#: The method each change code gives an area's value (worst change along its chain).
METHODS: dict[str, str] = {
    "exact": "the edition's published rank (boundaries unchanged)",
    "inherited": "the published rank of the LSOA it was split from",
    "weighted": "the population-weighted mean rank of the LSOAs merged into it",
    "best_fit": "the weighted mean rank of the LSOAs it was redrawn from (best fit)",
    "ward_best_fit": "the ward's rank on the population-weighted average score of the LSOAs "
    "that best fit it (as the england-2019-ward edition)",
}
METHOD_OF_CHANGE = {"U": "exact", "S": "inherited", "M": "weighted", "X": "best_fit"}
EQUAL_WEIGHTS_NOTE = (
    "No population of 2001 LSOAs is published in the store, so where 2001 LSOAs were merged or "
    "redrawn in 2011 their ranks are weighted equally."
)


@dataclass(frozen=True)
class Release:
    """One published edition of the English IMD."""

    year: int
    table: str
    code_column: str
    geography: str  # lsoa01 | lsoa11 | lsoa21
    #: engine index whose computed score stands in for a score the source does not publish
    engine_index: str | None = None

    @property
    def title(self) -> str:
        return f"English IMD {self.year}"


RELEASES: tuple[Release, ...] = (
    Release(2004, "imd2004_england_lsoa01", "lsoa01_code", "lsoa01"),
    Release(2007, "imd2007_england_lsoa01", "lsoa01_code", "lsoa01"),
    Release(2010, "imd2010_england_lsoa01", "lsoa01_code", "lsoa01"),
    Release(2015, "imd2015_england_lsoa11", "lsoa11_code", "lsoa11"),
    Release(2019, "imd2019_england_lsoa11", "lsoa11_code", "lsoa11", "imd-2019"),
    Release(2025, "imd2025_england_lsoa21", "lsoa21_code", "lsoa21"),
)
YEARS: tuple[int, ...] = tuple(r.year for r in RELEASES)

LOOKUP_01_11 = """SELECT lsoa01_code AS parent, lsoa11_code AS child, change_code AS change
    FROM lookup_lsoa01_lsoa11 WHERE lsoa11_code LIKE 'E%'"""
LOOKUP_11_21 = """SELECT lsoa11_code AS parent, lsoa21_code AS child, change_code AS change
    FROM lookup_lsoa11_lsoa21_ltla22 WHERE lsoa21_code LIKE 'E%'"""
#: 2021 LSOAs back to 2011 LSOAs (a 2011 split read backwards is a merge, and so on).
LOOKUP_21_11 = """SELECT lsoa21_code AS parent, lsoa11_code AS child,
    CASE change_code WHEN 'S' THEN 'M' WHEN 'M' THEN 'S' ELSE change_code END AS change
    FROM lookup_lsoa11_lsoa21_ltla22 WHERE lsoa21_code LIKE 'E%'"""
WEIGHTS_11 = "SELECT lsoa11_code AS code, total_population AS weight FROM population19_lsoa11"
WEIGHTS_21 = "SELECT lsoa21_code AS code, residents AS weight FROM population21_lsoa21"

TABLE_DOCS = {
    SERIES_TABLE: {
        "": "The English IMD 2004-2025 harmonised on 2021 LSOAs and 2017 wards: each area's "
        "national rank and percentile in every edition (scores are not comparable across "
        "editions), carried across boundary changes by the ONS change codes",
        "geography": "lsoa21 or ward17",
        "code": "area code (2021 LSOA or 2017 ward)",
        "year": "IMD edition (2004, 2007, 2010, 2015, 2019, 2025)",
        "rank": "national rank in that edition (1 = most deprived; fractional when carried "
        "as a weighted mean of merged areas' ranks)",
        "n": "number of areas ranked in that edition (LSOAs of its own geography, or wards)",
        "percentile": "100 * (rank - 0.5) / n: 0 = most deprived in England, 100 = least",
        "method": "exact, inherited, weighted, best_fit (LSOAs) or ward_best_fit (wards)",
        "change_2011": "ONS change code 2001 -> 2011 of the area's chain (U, S, M, X; NULL "
        "for editions published on 2011 or 2021 LSOAs)",
        "change_2021": "ONS change code 2011 -> 2021 (NULL for IMD 2025)",
    },
    CHANGES_TABLE: {
        "": "Boundary changes of 2021 LSOAs: the 2011 LSOAs (and their 2001 LSOAs) each was "
        "made from, with the ONS change code",
        "lsoa21_code": "2021 LSOA",
        "step": "2011-2021 or 2001-2011",
        "change": "ONS change code of the step (S split, M merged, X irregular)",
        "from_codes": "the earlier LSOAs it was made from (comma-separated)",
    },
}


def carry(
    con: duckdb.DuckDBPyConnection,
    values_sql: str,
    lookup_sql: str,
    weights_sql: str | None = None,
) -> duckdb.DuckDBPyRelation:
    """Carry values across one boundary change.

    ``values_sql`` gives ``code, value`` and optionally ``prior`` (the worst change code of
    earlier steps); ``lookup_sql`` gives ``parent, child, change``; ``weights_sql`` gives
    ``code, weight`` of the parents (None: equal weights). Returns ``code, value, change,
    prior, parents`` per child: ``change`` the worst change code of its lookup rows,
    ``prior`` the worst earlier change of its parents, ``parents`` their codes, sorted.
    Children with no parent value are left out.

    >>> con = duckdb.connect()
    >>> vals = "SELECT * FROM (VALUES ('a', 10.0), ('b', 20.0)) t(code, value)"
    >>> look = "SELECT * FROM (VALUES ('a','x','S'), ('a','y','S'), ('b','z','U')) t(parent, child, change)"
    >>> carry(con, vals, look).order("code").fetchall()  # doctest: +NORMALIZE_WHITESPACE
    [('x', 10.0, 'S', None, ['a']), ('y', 10.0, 'S', None, ['a']), ('z', 20.0, 'U', None, ['b'])]
    """  # noqa: E501
    weights = weights_sql or "SELECT NULL::VARCHAR AS code, NULL::DOUBLE AS weight WHERE FALSE"
    has_prior = "prior" in [c.lower() for c in con.sql(values_sql).columns]
    prior = "v.prior" if has_prior else "NULL::VARCHAR"
    equal = weights_sql is None
    return con.sql(
        f"""
        WITH l AS (SELECT DISTINCT parent, child, change FROM ({lookup_sql})),
        kids AS (SELECT parent, count(DISTINCT child) AS n FROM l GROUP BY parent),
        v AS ({values_sql}),
        w AS ({weights}),
        rows AS (
            SELECT l.child, l.parent, l.change, v.value, {prior} AS prior,
                   {"1.0" if equal else "coalesce(w.weight, 0)"} / kids.n AS wt
            FROM l JOIN v ON v.code = l.parent JOIN kids USING (parent)
            LEFT JOIN w ON w.code = l.parent
            WHERE v.value IS NOT NULL)
        SELECT child AS code,
               CASE WHEN count(DISTINCT parent) = 1 THEN any_value(value)
                    WHEN sum(wt) > 0 THEN sum(wt * value) / sum(wt) ELSE avg(value) END
                   AS value,
               {_worst("change")} AS change,
               {_worst("prior")} AS prior,
               list(DISTINCT parent ORDER BY parent) AS parents
        FROM rows GROUP BY child"""
    )


def _worst(column: str) -> str:
    """SQL: the most severe change code of ``column`` in a group (NULL when all are NULL)."""
    sev = " ".join(f"WHEN '{c}' THEN {i}" for c, i in SEVERITY.items())
    return f"arg_max({column}, CASE {column} {sev} END)"


def _worse(a: str, b: str) -> str:
    """SQL: the more severe of two change-code expressions (NULLs ignored)."""
    sev = " ".join(f"WHEN '{c}' THEN {i}" for c, i in SEVERITY.items())
    return (
        f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} "
        f"WHEN (CASE {a} {sev} END) >= (CASE {b} {sev} END) THEN {a} ELSE {b} END"
    )


def _method(change_expr: str) -> str:
    cases = " ".join(f"WHEN '{c}' THEN '{m}'" for c, m in METHOD_OF_CHANGE.items())
    return f"coalesce(CASE {change_expr} {cases} END, 'exact')"


def _england(release: Release, column: str) -> str:
    return (
        f"SELECT {release.code_column} AS code, {column}::DOUBLE AS value FROM {release.table} "
        f"WHERE {release.code_column} LIKE 'E%'"
    )


def lsoa21_series(con: duckdb.DuckDBPyConnection, release: Release) -> duckdb.DuckDBPyRelation:
    """``code, year, rank, n, percentile, method, change_2011, change_2021`` of one edition on
    2021 LSOAs."""
    n = con.execute(
        f"SELECT count(*) FROM {release.table} WHERE {release.code_column} LIKE 'E%'"
    ).fetchall()[0][0]
    ranks = _england(release, "imd_rank")
    if release.geography == "lsoa21":
        body = (
            f"SELECT code, value AS rank, NULL::VARCHAR AS c11, NULL::VARCHAR AS c21 FROM ({ranks})"
        )
    elif release.geography == "lsoa11":
        step = carry(con, ranks, LOOKUP_11_21, WEIGHTS_11).sql_query()
        body = f"SELECT code, value AS rank, NULL::VARCHAR AS c11, change AS c21 FROM ({step})"
    else:
        first = carry(con, ranks, LOOKUP_01_11).sql_query()
        first = f"SELECT code, value, change AS prior FROM ({first})"
        step = carry(con, first, LOOKUP_11_21, WEIGHTS_11).sql_query()
        body = f"SELECT code, value AS rank, prior AS c11, change AS c21 FROM ({step})"
    worst = _worse("c11", "c21")
    return con.sql(
        f"""SELECT code, {release.year} AS year, rank, {n} AS n,
                   100.0 * (rank - 0.5) / {n} AS percentile, {_method(worst)} AS method,
                   c11 AS change_2011, c21 AS change_2021
            FROM ({body})"""
    )


def lsoa11_scores(con: duckdb.DuckDBPyConnection, release: Release) -> str:
    """SQL of ``code, value``: one edition's scores on 2011 LSOAs (for wards)."""
    if release.engine_index is not None:
        from leftbehind.indices.imd import imd_from_store

        frame = imd_from_store(con, release.engine_index)[["code", "score"]]
        name = f"trend_scores_{release.year}"
        con.register(name, frame.rename(columns={"score": "value"}))
        return f"SELECT code, value FROM {name} WHERE code LIKE 'E%'"
    scores = _england(release, "imd_score")
    if release.geography == "lsoa11":
        return scores
    if release.geography == "lsoa01":
        return carry(con, scores, LOOKUP_01_11).sql_query()
    return carry(con, scores, LOOKUP_21_11, WEIGHTS_21).sql_query()


def ward17_series(con: duckdb.DuckDBPyConnection, release: Release) -> duckdb.DuckDBPyRelation:
    """One edition's ward ranks: population-weighted average LSOA score over the LSOAs that
    best fit each 2017 ward, ranked among wards (1 = most deprived, ties by code)."""
    scores = lsoa11_scores(con, release)
    return con.sql(
        f"""
        WITH s AS ({scores}),
        w AS (
            SELECT l.ward17_code AS code,
                   sum(s.value * p.total_population) / sum(p.total_population) AS score
            FROM lookup_lsoa11_ward17 l
            JOIN s ON s.code = l.lsoa11_code
            JOIN population17_lsoa11 p ON p.lsoa11_code = l.lsoa11_code
            WHERE l.lsoa11_code LIKE 'E%'
              AND l.ward17_code IN (SELECT ward17_code FROM cni2019_england_ward17)
            GROUP BY l.ward17_code HAVING sum(p.total_population) > 0),
        r AS (SELECT code, row_number() OVER (ORDER BY score DESC, code) AS rank,
                     count(*) OVER () AS n FROM w)
        SELECT code, {release.year} AS year, rank::DOUBLE AS rank, n::INTEGER AS n,
               100.0 * (rank - 0.5) / n AS percentile, 'ward_best_fit' AS method,
               NULL::VARCHAR AS change_2011, NULL::VARCHAR AS change_2021
        FROM r"""
    )


def boundary_changes(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyRelation:
    """``lsoa21_code, step, change, from_codes`` for every 2021 LSOA that was not unchanged
    (from 2011) or whose 2011 LSOAs were not unchanged (from 2001)."""
    return con.sql(
        f"""
        WITH a AS (SELECT * FROM ({LOOKUP_11_21})),
        b AS (SELECT * FROM ({LOOKUP_01_11})),
        s21 AS (
            SELECT child AS lsoa21_code, '2011-2021' AS step, {_worst("change")} AS change,
                   string_agg(DISTINCT parent, ', ' ORDER BY parent) AS from_codes
            FROM a GROUP BY child),
        s11 AS (
            SELECT a.child AS lsoa21_code, '2001-2011' AS step, {_worst("b.change")} AS change,
                   string_agg(DISTINCT b.parent, ', ' ORDER BY b.parent) AS from_codes
            FROM a JOIN b ON b.child = a.parent GROUP BY a.child)
        SELECT * FROM s21 WHERE change <> 'U'
        UNION ALL SELECT * FROM s11 WHERE change <> 'U'"""
    )


def build_series(con: duckdb.DuckDBPyConnection) -> None:
    """Build stage: tables ``trend_series`` and ``trend_boundary_changes``."""
    parts = []
    for release in RELEASES:
        parts.append(
            f"SELECT 'lsoa21' AS geography, * FROM ({lsoa21_series(con, release).sql_query()})"
        )
        parts.append(
            f"SELECT 'ward17' AS geography, * FROM ({ward17_series(con, release).sql_query()})"
        )
    con.execute(f"DROP TABLE IF EXISTS {SERIES_TABLE}")
    con.execute(
        f"""CREATE TABLE {SERIES_TABLE} AS
            SELECT geography, code, year::INTEGER AS year, rank::DOUBLE AS rank,
                   n::INTEGER AS n, percentile::DOUBLE AS percentile, method, change_2011,
                   change_2021
            FROM ({" UNION ALL ".join(parts)}) ORDER BY geography, code, year"""
    )
    con.execute(f"DROP TABLE IF EXISTS {CHANGES_TABLE}")
    con.execute(
        f"CREATE TABLE {CHANGES_TABLE} AS SELECT * FROM ({boundary_changes(con).sql_query()}) "
        "ORDER BY lsoa21_code, step DESC"
    )
