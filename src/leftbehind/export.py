"""Output formats shared by the CLI and the web: CSV with formula cells neutralised, JSON-ready
values.

Spreadsheet programs run a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (OWASP, "CSV Injection"). Text cells that start so, and are not plain
numbers, are written with a leading apostrophe; numbers and GSS codes are never touched.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """``value`` with a leading apostrophe when a spreadsheet would run it as a formula.

    >>> safe_cell("=HYPERLINK(1)"), safe_cell("-12.5"), safe_cell("E05000028"), safe_cell(-3)
    ("'=HYPERLINK(1)", '-12.5', 'E05000028', -3)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def csv_text(rows: list[dict[str, Any]], columns: list[str]) -> str:
    """Rows as CSV text with a header of ``columns`` (missing values empty, ``\\n`` line ends)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else safe_cell(row.get(k)) for k in columns})
    return buffer.getvalue()


def frame_csv(df: pd.DataFrame) -> str:
    """A DataFrame as CSV text (no index, ``\\n`` line ends, formula cells neutralised), for
    text columns of either kind (``object`` or pandas' string dtype).

    >>> frame_csv(pd.DataFrame({"id": ["=SUM(1)", "E05000028"], "n": [-1, 2]}))
    "id,n\\n'=SUM(1),-1\\nE05000028,2\\n"
    """
    out = df.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if pd.api.types.is_object_dtype(dtype) or pd.api.types.is_string_dtype(dtype):
            out[column] = out[column].astype(object).map(safe_cell)
    return out.to_csv(index=False, lineterminator="\n")


def clean(value: Any) -> Any:
    """A plain Python value for JSON and templates (NaN -> None, numpy -> Python)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is pd.NA or value is pd.NaT:
        return None
    return value


def plain(value: Any) -> Any:
    """:func:`clean` all the way down: dicts, lists, tuples and arrays become JSON-ready.

    >>> plain({"a": np.float64("nan"), "b": (np.int64(2), Path("x"))})
    {'a': None, 'b': [2, 'x']}
    """
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | np.ndarray):
        return [plain(v) for v in value]
    if hasattr(value, "model_dump"):
        return plain(value.model_dump())
    value = clean(value)
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def json_text(data: Any, indent: int | None = None) -> str:
    """Valid JSON text (RFC 8259): never ``NaN`` or ``Infinity`` (written as ``null``), UTF-8
    kept, numpy values, dates and paths converted; compact unless ``indent`` is given.

    >>> json_text({"a": float("inf"), "b": [np.float64("nan"), 1.5]})
    '{"a":null,"b":[null,1.5]}'
    """
    separators = (",", ":") if indent is None else None
    options: dict[str, Any] = {
        "ensure_ascii": False, "allow_nan": False, "indent": indent, "separators": separators,
        "default": json_default,
    }  # fmt: skip
    try:
        return json.dumps(data, **options)
    except ValueError:  # a non-finite float somewhere: the same document with nulls
        return json.dumps(plain(data), **options)


def json_default(value: Any) -> Any:
    """``json.dumps`` fallback for numpy scalars, dates and paths."""
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, Path):
        return str(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
