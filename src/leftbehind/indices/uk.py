"""One UK scale: mySociety's composite UK Index of Multiple Deprivation for every edition's areas.

Each nation publishes its own index (English IMD 2019, WIMD 2019, SIMD 2020, NIMDM 2017); their
ranks cannot be compared across borders. mySociety's composite index (``composite_uk_imd``,
CC BY 4.0) follows Abel, Barclay and Payne (2016): the income and employment domains, which
measure nearly the same thing in every nation, are used to re-express each nation's overall
score on the scale of a base nation. For analysis across the whole UK mySociety recommends the
England-based file, ``UK_IMD_E.csv`` (most small areas are English), and its population deciles
(``UK_IMD_E_pop_decile``: a tenth of the UK's people in each); that is the file adopted here
(source ``uk_imd_england``): 42,619 small areas (32,844 English and 1,909 Welsh LSOAs of 2011,
6,976 Scottish data zones, 890 Northern Irish SOAs), rank 1 = most deprived in the UK.

Per edition area (table ``uk_index_areas``) the build keeps the small areas of the index that
make it (the edition's own small areas; for the 2021-LSOA editions the 2011 LSOAs each 2021 LSOA
was made from; a Northern Irish SOA is its own small area), the UK rank and population decile
of the most deprived of them, and how many are among the UK's most deprived tenth. Counts are of
small areas, not people: not every nation's small-area populations are in the store.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import duckdb

from leftbehind.editions import EDITIONS, Edition
from leftbehind.i18n import N_, format_number
from leftbehind.i18n import gettext as _

SOURCE_TABLE = "uk_imd_england"
SMALL_TABLE = "uk_index_small"
AREAS_TABLE = "uk_index_areas"
SUMMARY_TABLE = "uk_index_summary"
LA_SOURCE_TABLE = "uk_imd_local_authorities"
LA_TABLE = "uk_index_local_authorities"
#: mySociety councils whose official name does not match the ONS name once normalised (see
#: :func:`council_key`): mySociety code -> GSS code, with the reason.
LA_ALIASES_CSV = Path(__file__).with_name("uk_la_aliases.csv")
#: Where the store names its local authorities (every vintage an edition uses).
LA_NAME_SQL = (
    "SELECT DISTINCT ltla24_code AS code, ltla24_name AS name FROM lookup_lsoa21_ward24_ltla24",
    "SELECT DISTINCT ltla19_code, ltla19_name FROM lookup_lsoa11_ltla19",
    "SELECT DISTINCT ltla20_code, ltla20_name FROM lookup_dz11_iz11_ltla20",
    "SELECT DISTINCT lgd14_code, lgd14_name FROM cni2022_northern_ireland_soa11",
    "SELECT DISTINCT lad19_code, lad19_name FROM cni2019_england_ward17",
)

CREDIT = N_(
    "Composite UK Index of Multiple Deprivation by mySociety (composite_uk_imd, CC BY 4.0), "
    "after Abel, Barclay and Payne (2016), from the four nations' official indices (OGL v3)"
)
METHOD = N_(
    "mySociety's composite index puts the small areas of all four nations on one scale: the "
    "income and employment domains, which measure nearly the same thing in every nation, are "
    "used to re-express each nation's own deprivation score on the English scale. It is the "
    "only way to compare deprivation across borders, but it is an estimate: each nation's own "
    "index remains the better measure within the nation."
)
#: Groups summarised (identification groups, then every area of the edition).
SUMMARY_GROUPS = ("left_behind", "other_deprived", "rest", "all")

TABLE_DOCS = {
    SMALL_TABLE: {
        "": "Every small area of the UK on mySociety's composite UK IMD (England-based)",
        "nation": "E, W, S or N",
        "small_code": "2011 LSOA (England, Wales), 2011 data zone (Scotland), SOA (N. Ireland)",
        "uk_score": "composite score on the English IMD 2019 scale (higher = more deprived)",
        "uk_rank": "rank among the UK's 42,619 small areas (1 = most deprived; equal scores "
        "share a rank, as published)",
        "uk_decile": "UK population decile (1 = the most deprived tenth of the UK's people)",
    },
    AREAS_TABLE: {
        "": "Each edition area on the UK-wide index: its small areas, the most deprived of "
        "them and how many are in the UK's most deprived tenth",
        "edition": "identification edition",
        "code": "area code",
        "small_areas": "small areas of the UK index making the area",
        "uk_rank": "UK rank of its most deprived small area (1 = most deprived)",
        "uk_decile": "UK population decile of that small area",
        "most_deprived_10": "its small areas in the UK's most deprived tenth (decile 1)",
        "most_deprived_20": "its small areas in the UK's most deprived fifth (deciles 1-2)",
    },
    LA_TABLE: {
        "": "Local authorities on mySociety's composite UK IMD (its council summary), matched "
        "to GSS codes by name (uk_la_aliases.csv where the names differ); combined and county "
        "authorities are left out",
        "gss_code": "local authority code (every vintage the editions use)",
        "name": "the store's name of the local authority",
        "mysociety_code": "mySociety's council code",
        "official_name": "the council's official name",
        "score": "population-weighted composite deprivation score (higher = more deprived)",
        "pop_decile": "UK decile of councils by population (1 = most deprived)",
        "pop_quintile": "UK quintile of councils by population (1 = most deprived)",
    },
    SUMMARY_TABLE: {
        "": "The UK-wide index summarised per edition and group ('left behind', other "
        "deprived, the rest, all areas)",
        "edition": "identification edition",
        "nation": "the edition's nation",
        "group": "left_behind, other_deprived, rest or all",
        "areas": "areas in the group",
        "small_areas": "their small areas on the UK index",
        "share_10": "share of those small areas in the UK's most deprived tenth",
        "share_20": "share in the UK's most deprived fifth",
        "areas_with_10": "areas with at least one small area in the UK's most deprived tenth",
        "median_rank": "median over the areas of the UK rank of their most deprived small area",
    },
}


def small_area_links_sql(ed: Edition) -> str:
    """SQL of ``small, code``: the UK index's small areas making each area of ``ed``."""
    if ed.small_sql:
        return f"SELECT small, code FROM ({ed.small_sql})"
    if ed.geography == "lsoa21":
        return """SELECT DISTINCT lsoa11_code AS small, lsoa21_code AS code
                  FROM lookup_lsoa11_lsoa21_ltla22 WHERE lsoa21_code LIKE 'E%'"""
    if ed.geography == "soa11":
        return f"SELECT soa11_code AS small, soa11_code AS code FROM {ed.cni_table}"
    raise ValueError(f"edition {ed.id} has no route to the UK index's small areas")


def small_area_words(ed: Edition) -> tuple[str, str]:
    """How the UK index's small areas of an edition are called (singular, plural)."""
    if ed.geography == "lsoa21":
        return "2011 LSOA", "2011 LSOAs"
    if ed.geography == "soa11":
        return "super output area", "super output areas"
    return ed.small_area_word, ed.small_area_words


def build_uk_index(con: duckdb.DuckDBPyConnection) -> None:
    """Build stage: ``uk_index_small``, ``uk_index_areas``, ``uk_index_summary``."""
    con.execute(f"DROP TABLE IF EXISTS {SMALL_TABLE}")
    con.execute(
        f"""CREATE TABLE {SMALL_TABLE} AS
        SELECT nation, lsoa AS small_code, uk_imd_e_score::DOUBLE AS uk_score,
               uk_imd_e_rank::INTEGER AS uk_rank, uk_imd_e_pop_decile::INTEGER AS uk_decile
        FROM {SOURCE_TABLE} ORDER BY uk_rank"""
    )
    parts = [
        f"""SELECT '{ed.id}' AS edition, l.code, count(*) AS small_areas,
                   min(s.uk_rank) AS uk_rank, min(s.uk_decile) AS uk_decile,
                   count(*) FILTER (WHERE s.uk_decile = 1) AS most_deprived_10,
                   count(*) FILTER (WHERE s.uk_decile <= 2) AS most_deprived_20
            FROM ({small_area_links_sql(ed)}) l
            JOIN {SMALL_TABLE} s ON s.small_code = l.small
            WHERE l.code IN (SELECT code FROM identification WHERE edition = '{ed.id}')
            GROUP BY l.code"""
        for ed in EDITIONS.values()
    ]
    con.execute(f"DROP TABLE IF EXISTS {AREAS_TABLE}")
    con.execute(
        f"""CREATE TABLE {AREAS_TABLE} AS SELECT edition, code, small_areas::INTEGER AS
            small_areas, uk_rank::INTEGER AS uk_rank, uk_decile::INTEGER AS uk_decile,
            most_deprived_10::INTEGER AS most_deprived_10,
            most_deprived_20::INTEGER AS most_deprived_20
        FROM ({" UNION ALL ".join(parts)}) ORDER BY edition, code"""
    )
    nations = " ".join(f"WHEN '{ed.id}' THEN '{ed.nation}'" for ed in EDITIONS.values())
    con.execute(f"DROP TABLE IF EXISTS {SUMMARY_TABLE}")
    con.execute(
        f"""CREATE TABLE {SUMMARY_TABLE} AS
        WITH g AS (
            SELECT a.*, i."group" FROM {AREAS_TABLE} a
            JOIN identification i ON i.edition = a.edition AND i.code = a.code),
        both_ AS (SELECT * FROM g UNION ALL SELECT * REPLACE ('all' AS "group") FROM g)
        SELECT edition, CASE edition {nations} END AS nation, "group",
               count(*)::INTEGER AS areas, sum(small_areas)::INTEGER AS small_areas,
               sum(most_deprived_10) / sum(small_areas) AS share_10,
               sum(most_deprived_20) / sum(small_areas) AS share_20,
               count(*) FILTER (WHERE most_deprived_10 > 0)::INTEGER AS areas_with_10,
               quantile_cont(uk_rank, 0.5) AS median_rank
        FROM both_ GROUP BY edition, "group" ORDER BY edition, "group"
        """
    )
    build_uk_local_authorities(con)


def council_key(name: str) -> str:
    """A council's name without the words that differ between mySociety's official names and
    the ONS names: 'Thanet District Council' and 'Thanet' -> 'thanet'; 'Bristol City Council' and
    'Bristol, City of' -> 'bristol'; 'Durham County Council' and 'County Durham' -> 'durham'.

    >>> council_key("London Borough of Enfield"), council_key("The Highland Council")
    ('enfield', 'highland')
    """
    text = name.lower().replace("&", " and ").replace("'", "")
    text = re.sub(r",\s*(city|county) of$", "", text.strip())
    text = re.sub(
        r"^(the |council of the |borough council of |london borough of |royal borough of "
        r"|city and county of |city of |county of |metropolitan borough of )+",
        "",
        text,
    )
    text = re.sub(
        r"\b((metropolitan )?(borough|district|city|county)( and district)? )?council\b.*$",
        "",
        text,
    )
    text = re.sub(r"\b(city|county|metropolitan|district)\b", " ", text)
    return re.sub(r"[^a-z]+", " ", text).strip()


def _la_matches(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str, str]]:
    """(GSS code, its name, mySociety code) for every store local authority mySociety lists."""
    names: dict[str, str] = {}
    for sql in LA_NAME_SQL:
        for code, name in con.execute(sql).fetchall():
            if code and name:
                names.setdefault(code, name)
    by_key: dict[str, list[str]] = {}
    for code, name in names.items():
        by_key.setdefault(council_key(name), []).append(code)
    with LA_ALIASES_CSV.open(newline="") as handle:
        aliases = {r["mysociety_code"]: r["gss_code"] for r in csv.DictReader(handle)}
    out = []
    for ms_code, official in con.execute(
        f"SELECT local_authority_code, official_name FROM {LA_SOURCE_TABLE}"
    ).fetchall():
        codes = [aliases[ms_code]] if ms_code in aliases else by_key.get(council_key(official), [])
        out.extend((code, names.get(code, official), ms_code) for code in codes)
    return out


def build_uk_local_authorities(con: duckdb.DuckDBPyConnection) -> None:
    """Table ``uk_index_local_authorities`` (part of :func:`build_uk_index`)."""
    matches = _la_matches(con)
    con.execute(f"DROP TABLE IF EXISTS {LA_TABLE}")
    con.execute(
        f"""CREATE TABLE {LA_TABLE} (gss_code VARCHAR PRIMARY KEY, name VARCHAR,
            mysociety_code VARCHAR, official_name VARCHAR, score DOUBLE, pop_decile INTEGER,
            pop_quintile INTEGER)"""
    )
    if matches:
        con.execute("CREATE TEMP TABLE _uk_la_match (gss_code VARCHAR, name VARCHAR, ms VARCHAR)")
        con.executemany("INSERT INTO _uk_la_match VALUES (?, ?, ?)", matches)
        con.execute(
            f"""INSERT INTO {LA_TABLE}
            SELECT m.gss_code, any_value(m.name), any_value(s.local_authority_code),
                   any_value(s.official_name), any_value(s.la_deprivation_score::DOUBLE),
                   any_value(s.la_imd_pop_decile::INTEGER),
                   any_value(s.la_imd_pop_quintile::INTEGER)
            FROM _uk_la_match m JOIN {LA_SOURCE_TABLE} s ON s.local_authority_code = m.ms
            GROUP BY m.gss_code"""
        )
        con.execute("DROP TABLE _uk_la_match")


#: Each tenth of the UK-wide index in words, whole (a language's ordinals are its own).
TENTHS: dict[int, str] = {
    1: N_("most deprived tenth"),
    2: N_("2nd most deprived tenth"),
    3: N_("3rd most deprived tenth"),
    4: N_("4th most deprived tenth"),
    5: N_("5th most deprived tenth"),
    6: N_("6th most deprived tenth"),
    7: N_("7th most deprived tenth"),
    8: N_("8th most deprived tenth"),
    9: N_("9th most deprived tenth"),
    10: N_("least deprived tenth"),
}
LA_SENTENCE = N_(
    "On one scale for the whole UK, {name} is in the {where} of the UK's councils, counted by "
    "population (mySociety's council score {score}; higher is more deprived)."
)
ONE_SMALL_AREA_SENTENCE = N_(
    "On one scale for the whole UK, {name} ranks {rank} of {total} small areas "
    "(1 is most deprived): in the UK's {where}."
)
MOST_DEPRIVED_SENTENCE = N_(
    "On one scale for the whole UK, the most deprived of {name}'s {n} {many} ranks "
    "{rank} of {total} small areas (1 is most deprived): in the UK's {where}."
)
NONE_IN_TENTH_SENTENCE = N_("None of its {many} is among the UK's most deprived tenth.")
ALL_IN_TENTH_SENTENCE = N_("All {n} of its {many} are among the UK's most deprived tenth.")
ONE_IN_TENTH_SENTENCE = N_("{k} of its {n} {many} is among the UK's most deprived tenth.")
SOME_IN_TENTH_SENTENCE = N_("{k} of its {n} {many} are among the UK's most deprived tenth.")
#: The small-area words of :func:`small_area_words` not among the editions' own.
WORD_MESSAGES = (N_("2011 LSOA"), N_("2011 LSOAs"), N_("super output area"))


def la_sentence(row: dict[str, Any]) -> str:
    """Plain words for a local authority on the UK-wide index (in the current language)."""
    return _(LA_SENTENCE).format(
        name=row["name"],
        where=ordinal_tenth(int(row["pop_decile"])),
        score=format_number(row["score"], 1),
    )


def ordinal_tenth(decile: int) -> str:
    """1 -> 'most deprived tenth'; 2 -> '2nd most deprived tenth'; 10 -> 'least deprived
    tenth' (in the current language)."""
    return _(TENTHS[decile])


def area_sentences(ed: Edition, name: str, row: dict[str, Any], total: int) -> list[str]:
    """Plain words for an area's place on the UK-wide index (in the current language)."""
    many = _(small_area_words(ed)[1])
    rank, n = int(row["uk_rank"]), int(row["small_areas"])
    fields = {
        "name": name,
        "rank": format_number(rank),
        "total": format_number(total),
        "where": ordinal_tenth(int(row["uk_decile"])),
        "n": format_number(n),
        "many": many,
    }
    if n == 1:
        return [_(ONE_SMALL_AREA_SENTENCE).format(**fields)]
    first = _(MOST_DEPRIVED_SENTENCE).format(**fields)
    k = int(row["most_deprived_10"])
    if k == 0:
        template = NONE_IN_TENTH_SENTENCE
    elif k == n:
        template = ALL_IN_TENTH_SENTENCE
    else:
        template = ONE_IN_TENTH_SENTENCE if k == 1 else SOME_IN_TENTH_SENTENCE
    second = _(template).format(k=format_number(k), **fields)
    return [first, second]
