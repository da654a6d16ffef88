"""A UK postcode -> its local authority, ward (2024), small area (2021) and nation, and, for every
edition of that nation, the area it lies in and how that was found.

The lookup is the store's ``postcodes24`` (August 2024 ONS NSPL, 2.65 million postcodes); the
editions' areas come from ``place_crosswalk`` (:mod:`leftbehind.places.stage`).

>>> parse_postcode("rm9-4un").formatted
'RM9 4UN'
>>> parse_postcode(" RM9  4UN ").key
'RM94UN'
>>> [looks_like_postcode(q) for q in ("Becontree", "e05000028", "sr28rp")]
[False, False, True]
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import duckdb

from leftbehind.editions import EDITIONS
from leftbehind.errors import InvalidInput, PostcodeNotFound
from leftbehind.places.stage import CROSSWALK_TABLE, METHODS

#: Outward code (area letters, district digit, optional digit or letter), then inward code.
POSTCODE = re.compile(r"^(?:[A-Z]{1,2}\d[A-Z\d]?|GIR)\d[A-Z]{2}$")
_SEPARATORS = re.compile(r"[\s\-._/]+")
MAX_LENGTH = 16
SOURCE = "ONS National Statistics Postcode Lookup, August 2024"
NATIONS = {
    "E92000001": "England",
    "W92000004": "Wales",
    "S92000003": "Scotland",
    "N92000002": "Northern Ireland",
}
_COUNTRY_BY_LETTER = {"E": "E92000001", "W": "W92000004", "S": "S92000003", "N": "N92000002"}
SMALL_AREA_WORDS = {
    "lsoa21": "2021 LSOA",
    "ward17": "2017 ward",
    "msoa11": "2011 MSOA",
    "iz11": "intermediate zone",
    "soa11": "super output area",
}


@dataclass(frozen=True)
class Postcode:
    key: str  # 'RM94UN'
    formatted: str  # 'RM9 4UN'

    @property
    def outward(self) -> str:
        return self.key[:-3]


def _compact(text: str) -> str:
    return _SEPARATORS.sub("", text or "").upper()


def looks_like_postcode(text: str) -> bool:
    """Whether ``text`` is written like a UK postcode (any case, spaces or hyphens)."""
    if not text or len(text) > MAX_LENGTH:
        return False
    return bool(POSTCODE.match(_compact(text)))


def parse_postcode(text: str) -> Postcode:
    """The postcode in ``text`` (``rm94un``, ``RM9  4UN``, ``rm9-4un``), or a clear error."""
    raw = (text or "").strip()
    shown = raw if len(raw) <= 20 and raw.isprintable() else f"{raw[:20]!r}..."
    if not raw:
        raise InvalidInput("no postcode given; type one such as RM9 4UN", parameter="postcode")
    key = _compact(raw)
    if len(raw) > MAX_LENGTH or not key.isascii() or not POSTCODE.match(key):
        raise InvalidInput(
            f"'{shown}' is not a UK postcode; a postcode looks like RM9 4UN or SR2 8RP "
            "(letters and digits, then a digit and two letters)",
            parameter="postcode",
        )
    return Postcode(key, f"{key[:-3]} {key[-3:]}")


def _method_text(geography: str, method: str, via: str) -> str:
    word = SMALL_AREA_WORDS.get(geography, geography)
    if method == "exact" and via == "lsoa21" and geography == "lsoa21":
        return "exact: the postcode's 2021 LSOA is itself an area of this edition"
    if method == "exact" and via == "ward":
        return (
            f"exact: the postcode's ward (2024) has the same code, and so the same boundary, as "
            f"the {word}"
        )
    if method == "exact":
        return f"exact: the postcode's 2021 LSOA lies wholly within this {word}"
    if method == "best_fit_population" and via == "lsoa21":
        return (
            f"best fit by population: the postcode's 2021 LSOA, through the 2011 LSOAs it was "
            f"made from, to the {word} holding most of their residents"
        )
    if method == "best_fit_population":
        return (
            f"best fit by population: the 2021 LSOAs of the postcode's ward (2024), to the "
            f"{word} holding most of their residents"
        )
    return (
        f"by area overlap: the postcode's ward (2024) overlaps these {word}s; each share is the "
        "ward's estimated residents in it (no smaller area comes with the postcode here)"
    )


def _not_found(con: duckdb.DuckDBPyConnection, postcode: Postcode) -> PostcodeNotFound:
    outward = postcode.outward
    if outward[-1].isalpha():
        return PostcodeNotFound(
            f"{postcode.formatted} is not in the postcode lookup: it leaves out postcode "
            f"districts whose name ends in a letter, as {outward} does (EC1A, SW1A, W1A and "
            "others in central London); search for the ward or area by name instead",
            reason="unsupported_district",
            postcode=postcode.formatted,
        )
    in_district = con.execute(
        "SELECT count(*) FROM postcodes24 WHERE postcode_key >= ? AND postcode_key < ? "
        "AND length(postcode_key) = ?",
        [outward, outward + "Z", len(postcode.key)],
    ).fetchone()[0]
    where = (
        f"district {outward} has {in_district:,} other postcodes"
        if in_district
        else f"there is no postcode district {outward} in it"
    )
    return PostcodeNotFound(
        f"{postcode.formatted} is not in the postcode lookup ({SOURCE}; {where}): check it; "
        "postcodes created after August 2024 are not in it yet",
        reason="unknown",
        postcode=postcode.formatted,
    )


Facts = Callable[[str, str], "tuple[str | None, str | None] | None"]


def identification_facts(con: duckdb.DuckDBPyConnection) -> Facts:
    """(edition, code) -> (name, group) read from the store's ``identification`` table."""

    def facts(edition: str, code: str) -> tuple[str | None, str | None] | None:
        row = con.execute(
            'SELECT name, "group" FROM identification WHERE edition = ? AND code = ?',
            [edition, code],
        ).fetchone()
        return (row[0], row[1]) if row else None

    return facts


class PostcodeLookup:
    """Postcode answers from one store; keeps the lookup's 44,000 area names in memory (read once)
    so a lookup is three point queries. ``facts``: (edition, code) -> (name, group) of an
    edition's area (default: read from ``identification``)."""

    def __init__(self, facts: Facts | None = None) -> None:
        self._facts = facts
        self._names: dict[str, tuple[str, str | None]] | None = None

    def names(self, con: duckdb.DuckDBPyConnection) -> dict[str, tuple[str, str | None]]:
        if self._names is None:
            self._names = {
                code: (name, welsh)
                for code, name, welsh in con.execute(
                    "SELECT code, name, name_welsh FROM postcode_names24"
                ).fetchall()
            }
        return self._names

    def lookup(
        self, con: duckdb.DuckDBPyConnection, text: str, editions: list[str] | None = None
    ) -> dict[str, Any]:
        """Everything the store knows about the postcode in ``text``.

        ``editions``: the editions to answer for (default: every declared edition in the
        store); only those of the postcode's nation are answered. Raises :class:`InvalidInput`
        for text that is not a postcode and :class:`PostcodeNotFound` for one the lookup does
        not hold.
        """
        postcode = parse_postcode(text)
        row = con.execute(
            "SELECT ltla24_code, ward24_code, lsoa21_code, sdz21_code FROM postcodes24 "
            "WHERE postcode_key = ?",
            [postcode.key],
        ).fetchone()
        if row is None:
            raise _not_found(con, postcode)
        ltla, ward, lsoa21, sdz21 = row
        names = self.names(con)

        def named(code: str | None) -> dict[str, Any] | None:
            if not code:
                return None
            name, welsh = names.get(code, (None, None))
            item: dict[str, Any] = {"code": code, "name": name}
            if welsh and welsh != name:
                item["name_welsh"] = welsh
            return item

        country = _COUNTRY_BY_LETTER.get((ltla or ward or "?")[0])
        result: dict[str, Any] = {
            "postcode": postcode.formatted,
            "nation": NATIONS.get(country or ""),
            "country_code": country,
            "local_authority": named(ltla),
            "ward": named(ward),
            "lsoa21": named(lsoa21),
            "sdz21": {"code": sdz21} if sdz21 else None,
            "editions": [],
            "source": SOURCE,
        }
        if country is None:
            result["note"] = (
                "The postcode is in the lookup but has no local authority or small area (for "
                "example a PO box, a non-geographic postcode or one outside the UK's nations)."
            )
            return result
        facts = self._facts or identification_facts(con)
        result["editions"] = _edition_areas(con, facts, country, ward, lsoa21, editions)
        if not result["editions"]:
            result["note"] = f"No edition of {NATIONS[country]} is in this store."
        return result


def lookup_postcode(
    con: duckdb.DuckDBPyConnection, text: str, editions: list[str] | None = None
) -> dict[str, Any]:
    """:meth:`PostcodeLookup.lookup` without keeping anything."""
    return PostcodeLookup().lookup(con, text, editions)


def _links(
    con: duckdb.DuckDBPyConnection, from_type: str, code: str | None
) -> list[tuple[str, str, float, str]]:
    if not code:
        return []
    return con.execute(
        f"SELECT edition, area_code, share, method FROM {CROSSWALK_TABLE} "
        "WHERE from_type = ? AND from_code = ? ORDER BY share DESC, area_code",
        [from_type, code],
    ).fetchall()


def _edition_areas(
    con: duckdb.DuckDBPyConnection,
    facts: Facts,
    country: str,
    ward: str | None,
    lsoa21: str | None,
    editions: list[str] | None,
) -> list[dict[str, Any]]:
    wanted = [
        e for e in EDITIONS.values()
        if e.country_code == country and (editions is None or e.id in editions)
    ]  # fmt: skip
    if not wanted:
        return []
    by_edition: dict[tuple[str, str], list[tuple[str, float, str]]] = {}
    needs_links = any(e.geography != "lsoa21" or not lsoa21 for e in wanted)
    if needs_links:
        for from_type, code in (("lsoa21", lsoa21), ("ward", ward)):
            for eid, area, share, method in _links(con, from_type, code):
                by_edition.setdefault((eid, from_type), []).append((area, share, method))
    out = []
    for edition in wanted:
        if edition.geography == "lsoa21" and lsoa21:
            via, links = "lsoa21", [(lsoa21, 1.0, "exact")]
        else:
            ward_links = by_edition.get((edition.id, "ward"), [])
            lsoa_links = by_edition.get((edition.id, "lsoa21"), [])
            if ward_links and ward_links[0][2] == "exact":  # an unchanged ward
                via, links = "ward", ward_links[:1]
            elif lsoa_links:
                via, links = "lsoa21", lsoa_links
            else:
                via, links = "ward", ward_links
        candidates = []
        for area, share, _ in links:
            fact = facts(edition.id, area)
            if fact is not None:
                candidates.append(
                    {"code": area, "name": fact[0], "group": fact[1], "share": round(share, 4)}
                )
        if not candidates:
            continue
        method = links[0][2]
        out.append(
            {
                "edition": edition.id,
                "label": edition.title,
                "geography": edition.geography,
                "area": candidates[0],
                "candidates": candidates,
                "unique": len(candidates) == 1,
                "method": method,
                "method_label": METHODS[method],
                "method_text": _method_text(edition.geography, method, via),
            }
        )
    return out
