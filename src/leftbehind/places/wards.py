"""Today's wards (codes in use from 2022 on) and the areas of every edition they overlap."""

from __future__ import annotations

from typing import Any

import duckdb

from leftbehind.editions import EDITIONS
from leftbehind.errors import AreaNotFound
from leftbehind.i18n import gettext as _
from leftbehind.places.postcodes import NATIONS, SMALL_AREA_WORDS, Facts, identification_facts
from leftbehind.places.stage import CROSSWALK_TABLE, METHODS, WARDS_TABLE

WARD_COLUMNS = [
    "code", "name", "name_welsh", "ltla_code", "ltla_name", "country_code", "first_year",
    "current", "mapped",
]  # fmt: skip


def today_wards(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    """Every ward code in use from 2022 on, with its local authority."""
    rows = con.execute(f"SELECT {', '.join(WARD_COLUMNS)} FROM {WARDS_TABLE}").fetchall()
    return [dict(zip(WARD_COLUMNS, r, strict=True)) for r in rows]


def ward_context(ward: dict[str, Any]) -> str:
    """'Barking and Dagenham, ward since 2022' (for search results)."""
    since = ward["first_year"]
    when = f"ward since {since}" if since and since > 2016 else "ward"
    if not ward["current"]:
        when = f"ward from {since}" if since and since > 2024 else f"ward of {since}"
    return f"{ward['ltla_name'] or ''}, {when}".strip(", ")


def _method_text(method: str, geography: str) -> str:
    word = SMALL_AREA_WORDS.get(geography, geography)
    if method == "exact":
        return f"exact: the ward has kept its code, and so its boundary, since 2017 ({word})"
    if method == "best_fit_population":
        if geography == "lsoa21":
            return (
                "best fit by population: the 2021 LSOAs whose best-fit ward (2024) this is, "
                "weighted by Census 2021 residents"
            )
        return (
            f"best fit by population: the ward's 2021 LSOAs, through the 2011 LSOAs they were "
            f"made from, to the {word}s holding their residents"
        )
    return (
        f"by area overlap: the ward's boundary overlapping the {word}s, each overlap weighted by "
        "the residents of the area it covers"
    )


def ward_places(
    con: duckdb.DuckDBPyConnection,
    code: str,
    facts: Facts | None = None,
    editions: list[str] | None = None,
) -> dict[str, Any]:
    """A ward of 2022-2026 and, for every edition of its nation, the areas it overlaps (share of
    the ward's residents, method); a plain sentence on what changed."""
    wanted_code = (code or "").strip().upper()
    row = con.execute(
        f"SELECT {', '.join(WARD_COLUMNS)} FROM {WARDS_TABLE} WHERE code = ?", [wanted_code]
    ).fetchone()
    if row is None:
        raise AreaNotFound(
            f"no ward '{code[:40]}' among the ward codes used from 2022 on; search by the ward's "
            "name instead"
        )
    ward = dict(zip(WARD_COLUMNS, row, strict=True))
    facts = facts or identification_facts(con)
    links = con.execute(
        f"SELECT edition, area_code, share, method FROM {CROSSWALK_TABLE} "
        "WHERE from_type = 'ward' AND from_code = ? ORDER BY share DESC, area_code",
        [ward["code"]],
    ).fetchall()
    by_edition: dict[str, list[tuple[str, float, str]]] = {}
    for eid, area, share, method in links:
        by_edition.setdefault(eid, []).append((area, share, method))
    out = []
    for edition in EDITIONS.values():
        if edition.country_code != ward["country_code"]:
            continue
        if editions is not None and edition.id not in editions:
            continue
        found = by_edition.get(edition.id, [])
        areas = []
        for area, share, _method in found:
            fact = facts(edition.id, area)
            if fact is not None:
                areas.append({"code": area, "name": fact[0], "group": fact[1],
                              "share": round(share, 4)})  # fmt: skip
        if not areas:
            continue
        method = found[0][2]
        out.append(
            {
                "edition": edition.id,
                "label": edition.title,
                "geography": edition.geography,
                "areas": areas,
                "method": method,
                "method_label": METHODS[method],
                "method_text": _method_text(method, edition.geography),
            }
        )
    ward["nation"] = NATIONS.get(ward["country_code"] or "")
    ward["context"] = ward_context(ward)
    ward["editions"] = out
    ward["change"] = change_sentence(ward)
    return ward


def change_sentence(ward: dict[str, Any]) -> str:
    """What became of the ward's area, in plain words."""
    name = ward["name"]
    if not ward["editions"]:
        if not ward["mapped"]:
            return (
                f"{name} is a ward from {ward['first_year']}; the store has no lookup or "
                "boundary for wards this new yet, so it cannot be matched to the editions' areas."
            )
        return f"{name} is not matched to an area of the editions in this store."
    parts = []
    for entry in ward["editions"]:
        top = entry["areas"][0]
        word = SMALL_AREA_WORDS.get(entry["geography"], entry["geography"])
        if entry["method"] == "exact":
            parts.append(f"{name} has the same boundary as the {word} {top['name']}")
        elif len(entry["areas"]) == 1:
            parts.append(f"all of {name} lies in the {word} {top['name']}")
        elif entry["geography"] == "lsoa21":
            parts.append(f"{name} is made up of {len(entry['areas'])} {word}s")
        else:
            parts.append(
                f"most of {name} ({top['share']:.0%} of residents) was in the {word} "
                f"{top['name']}, the rest in {len(entry['areas']) - 1} other"
                f"{'s' if len(entry['areas']) > 2 else ''}"
            )
    # The same sentence for both LSOA editions once.
    unique = list(dict.fromkeys(parts))
    since = ward["first_year"]
    head = f"{name} ward was created or redrawn in {since}: " if since and since > 2016 else ""
    text = "; ".join(unique)
    return head + text[0].upper() + text[1:] + "." if not head else head + text + "."


def wards_of_today(
    con: duckdb.DuckDBPyConnection, edition: str, area_code: str
) -> list[dict[str, Any]]:
    """The wards in use today (August 2024) that overlap an area of an edition, with the share
    of each ward's residents that lies in the area, largest first."""
    rows = con.execute(
        f"""
        SELECT w.code, w.name, w.ltla_name, w.first_year, c.share, c.method
        FROM {CROSSWALK_TABLE} c JOIN {WARDS_TABLE} w ON w.code = c.from_code
        WHERE c.from_type = 'ward' AND c.edition = ? AND c.area_code = ? AND w.current
        ORDER BY c.share DESC, w.name
        """,
        [edition, area_code],
    ).fetchall()
    keys = ["code", "name", "ltla_name", "first_year", "share", "method"]
    return [dict(zip(keys, r, strict=True)) for r in rows]


def today_sentence(area_name: str, area_code: str, wards: list[dict[str, Any]]) -> str:
    """'Becontree ward (2017) was redrawn: ...' in plain words, in the current language."""
    if not wards:
        return ""
    if any(w["code"] == area_code and w["method"] == "exact" for w in wards):
        return _("{name} is a ward today with the same code and boundary as then.").format(
            name=area_name
        )
    names = [
        _("{ward} ({share}% of its residents live here)").format(
            ward=w["name"], share=round(100 * w["share"])
        )
        if w["share"] < 0.995
        else _("all of {ward}").format(ward=w["name"])
        for w in wards[:6]
    ]
    since = min((w["first_year"] for w in wards if w["first_year"]), default=None)
    if since and since > 2016:
        template = _("Today's wards (wards drawn from {year} on) that overlap {name}: {wards}.")
    else:
        template = _("Today's wards that overlap {name}: {wards}.")
    return template.format(year=since, name=area_name, wards="; ".join(names))
