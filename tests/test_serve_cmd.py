"""``leftbehind serve`` with no store: it builds one, or says exactly how to."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_serve_without_a_store_or_sources_says_how_to_build(tmp_path: Path):
    empty_mirror = tmp_path / "mirror"
    empty_mirror.mkdir()
    env = {
        **os.environ,
        "LEFTBEHIND_HOME": str(tmp_path / "home"),
        "LEFTBEHIND_MIRROR": str(empty_mirror),
    }
    result = subprocess.run(
        [sys.executable, "-m", "leftbehind", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert result.returncode != 0
    assert "leftbehind build --mirror" in result.stderr
    assert "not in the mirror" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "home" / "leftbehind.duckdb").exists()
