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


_BACKGROUND_BUILD = """
import os
from leftbehind.settings import fresh_settings
from leftbehind.store.build import build_store
build_store(fresh_settings())
"""


def pytest_configure(config):
    """In the main process (not a pytest-xdist worker), start building the test store in the
    background at once: on a fresh clone the tests that need no store (run first, see below)
    run while it builds, and the store fixture waits for it. A warm store is checked in a
    second. Its output goes to ``build.log`` in the test home."""
    if hasattr(config, "workerinput") or not (MIRROR / "manifest.csv").exists():
        return
    if config.getoption("collectonly", False):
        return
    import subprocess
    import sys

    TEST_HOME.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "LEFTBEHIND_HOME": str(TEST_HOME), "LEFTBEHIND_MIRROR": str(MIRROR)}
    log = (TEST_HOME / "build.log").open("w")
    config._leftbehind_build = subprocess.Popen(  # type: ignore[attr-defined]
        [sys.executable, "-c", _BACKGROUND_BUILD], env=env, stdout=log, stderr=log
    )


def pytest_unconfigure(config):
    build = getattr(config, "_leftbehind_build", None)
    if build is not None and build.poll() is None:
        build.terminate()  # the run ended first; the next build tidies its temporary files
        build.wait(timeout=30)


def pytest_collection_modifyitems(config, items):
    """Tests that need no evidence store run first (in their files' order), while the store
    builds in the background (``pytest_configure``)."""
    items.sort(key=lambda item: "store_home" in getattr(item, "fixturenames", ()))


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
    """A LEFTBEHIND_HOME holding a store built from the mirror (built once, then reused) and a
    community database at the current schema (as ``leftbehind db upgrade`` leaves it), so no
    test depends on another having created it. Another test process building the same home
    (pytest-xdist) is waited for; its store is then up to date."""
    import time

    from leftbehind.community.schema import upgrade
    from leftbehind.errors import StoreBusy
    from leftbehind.settings import fresh_settings
    from leftbehind.store.build import build_store

    TEST_HOME.mkdir(parents=True, exist_ok=True)
    os.environ["LEFTBEHIND_HOME"] = str(TEST_HOME)
    os.environ["LEFTBEHIND_MIRROR"] = str(mirror_dir)
    settings = fresh_settings()
    deadline = time.monotonic() + 1800
    while True:
        try:
            build_store(settings)
            break
        except StoreBusy:
            if time.monotonic() > deadline:
                raise
            time.sleep(1)
    upgrade(settings.community_url)
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


# -- the community database, on both backends -------------------------------------------------
@pytest.fixture(scope="session")
def pg_server():
    """A real PostgreSQL server for the session (skips, saying why, where none can start)."""
    import pgserver

    try:
        server = pgserver.start()
    except RuntimeError as exc:
        pytest.skip(f"PostgreSQL tests skipped: {exc}")
    yield server
    server.stop()


_DATABASES = iter(range(1, 1_000_000))


@pytest.fixture(params=["sqlite", "postgresql"])
def community_url(request, tmp_path: Path):
    """A fresh, migrated community database on SQLite (WAL file) and on PostgreSQL."""
    from leftbehind.community.schema import upgrade

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'community.sqlite3'}"
        upgrade(url)
        yield url
        return
    server = request.getfixturevalue("pg_server")
    name = f"community_{os.getpid()}_{next(_DATABASES)}"
    url = server.create_database(name)
    upgrade(url)
    yield url
    server.drop_database(name)


@pytest.fixture()
def community(community_url: str):
    from leftbehind.community import Community

    db = Community(community_url)
    yield db
    db.dispose()
