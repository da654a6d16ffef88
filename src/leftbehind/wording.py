"""How numbers and units are written for people: the one formatter of the site's pages and
the printable briefings (no raw unit identifiers such as ``ratio_100`` ever reach a reader).
"""

from __future__ import annotations

from typing import Any


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
