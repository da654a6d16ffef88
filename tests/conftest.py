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
# One test client sends many allocation requests in a few seconds: apps made by the tests have
# no per-client allocation budget (tests/test_ratelimit.py checks the budget with the defaults).
os.environ["LEFTBEHIND_ALLOCATIONS_PER_MINUTE"] = "0"


def pytest_collection_modifyitems(config, items):
    """Tests that need no evidence store run first (in their files' order); the first test
    that needs the store then builds it (on a fresh clone) while the other worker waits.

    Building it in the background while these ran was measured and was slower on this 2-core
    machine (17 min 5 s against 12 min 18 s: the build and two workers contend for the
    cores)."""
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
