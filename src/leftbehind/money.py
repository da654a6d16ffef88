"""Money as exact pence, written two ways: for people and for machines."""

from __future__ import annotations

from typing import Any


def format_pence(pence: Any) -> str:
    """'£1,234.56' from an exact number of pence (for people).

    >>> format_pence(123456), format_pence(-5), format_pence(0)
    ('£1,234.56', '-£0.05', '£0.00')
    """
    value = int(pence)
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}£{value // 100:,}.{value % 100:02d}"


def pence_decimal(pence: Any) -> str:
    """'1234.56' from an exact number of pence (for CSV and JSON: no symbol, no separators).

    >>> pence_decimal(123456), pence_decimal(-5)
    ('1234.56', '-0.05')
    """
    value = int(pence)
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 100}.{value % 100:02d}"


def format_pounds(value: Any, digits: int = 2) -> str:
    """'£1,234.56' from pounds; ``None`` or '' is 'no data'.

    >>> format_pounds(1234.5), format_pounds(None), format_pounds(12, 0)
    ('£1,234.50', 'no data', '£12')
    """
    if value is None or value == "":
        return "no data"
    return f"£{float(value):,.{digits}f}"
