"""Money as exact pence, written two ways: for people and for machines."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

#: '£2,000,000', '2000000', '1,234.56', '250k', '£1.5m', '2bn' (commas between thousands only).
AMOUNT = re.compile(
    r"^£?\s*(?P<number>\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)\s*"
    r"(?P<suffix>k|m|bn)?$",
    re.IGNORECASE,
)
SUFFIX = {None: 1, "k": 1_000, "m": 1_000_000, "bn": 1_000_000_000}


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


def parse_amount(text: Any) -> float:
    """Pounds from what people write: an optional `£`, commas between thousands, pence and a
    `k` (thousand), `m` (million) or `bn` (billion) suffix; a ``ValueError`` naming the
    accepted forms otherwise.

    >>> parse_amount("£2,000,000"), parse_amount("250k"), parse_amount("£1.5m"), parse_amount(12)
    (2000000.0, 250000.0, 1500000.0, 12.0)
    """
    if isinstance(text, int | float) and not isinstance(text, bool):
        return float(text)
    raw = str(text).strip()
    match = AMOUNT.match(raw)
    if not match:
        raise ValueError(
            f"{raw!r} is not an amount of money; write e.g. 2000000, £2,000,000, 250k or 1.5m"
        )
    number = Decimal(match["number"].replace(",", ""))
    suffix = match["suffix"].lower() if match["suffix"] else None
    return float(number * SUFFIX[suffix])
