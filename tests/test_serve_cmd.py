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


def test_serve_with_workers_answers_from_every_process(store_path: Path):
    """``--workers 2``: uvicorn worker processes, each building the app from the settings it
    is given through the environment; the editions page answers with the chosen edition."""
    import socket
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "LEFTBEHIND_HOME": str(store_path.parent)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "leftbehind", "serve", "--port", str(port), "--workers", "2",
         "--edition", "england-2023-lsoa"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                r = httpx.get(f"http://127.0.0.1:{port}/api/editions", timeout=10)
                body = r.json() if r.status_code == 200 else None
            except httpx.HTTPError:
                time.sleep(0.3)
        assert body is not None, "the server did not answer"
        default = [e["id"] for e in body["editions"] if e["default"]]
        assert default == ["england-2023-lsoa"]
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert b"Traceback" not in stderr
