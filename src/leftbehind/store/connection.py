"""Open the evidence store."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from leftbehind.errors import DiskProblem, StoreBusy, StoreMissing
from leftbehind.settings import get_settings
from leftbehind.store.housekeeping import describe_disk_error


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
    try:
        return duckdb.connect(str(path), read_only=read_only)
    except duckdb.Error as exc:
        message = str(exc)
        if "lock" in message.lower():
            holder = re.search(r"PID (\d+)", message)
            who = f" (process {holder.group(1)})" if holder else ""
            raise StoreBusy(
                f"the evidence store {path} is in use by another program{who}, such as "
                "'leftbehind serve'; stop it and try again"
            ) from None
        disk = describe_disk_error(exc, path.parent)
        if disk is not None:
            mode = "read" if read_only else "write"
            raise DiskProblem(f"cannot {mode} the evidence store {path}: {disk}") from None
        raise StoreMissing(
            f"cannot open the evidence store {path} ({message.splitlines()[0]}); rebuild it "
            "with 'leftbehind build --force'"
        ) from None
