"""Shared fixtures.

Integration tests use the real data mirror (``../shared/sources``) and one evidence store built
from it, kept between runs in ``.test-home/`` (the build is incremental, so a warm run costs ~1 s).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MIRROR = Path(
    os.environ.get("LEFTBEHIND_TEST_MIRROR", REPO.parent / "shared" / "sources")
).resolve()
SAMPLES = REPO.parent / "shared" / "samples"
TEST_HOME = Path(os.environ.get("LEFTBEHIND_TEST_HOME", REPO / ".test-home")).resolve()


@pytest.fixture(scope="session")
def mirror_dir() -> Path:
    if not (MIRROR / "manifest.csv").exists():
        pytest.skip(
            f"integration data mirror not found at {MIRROR} (CI provides ../shared/sources)"
        )
    return MIRROR


@pytest.fixture(scope="session")
def samples_dir() -> Path:
    if not (SAMPLES / "README.md").exists():
        pytest.skip(f"sample inputs not found at {SAMPLES} (CI provides ../shared/samples)")
    return SAMPLES


@pytest.fixture(scope="session")
def store_home(mirror_dir: Path) -> Path:
    """A LEFTBEHIND_HOME holding a store built from the mirror (built once, then reused)."""
    from leftbehind.settings import fresh_settings
    from leftbehind.store.build import build_store

    TEST_HOME.mkdir(parents=True, exist_ok=True)
    os.environ["LEFTBEHIND_HOME"] = str(TEST_HOME)
    os.environ["LEFTBEHIND_MIRROR"] = str(mirror_dir)
    settings = fresh_settings()
    build_store(settings)
    return TEST_HOME


@pytest.fixture(scope="session")
def store_path(store_home: Path) -> Path:
    return store_home / "leftbehind.duckdb"


@pytest.fixture()
def con(store_path: Path):
    import duckdb

    connection = duckdb.connect(str(store_path), read_only=True)
    yield connection
    connection.close()
