"""How numbers and units are written for people: the one formatter of the site's pages and
the printable briefings (no raw unit identifiers such as ``ratio_100`` ever reach a reader).
"""

from __future__ import annotations

from typing import Any

from leftbehind.i18n import N_, capitalise, format_number
from leftbehind.i18n import gettext as _


def fmt_number(value: Any, digits: int = 0) -> str:
    if value is None or value == "":
        return "no data"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (isinstance(value, float) and digits == 0 and value.is_integer()):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.{digits or 1}f}"
    return str(value)


def fmt_value(value: Any, unit: str | None = None) -> str:
    if value is None:
        return "no data"
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    unit = (unit or "").strip()
    if unit == "gbp_per_head":
        return f"£{value:,.2f} per person"
    if unit in ("%", "percent", "percentage"):
        return f"{value:,.1f}%"
    if unit in ("share", "proportion", "rate") and abs(value) <= 1:
        return f"{100 * value:,.1f}%"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
    if unit in UNIT_WORDS:
        return f"{text} {UNIT_WORDS[unit]}" if UNIT_WORDS[unit] else text
    if unit:  # an unexpected unit: in words, never an identifier
        return f"{text} {unit.replace('_', ' ')}"
    return text


#: How each framework unit is written after a value ('' : the number alone; what it measures
#: is said in the indicator's label and :func:`unit_note`).
UNIT_WORDS = {
    "km": "km",
    "per_1000": "per 1,000 people",
    "ratio_100": "",
    "score": "",
    "count": "",
    "number": "",
    "ratio": "",
    "index": "",
}


def unit_note(unit: str | None, nation_value: Any = None, nation: str | None = None) -> str:
    """What a unit means, in words, with the nation's own value where the scale has no fixed
    reference: ``'ratio, England = 118.7'`` for a standardised ratio."""
    where = nation or "England"
    if unit == "ratio_100":
        if isinstance(nation_value, int | float) and not isinstance(nation_value, bool):
            return f"ratio, {where} = {nation_value:,.1f}"
        return "ratio"
    if unit == "per_1000":
        return "per 1,000 people a year"
    return ""


def ordinal(n: Any) -> str:
    if n is None:
        return "no data"
    n = round(float(n))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def fmt_percent(value: Any, digits: int = 1) -> str:
    """'12.3%' from a share between 0 and 1."""
    if value is None:
        return "no data"
    return f"{100 * float(value):.{digits}f}%"


FILTERS = {
    "num": fmt_number,
    "value": fmt_value,
    "unit_note": unit_note,
    "ordinal": ordinal,
    "percent": fmt_percent,
}


# -- per-nation sentences ----------------------------------------------------------------------
# Whole sentences with named placeholders ({nation}, {index}, {cni}, ...), so each is translated
# as one unit (leftbehind.i18n; the Welsh catalogue). Filled from an edition's declared data
# (leftbehind.editions), every placeholder in the reader's language. Besides the fields of
# :func:`nation_fields`, a translation may use {in_nation} ('in Wales', Welsh 'yng Nghymru':
# the preposition with its mutation) and {In_nation} (the same, capitalised).

#: The published 'left behind' rule of an edition, by how its IMD is combined (``imd_method``).
DEFINITION_SENTENCES: dict[str, str] = {
    "population_weighted_score": N_(
        "In {nation}, {area_words} count as 'left behind' when they are among the 10% with the "
        "highest community need on the {cni} and among the most deprived 10% on the {index} "
        "(their small areas' scores averaged, weighted by population)."
    ),
    "published_rank": N_(
        "In {nation}, {area_words} count as 'left behind' when they are among the 10% with the "
        "highest community need on the {cni} and among the most deprived 10% of {nation}'s "
        "{area_words} on the {index}."
    ),
    "most_deprived_small_area": N_(
        "In {nation}, {area_words} count as 'left behind' when they are among the 10% with the "
        "highest community need on the {cni} and contain at least one {small_area} among the "
        "most deprived 10% of {nation}'s {small_areas} on the {index}."
    ),
}

STATUS_SENTENCES: dict[str, str] = {
    "left_behind": N_(
        "{name} is one of the {count} {area_words} of {nation} identified as 'left behind': "
        "it is among {nation}'s most deprived on the {index} and has few places to meet, weak "
        "connections and low community activity."
    ),
    "other_deprived": N_(
        "{name} is among {nation}'s most deprived {area_words} on the {index}, but it has more "
        "community places, better connections or more community activity than {nation}'s "
        "'left behind' areas."
    ),
    "rest": N_("{name} is not among {nation}'s most deprived {area_words} on the {index}."),
}

RANK_SENTENCE = N_(
    "It ranks {rank} of {count} {area_words} in {nation} on deprivation (1 is most deprived)."
)
CNI_RANK_SENTENCE = N_(
    "It ranks {rank} of {nation}'s {area_words} on community need in the {cni} "
    "(1 is the highest need)."
)
NO_PROFILE_SENTENCE = N_(
    "There is no indicator profile for {nation}'s {area_words} yet: no data for this nation yet."
)

#: Each nation with its preposition ('in'), whole, so a language that mutates the name after
#: the preposition (Welsh: 'yng Nghymru', 'yng Ngogledd Iwerddon') translates the pair.
NATION_IN: dict[str, str] = {
    "England": N_("in England"),
    "Wales": N_("in Wales"),
    "Scotland": N_("in Scotland"),
    "Northern Ireland": N_("in Northern Ireland"),
}

#: The names the per-nation sentences put in their placeholders (editions' declared words),
#: listed so the catalogue has each one (tests/test_i18n.py checks every edition's words).
NAME_MESSAGES = (
    N_("England"),
    N_("Wales"),
    N_("Scotland"),
    N_("Northern Ireland"),
    N_("wards"),
    N_("neighbourhoods"),
    N_("intermediate zones"),
    N_("super output areas"),
    N_("LSOA"),
    N_("LSOAs"),
    N_("small area"),
    N_("small areas"),
    N_("data zone"),
    N_("data zones"),
    N_("English Index of Multiple Deprivation 2019"),
    N_("English Index of Multiple Deprivation 2025"),
    N_("Welsh Index of Multiple Deprivation 2019 (WIMD)"),
    N_("Scottish Index of Multiple Deprivation 2020 (SIMD)"),
    N_("Northern Ireland Multiple Deprivation Measure 2017 (NIMDM)"),
    N_("Community Needs Index 2019"),
    N_("Community Needs Index 2023"),
    N_("Community Needs Index 2022 for Wales"),
    N_("Community Needs Index 2022 for Scotland"),
    N_("Community Needs Index 2022 for Northern Ireland"),
)


def nation_fields(ed: Any) -> dict[str, str]:
    """The placeholders every per-nation sentence may use, from an edition's declared data, in
    the current language."""
    in_nation = _(NATION_IN.get(ed.nation, f"in {ed.nation}"))
    return {
        "nation": _(ed.nation),
        "in_nation": in_nation,
        "In_nation": capitalise(in_nation),
        "index": _(ed.index_name or ed.imd),
        "cni": _(ed.cni_name or ed.cni),
        "area_words": _(ed.area_words),
        "small_area": _(ed.small_area_word),
        "small_areas": _(ed.small_area_words),
    }


def definition_sentence(ed: Any) -> str:
    """The 'left behind' rule used for an edition's nation, in one sentence."""
    return _(DEFINITION_SENTENCES[ed.imd_method]).format(**nation_fields(ed))


def status_sentence(ed: Any, rec: dict[str, Any], left_behind_count: int) -> str:
    """Where an area stands in its nation, naming the nation and its deprivation index."""
    template = STATUS_SENTENCES.get(rec.get("group") or "rest", STATUS_SENTENCES["rest"])
    return _(template).format(
        name=rec.get("name") or rec["code"],
        count=format_number(left_behind_count),
        **nation_fields(ed),
    )


def rank_sentence(ed: Any, rank: Any, count: int) -> str | None:
    """The area's deprivation rank in its nation, or None without one."""
    if not rank:
        return None
    return _(RANK_SENTENCE).format(
        rank=format_number(int(rank)), count=format_number(count), **nation_fields(ed)
    )


def cni_rank_sentence(ed: Any, rank: Any) -> str | None:
    """The area's Community Needs Index rank in its nation, or None without one."""
    if not rank:
        return None
    return _(CNI_RANK_SENTENCE).format(rank=format_number(int(rank)), **nation_fields(ed))


def no_profile_sentence(ed: Any) -> str:
    """Said where a nation has no indicator profile."""
    return _(NO_PROFILE_SENTENCE).format(**nation_fields(ed))
