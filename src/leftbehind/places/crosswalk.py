"""Crosswalks as open data: today's geographies -> the areas of an edition, with the method.

The rows are those of ``place_crosswalk`` (built by :mod:`leftbehind.places.stage`), joined to the
names of both sides, one table per (edition, from type):

* ``ward``: every ward code of 2016-2026 (ONS ward lookups) -> the edition's areas it lies in;
* ``lsoa21``: every 2021 LSOA (what a postcode gives) -> the edition's areas, for editions whose
  areas are not 2021 LSOAs themselves.

``share`` is the share of the ward's or LSOA's residents in the area (0-1; the shares of one
``from_code`` add up to 1 up to rounding), ``method`` how it was found:

* ``exact``: the code is the area, or the area is made of whole LSOAs of it;
* ``best_fit_population``: through 2021 LSOAs (ONS best-fit lookups), weighted by residents;
* ``area_overlap``: boundaries overlaid, each overlap weighted by the residents of the small
  areas it falls in (Scotland and Northern Ireland, where no small-area code comes with a ward).
"""

from __future__ import annotations

from typing import Any

import duckdb

from leftbehind.editions import EDITIONS
from leftbehind.errors import UnknownName
from leftbehind.places.stage import CROSSWALK_TABLE, METHODS, WARDS_TABLE

#: What a crosswalk can start from, with the words the download uses.
FROM_TYPES = {
    "ward": "ward codes of 2016-2026 (ONS ward lookups)",
    "lsoa21": "2021 LSOAs (Census 2021 small areas; what a postcode gives)",
}
COLUMNS = [
    "from_type",
    "from_code",
    "from_name",
    "edition",
    "area_code",
    "area_name",
    "share",
    "method",
    "method_description",
]


def crosswalk_rows(
    con: duckdb.DuckDBPyConnection, edition: str, from_type: str
) -> list[dict[str, Any]]:
    """Every crosswalk row of one edition from one type, ordered by code, with both names.

    Raises :class:`UnknownName` for an unknown edition or from type, and for a pair the store
    has no rows of (e.g. 2021 LSOAs for an edition whose areas are 2021 LSOAs)."""
    if from_type not in FROM_TYPES:
        raise UnknownName(
            f"unknown crosswalk '{from_type}'; choose one of: {', '.join(FROM_TYPES)}"
        )
    if edition not in EDITIONS:
        raise UnknownName(f"unknown edition '{edition}'; choose one of: {', '.join(EDITIONS)}")
    geography = EDITIONS[edition].geography
    from_names = (
        f"(SELECT code, name FROM {WARDS_TABLE})"
        if from_type == "ward"
        else "(SELECT code, name FROM areas WHERE type = 'lsoa21')"
    )
    rows = con.execute(
        f"""
        SELECT x.from_type, x.from_code, f.name AS from_name, x.edition, x.area_code,
               a.name AS area_name, round(x.share, 6) AS share, x.method
        FROM {CROSSWALK_TABLE} x
        LEFT JOIN {from_names} f ON f.code = x.from_code
        LEFT JOIN (SELECT code, name FROM areas WHERE type = ?) a ON a.code = x.area_code
        WHERE x.edition = ? AND x.from_type = ?
        ORDER BY x.from_code, x.share DESC, x.area_code
        """,
        [geography, edition, from_type],
    ).fetchall()
    if not rows:
        hint = (
            " (its areas are 2021 LSOAs: a postcode's LSOA is the area itself)"
            if from_type == "lsoa21" and geography == "lsoa21"
            else ""
        )
        raise UnknownName(f"edition {edition} has no crosswalk from {from_type}{hint}")
    names = COLUMNS[:-1]
    return [
        {**dict(zip(names, row, strict=True)), "method_description": METHODS[row[7]]}
        for row in rows
    ]


def available(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """The (edition, from type) pairs the store has crosswalk rows for."""
    return [
        (e, t)
        for e, t in con.execute(
            f"SELECT DISTINCT edition, from_type FROM {CROSSWALK_TABLE} ORDER BY 1, 2"
        ).fetchall()
    ]
