"""Opening the store: missing, damaged or busy stores are one-line errors."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from leftbehind.errors import StoreBusy, StoreMissing
from leftbehind.store.connection import connect


def test_missing_store_says_how_to_build(tmp_path: Path):
    with pytest.raises(StoreMissing, match="leftbehind build --mirror"):
        connect(tmp_path / "absent.duckdb")


def test_damaged_store_says_to_rebuild(tmp_path: Path):
    path = tmp_path / "leftbehind.duckdb"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(StoreMissing, match="build --force") as info:
        connect(path)
    assert "\n" not in str(info.value)


def test_store_held_by_another_process_is_busy(tmp_path: Path):
    path = tmp_path / "leftbehind.duckdb"
    duckdb.connect(str(path)).close()
    holder = subprocess.Popen(
        [sys.executable, "-c",
         f"import duckdb, sys, time; c = duckdb.connect({str(path)!r}); print('ready', "
         "flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreBusy, match=r"in use by another program \(process \d+\)"):
            connect(path, read_only=False)
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
