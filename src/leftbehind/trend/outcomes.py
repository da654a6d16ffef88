"""Outcomes beside deprivation: loneliness per area and the ONS Health Index by local authority.

**Loneliness** (British Red Cross, ``humaniverse/loneliness``), each nation's own measure, never
compared across nations:

* England: the modelled share of adults lonely often, always or some of the time (DCMS
  Community Life Survey 2020/21, modelled to 2021 LSOAs), in per cent;
* Wales (2021 LSOAs) and Scotland (2011 data zones): an index of prescribing for conditions
  linked to loneliness (a z-score; higher = more such prescribing), comparable within the
  nation only;
* Northern Ireland: the index is on 2021 super data zones, and the store has no lookup from
  them to the edition's 2011 SOAs, so no value is given (said on the page).

An area's value is the residents-weighted mean of its small areas' values: 2021 LSOAs as they
are (LSOA editions), or carried to 2017 wards and Welsh MSOAs through ``place_crosswalk``
(residents x share), data zones to intermediate zones through ``lookup_dz11_iz11_ltla20``
(weighted by NRS mid-2020 population). ``rank`` is among the edition's areas with a value
(1 = the loneliest).

**Health Index** (ONS, ``humaniverse/healthyr``), England only, by local authority (2021
districts), 2015-2021, England 2015 = 100 and higher = healthier: the overall score and the
subdomains personal well-being and access to green space. Each area is given the 2021 district
holding most of its residents (2021 LSOAs' 2022 districts, which are the 2021 ones).

Comparators: the residents-weighted mean over the edition's 'left behind' areas, other
deprived areas and all areas (for the Health Index: of their districts' values).
"""

from __future__ import annotations

import duckdb

LONELINESS_TABLE = "outcome_loneliness"
HEALTH_LA_TABLE = "outcome_health_areas"
HEALTH_TABLE = "outcome_health"

#: Measure of each nation, declared once.
LONELINESS_MEASURES: dict[str, dict[str, str]] = {
    "England": {
        "label": "Adults lonely often, always or some of the time",
        "unit": "%",
        "source": "Community Life Survey 2020/21 (DCMS), modelled to LSOAs by the British "
        "Red Cross",
    },
    "Wales": {
        "label": "Loneliness prescribing index (z-score; higher = more prescribing for "
        "conditions linked to loneliness)",
        "unit": "z-score",
        "source": "NHS Wales prescribing data, index by the British Red Cross",
    },
    "Scotland": {
        "label": "Loneliness prescribing index (z-score; higher = more prescribing for "
        "conditions linked to loneliness)",
        "unit": "z-score",
        "source": "Public Health Scotland prescribing data, index by the British Red Cross",
    },
}
NOT_COMPARABLE = (
    "Each nation measures loneliness its own way: compare this value only with other areas "
    "of the same nation."
)
NORTHERN_IRELAND_NOTE = (
    "Northern Ireland's loneliness index is published for 2021 super data zones, which the "
    "store cannot yet match to this edition's areas."
)
HEALTH_MEASURES: dict[str, str] = {
    "overall_score": "Health Index (overall)",
    "personal_well_being": "Personal well-being",
    "access_to_green_space": "Access to green space",
}
HEALTH_NOTE = (
    "ONS Health Index for the local authority (2021 districts): England 2015 = 100, higher "
    "is healthier. It describes the whole district, not this area alone."
)

TABLE_DOCS = {
    LONELINESS_TABLE: {
        "": "Loneliness per area of every edition, in its nation's own measure (never compare "
        "across nations)",
        "edition": "identification edition",
        "code": "area code",
        "nation": "England, Wales or Scotland",
        "value": "England: % of adults lonely often/always/some of the time; Wales, Scotland: "
        "prescribing-based z-score (higher = more)",
        "rank": "rank among the edition's areas with a value (1 = the loneliest)",
        "n": "areas of the edition with a value",
    },
    HEALTH_LA_TABLE: {
        "": "The 2021 district holding most of each English area's residents (for the ONS "
        "Health Index)",
        "edition": "identification edition (English ones)",
        "code": "area code",
        "ltla21_code": "local authority district (2021 boundaries)",
    },
    HEALTH_TABLE: {
        "": "ONS Health Index 2015-2021 by 2021 district, long: the overall score, personal "
        "well-being and access to green space (England 2015 = 100, higher is healthier)",
        "ltla21_code": "local authority district (2021 boundaries)",
        "year": "year of the index",
        "measure": "overall_score, personal_well_being or access_to_green_space",
        "value": "index value",
    },
}

_CROSSWALK_MEAN = """
    SELECT x.area_code AS code,
           sum(v.value * p.residents * x.share) / sum(p.residents * x.share) AS value
    FROM place_crosswalk x
    JOIN ({values}) v ON v.code = x.from_code
    JOIN population21_lsoa21 p ON p.lsoa21_code = x.from_code
    WHERE x.from_type = 'lsoa21' AND x.edition = '{edition}' AND v.value IS NOT NULL
    GROUP BY x.area_code HAVING sum(p.residents * x.share) > 0"""
_ENGLAND = "SELECT lsoa21_code AS code, perc AS value FROM loneliness_england_lsoa21"
_WALES = "SELECT lsoa21_code AS code, loneliness_zscore AS value FROM loneliness_wales_lsoa21"


def loneliness_sql(edition: str, geography: str, nation: str) -> str | None:
    """SQL of ``code, value`` for an edition's areas, or None where there is no route."""
    if nation == "England" and geography == "lsoa21":
        return _ENGLAND
    if nation == "England":
        return _CROSSWALK_MEAN.format(values=_ENGLAND, edition=edition)
    if nation == "Wales":
        return _CROSSWALK_MEAN.format(values=_WALES, edition=edition)
    if nation == "Scotland":
        return """
            SELECT l.iz11_code AS code,
                   sum(s.loneliness_zscore * p.total_population) / sum(p.total_population)
                       AS value
            FROM loneliness_scotland_dz11 s
            JOIN lookup_dz11_iz11_ltla20 l USING (dz11_code)
            JOIN population20_dz11 p ON p.dz11_code = s.dz11_code AND p.sex = 'All'
            WHERE s.loneliness_zscore IS NOT NULL
            GROUP BY l.iz11_code HAVING sum(p.total_population) > 0"""
    return None


def health_area_sql(edition: str, geography: str) -> str:
    """SQL of ``code, ltla21_code``: each English area's district of 2021 (most residents)."""
    if geography == "lsoa21":
        return """SELECT DISTINCT lsoa21_code AS code, ltla22_code AS ltla21_code
                  FROM lookup_lsoa11_lsoa21_ltla22 WHERE lsoa21_code LIKE 'E%'"""
    return f"""
        SELECT code, arg_max(ltla21_code, pop) AS ltla21_code FROM (
            SELECT x.area_code AS code, l.ltla22_code AS ltla21_code,
                   sum(p.residents * x.share) AS pop
            FROM place_crosswalk x
            JOIN (SELECT DISTINCT lsoa21_code, ltla22_code FROM lookup_lsoa11_lsoa21_ltla22) l
                ON l.lsoa21_code = x.from_code
            JOIN population21_lsoa21 p ON p.lsoa21_code = x.from_code
            WHERE x.from_type = 'lsoa21' AND x.edition = '{edition}'
            GROUP BY ALL)
        GROUP BY code"""


def build_outcomes(con: duckdb.DuckDBPyConnection) -> None:
    """Build stage: ``outcome_loneliness``, ``outcome_health_areas``, ``outcome_health``."""
    from leftbehind.editions import EDITIONS

    lonely, health = [], []
    for ed in EDITIONS.values():
        sql = loneliness_sql(ed.id, ed.geography, ed.nation)
        if sql is not None:
            lonely.append(
                f"""SELECT '{ed.id}' AS edition, v.code, '{ed.nation}' AS nation, v.value,
                       row_number() OVER (ORDER BY v.value DESC, v.code) AS rank,
                       count(*) OVER () AS n
                FROM ({sql}) v
                WHERE v.code IN (SELECT code FROM identification WHERE edition = '{ed.id}')"""
            )
        if ed.nation == "England":
            health.append(
                f"SELECT '{ed.id}' AS edition, code, ltla21_code "
                f"FROM ({health_area_sql(ed.id, ed.geography)})"
            )
    con.execute(f"DROP TABLE IF EXISTS {LONELINESS_TABLE}")
    con.execute(
        f"CREATE TABLE {LONELINESS_TABLE} AS SELECT edition, code, nation, value::DOUBLE AS "
        f"value, rank::INTEGER AS rank, n::INTEGER AS n FROM ({' UNION ALL '.join(lonely)}) "
        "ORDER BY edition, code"
    )
    con.execute(f"DROP TABLE IF EXISTS {HEALTH_LA_TABLE}")
    con.execute(
        f"CREATE TABLE {HEALTH_LA_TABLE} AS {' UNION ALL '.join(health)} ORDER BY edition, code"
    )
    con.execute(f"DROP TABLE IF EXISTS {HEALTH_TABLE}")
    con.execute(
        f"""CREATE TABLE {HEALTH_TABLE} AS
        SELECT ltla21_code, year::INTEGER AS year, measure, value::DOUBLE AS value FROM (
            SELECT h.ltla21_code, h.year, h.overall_score, s.personal_well_being,
                   s.access_to_green_space
            FROM health_index_england_ltla21 h
            LEFT JOIN health_index_england_ltla21_subdomains s
                ON s.ltla21_code = h.ltla21_code AND s.year = h.year)
        UNPIVOT (value FOR measure IN (overall_score, personal_well_being,
                                       access_to_green_space))
        ORDER BY ltla21_code, year, measure"""
    )
