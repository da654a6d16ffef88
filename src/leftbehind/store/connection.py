"""Open the evidence store."""

from __future__ import annotations

from pathlib import Path

import duckdb

from leftbehind.errors import StoreMissing
from leftbehind.settings import get_settings


def store_path() -> Path:
    return get_settings().store_path


def connect(path: Path | None = None, read_only: bool = True) -> duckdb.DuckDBPyConnection:
    """Connect to the store; a missing store is a clear error telling how to build it."""
    path = Path(path) if path is not None else store_path()
    if not path.exists():
        raise StoreMissing(
            f"no evidence store at {path}; build it with "
            "'leftbehind build --mirror ../shared/sources' (or 'leftbehind build' with network)"
        )
    return duckdb.connect(str(path), read_only=read_only)
