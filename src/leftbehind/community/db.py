"""Engines and transactions for the community database (SQLite in WAL mode, or PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from leftbehind.errors import InvalidInput

#: How long a SQLite writer waits for the write lock before giving up (milliseconds).
SQLITE_BUSY_MS = 30_000


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL (None for in-memory databases and other backends)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    if parsed.database == ":memory:":
        return None
    return Path(parsed.database)


def _sqlite_engine(url: str, immediate: bool) -> Engine:
    path = sqlite_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_MS / 1000})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record) -> None:
        # Let SQLAlchemy's BEGIN below start transactions (pysqlite's own is deferred).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=FULL")  # an acknowledged write survives a crash
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_MS}")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn) -> None:
        # Writers take the write lock at BEGIN so that two writers never deadlock on upgrading
        # a read lock (SQLite would fail one at once instead of waiting).
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def make_engines(url: str) -> tuple[Engine, Engine]:
    """``(read_engine, write_engine)`` for ``url``; one engine for both on PostgreSQL."""
    try:
        backend = make_url(url).get_backend_name()
    except Exception:
        raise InvalidInput(
            f"LEFTBEHIND_DATABASE_URL {url!r} is not a database URL; use e.g. "
            "postgresql+psycopg://user:password@host/dbname or sqlite:///path/community.sqlite3",
            parameter="database_url",
        ) from None
    if backend == "sqlite":
        return _sqlite_engine(url, immediate=False), _sqlite_engine(url, immediate=True)
    if backend == "postgresql":
        engine = create_engine(url, pool_size=10, max_overflow=40, pool_pre_ping=True)
        return engine, engine
    raise InvalidInput(
        f"the community database must be SQLite or PostgreSQL, not {backend!r} "
        "(set LEFTBEHIND_DATABASE_URL=postgresql+psycopg://...)",
        parameter="database_url",
    )


class Community:
    """The community database of one site: engines, sessions, and one transaction per write."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.read_engine, self.write_engine = make_engines(url)
        self._reads = sessionmaker(self.read_engine, expire_on_commit=False)
        self._writes = sessionmaker(self.write_engine, expire_on_commit=False)

    @property
    def backend(self) -> str:
        return self.write_engine.dialect.name

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for reading (rolled back at the end)."""
        with self._reads() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed when the block ends, rolled back on any error."""
        with self._writes.begin() as session:
            yield session

    def dispose(self) -> None:
        self.read_engine.dispose()
        if self.write_engine is not self.read_engine:
            self.write_engine.dispose()
