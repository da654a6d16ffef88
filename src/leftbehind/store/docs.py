"""Documentation of every table and column in the store (table ``table_docs``).

``docs/data-model.md`` is generated from the store's own schema with ``data_model_markdown``.
"""

from __future__ import annotations

import re

import duckdb

from leftbehind.sources.registry import Source

DERIVED_TABLES = {
    "areas": (
        "Every area of every geography, with its parent and containing local authority, region "
        "and country.",
        {
            "code": "GSS code of the area (NI super output areas use NISRA codes such as 95AA01S1)",
            "name": "Official name",
            "type": "Geography: lsoa11, lsoa21, msoa11, ward17, ward21, ward24, dz11, iz11, "
            "soa11, ltla19, ltla20, ltla21, ltla24, utla19, lgd, region, cauth19, country",
            "parent_code": "Immediate parent: LSOA11 -> MSOA11, MSOA11/ward -> local authority, "
            "LSOA21 -> ward24 (best fit), DZ -> IZ, SOA -> district, LTLA19 -> region",
            "ltla_code": "Local authority of the same vintage (LTLA19 for 2011-based areas, "
            "LTLA24 for 2021-based areas, LTLA20/21 and LGD for the devolved nations)",
            "region_code": "English region (E12), where known",
            "country_code": "Country (E92000001, W92000004, S92000003, N92000002)",
        },
        "derived from the geographr lookups",
    ),
    "population21_lsoa21": (
        "Census 2021 usual residents by LSOA21.",
        {"lsoa21_code": "LSOA 2021 code", "residents": "Usual residents (Census 2021)"},
        "disability21_lsoa21_ew (total_residents)",
    ),
    "boundaries": (
        "Simplified boundaries (WGS84 lon/lat, WKB); ward17 dissolved from LSOA11 by the "
        "best-fit LSOA11->ward17 lookup.",
        {
            "code": "Area code",
            "type": "Geography (as in areas.type)",
            "name": "Area name",
            "geometry": "MultiPolygon as WKB, simplified with a 0.00015 degree tolerance",
        },
        "boundaries_* sources; lookup_lsoa11_ward17",
    ),
    "legacy_grants": (
        "Grants imported into a store built before grants moved to the community database; "
        "kept by a rebuild only until they are moved there (once). Never read by the site.",
        {},
        "leftbehind grants import (older versions)",
    ),
    "legacy_grant_rejects": (
        "Rejected rows of those older imports (moved with them).",
        {},
        "leftbehind grants import (older versions)",
    ),
    "legacy_grant_imports": (
        "Files of those older imports (by sha256), moved with them.",
        {},
        "leftbehind grants import (older versions)",
    ),
    "lookup_district_successors_2019": (
        "English districts abolished in the 2019 reorganisation and their successors (the CNI "
        "2019 ward file still uses the old district codes).",
        {
            "district_code": "Code of the abolished district",
            "district_name": "Name of the abolished district",
            "successor_code": "LTLA 2019 code of the authority that replaced it",
            "successor_name": "Name of the successor authority",
            "source": "The statutory instrument that made the change",
        },
        "leftbehind (src/leftbehind/store/district_successors_2019.csv)",
    ),
    "table_docs": (
        "This documentation: one row per column of every table.",
        {
            "table_name": "Table",
            "column_name": "Column ('' for the table itself)",
            "meaning": "What the column holds",
            "source": "Where it comes from",
        },
        "leftbehind",
    ),
    "build_manifest": (
        "Fingerprint and time of the build.",
        {"key": "fingerprint or built_at", "value": "Value"},
        "leftbehind",
    ),
}

#: Tables made of many source files: table -> (meaning, origin).
GROUPED_TABLES = {
    "postcodes24": (
        "Every UK postcode of the August 2024 National Statistics Postcode Lookup (2.65 million),"
        " with its local authority, ward and small area; sorted by postcode_key. Districts whose"
        " name ends in a letter (much of central London: EC1A, SW1A, W1A ...) are absent.",
        "ONS NSPL August 2024, one file per postcode area",
    ),
    "postcode_names24": (
        "Names (English and, in Wales, Welsh) of the local authorities, wards and LSOAs the "
        "postcode lookup uses.",
        "ONS NSPL August 2024 name files",
    ),
}
GROUPED_COLUMNS = {
    "postcodes24": {
        "postcode_key": "Postcode in upper case without spaces ('RM94UN')",
        "ltla24_code": "Local authority (2024); NULL for postcodes with no area",
        "ward24_code": "Ward (2024; electoral wards, Scottish multi-member wards, NI wards)",
        "lsoa21_code": "LSOA 2021 (England and Wales only)",
        "sdz21_code": "Super data zone 2021 (Northern Ireland only)",
    },
    "postcode_names24": {
        "code": "Area code",
        "type": "ltla24, ward24 or lsoa21",
        "name": "Name",
        "name_welsh": "Welsh name (Wales only)",
    },
}

COLUMN_PATTERNS: list[tuple[str, str]] = [
    (r"^published_left_behind$", "The source's published 'Left Behind Area?' flag"),
    (r"^cni_score$", "Community Needs Index score (higher = more need)"),
    (r"^cni_rank$", "Community Needs Index rank (1 = most need)"),
    (r"^(.*)_code$", "{0} code"),
    (r"^(.*)_name$", "{0} name"),
    (r"^(.*)_rank$", "{0} rank (1 = most deprived / most need)"),
    (r"^(.*)_decile$", "{0} decile (1 = most deprived 10%)"),
    (r"^(.*)_score$", "{0} score (higher = more deprived / more need)"),
    (r"^(.*)_proportion$", "{0}: proportion of small areas in the national most deprived 10%"),
    (r"^(.*)_extent$", "{0}: extent (share of population in the most deprived 30%, weighted)"),
    (r"^age_90_plus$", "Residents aged 90 and over"),
    (r"^age_(\d+)$", "Residents aged {0}"),
    (r"^total_population$", "All residents"),
    (r"^(.*)_indicator.*$", "IMD indicator: {0}"),
    (r"^(.*)_numerator$", "IMD numerator (count of people): {0}"),
    (r"^n$", "Count in this category"),
    (r"^prop$", "Share of the total in this category"),
]


def describe_column(column: str) -> str:
    """A plain description of a source column from its name.

    >>> describe_column("income_rank")
    'Income rank (1 = most deprived / most need)'
    """
    for pattern, template in COLUMN_PATTERNS:
        match = re.match(pattern, column)
        if match:
            words = [g.replace("_", " ") for g in match.groups()]
            text = template.format(*words)
            return text[0].upper() + text[1:]
    return column.replace("_", " ").capitalize()


def create_table_docs(con: duckdb.DuckDBPyConnection, sources: tuple[Source, ...]) -> None:
    con.execute(
        "CREATE TABLE table_docs (table_name VARCHAR, column_name VARCHAR, meaning VARCHAR, "
        "source VARCHAR)"
    )
    rows = []
    by_table: dict[str, list[Source]] = {}
    for source in sources:
        by_table.setdefault(source.table, []).append(source)
    for table, members in by_table.items():
        first = members[0]
        if len(members) == 1:
            meaning, origin = first.description, f"{first.url} ({first.licence})"
            column_source = first.id
        else:
            meaning, origin = GROUPED_TABLES[table]
            folder = first.url.rsplit("/", 1)[0]
            origin = f"{origin}; {len(members)} files from {folder}/ ({first.licence})"
            column_source = f"{first.id.rsplit('_', 1)[0]}_*"
        rows.append((table, "", meaning, origin))
        cols = con.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = ? "
            "ORDER BY ordinal_position",
            [table],
        ).fetchall()
        described = GROUPED_COLUMNS.get(table, {})
        rows.extend(
            (table, c, described.get(c) or describe_column(c), column_source) for (c,) in cols
        )
    for table, (meaning, columns, origin) in DERIVED_TABLES.items():
        rows.append((table, "", meaning, origin))
        rows.extend((table, c, m, origin) for c, m in columns.items())
    con.executemany("INSERT INTO table_docs VALUES (?, ?, ?, ?)", rows)


def add_table_docs(con: duckdb.DuckDBPyConnection, table_docs: dict[str, dict[str, str]]) -> None:
    """Record a stage's own column descriptions (``TABLE_DOCS``: table -> column -> meaning)."""
    rows = [
        (table, column, meaning, "derived")
        for table, columns in table_docs.items()
        for column, meaning in columns.items()
    ]
    if rows:
        con.executemany("INSERT INTO table_docs VALUES (?, ?, ?, ?)", rows)


def document_remaining(con: duckdb.DuckDBPyConnection) -> None:
    """Give every column that a stage did not document a description from its name."""
    missing = con.execute(
        """
        SELECT c.table_name, c.column_name FROM information_schema.columns c
        LEFT JOIN table_docs d ON d.table_name = c.table_name AND d.column_name = c.column_name
        WHERE c.table_schema = 'main' AND d.table_name IS NULL
        ORDER BY c.table_name, c.ordinal_position
        """
    ).fetchall()
    if missing:
        con.executemany(
            "INSERT INTO table_docs VALUES (?, ?, ?, ?)",
            [(t, c, describe_column(c), "derived") for t, c in missing],
        )


def data_model_markdown(con: duckdb.DuckDBPyConnection) -> str:
    """Markdown of every table: its meaning, then column, type, meaning and source."""
    types = {
        (t, c): dtype
        for t, c, dtype in con.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main'"
        ).fetchall()
    }
    docs = con.execute(
        "SELECT table_name, column_name, meaning, source FROM table_docs "
        "ORDER BY table_name, column_name = '' DESC"
    ).fetchall()
    order = {
        (t, c): i
        for i, (t, c) in enumerate(
            con.execute(
                "SELECT table_name, column_name FROM information_schema.columns "
                "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position"
            ).fetchall()
        )
    }
    lines = [
        "# Data model",
        "",
        "Generated from the evidence store's own schema by `leftbehind schema --markdown`.",
        "Do not edit by hand.",
        "",
    ]
    tables: dict[str, list[tuple[str, str, str]]] = {}
    meanings: dict[str, tuple[str, str]] = {}
    for table, column, meaning, source in docs:
        if column == "":
            meanings[table] = (meaning, source)
        else:
            tables.setdefault(table, []).append((column, meaning, source))
    for table in sorted(tables):
        meaning, source = meanings.get(table, ("", ""))
        lines += [f"## `{table}`", "", meaning, ""]
        if source:
            lines += [f"Source: {source}", ""]
        lines += ["| column | type | meaning | source |", "|---|---|---|---|"]
        for column, col_meaning, col_source in sorted(
            tables[table], key=lambda row: order.get((table, row[0]), 10**9)
        ):
            dtype = types.get((table, column), "")
            lines.append(f"| `{column}` | {dtype} | {col_meaning} | {col_source} |")
        lines.append("")
    return "\n".join(lines)
