"""Backups of the community database: ``backup(url, file)`` and ``restore(url, file)``.

SQLite: the online backup API (a consistent copy while the site keeps writing), written to a
temporary file and renamed into place. PostgreSQL: ``pg_dump --format=custom`` and
``pg_restore --clean`` when those programs are installed (otherwise the error says which command
to run).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from leftbehind.atomic import atomic_path
from leftbehind.community.db import sqlite_path
from leftbehind.errors import InvalidInput, MissingSource


def _libpq_url(url: str) -> str:
    """The SQLAlchemy URL as a libpq one (``postgresql://``, password included)."""
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _pg_tool(name: str, hint: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"))[-1:]), None
    )
    if found is None:
        raise MissingSource(f"{name} is not installed (apt-get install postgresql-client); {hint}")
    return found


def backup(url: str, target: Path) -> Path:
    """Write a consistent copy of the database at ``url`` to ``target``."""
    target = Path(target)
    path = sqlite_path(url)
    if path is not None:
        if not path.exists():
            raise InvalidInput(
                f"there is no community database at {path} yet; run 'leftbehind db upgrade'",
                parameter="database_url",
            )
        with atomic_path(target) as tmp:
            src = sqlite3.connect(path)
            dest = sqlite3.connect(tmp)
            try:
                src.backup(dest)
            finally:
                dest.close()
                src.close()
        return target
    if make_url(url).get_backend_name() == "postgresql":
        tool = _pg_tool("pg_dump", f"run: pg_dump --format=custom --file {target} DATABASE_URL")
        with atomic_path(target) as tmp:
            subprocess.run(
                [tool, "--format=custom", "--no-owner", f"--file={tmp}", _libpq_url(url)],
                check=True,
                capture_output=True,
            )
        return target
    raise InvalidInput(f"cannot back up {make_url(url).get_backend_name()} databases")


def restore(url: str, source: Path) -> None:
    """Replace the database at ``url`` with the backup in ``source`` (stop the site first)."""
    source = Path(source)
    if not source.is_file():
        raise InvalidInput(f"there is no backup file at {source}", parameter="file")
    path = sqlite_path(url)
    if path is not None:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        try:
            try:
                src.execute("SELECT version_num FROM alembic_version").fetchall()
            except sqlite3.DatabaseError:
                raise InvalidInput(
                    f"{source} is not a backup of a community database", parameter="file"
                ) from None
            path.parent.mkdir(parents=True, exist_ok=True)
            dest = sqlite3.connect(path)
            try:
                src.backup(dest)
            finally:
                dest.close()
        finally:
            src.close()
        return
    if make_url(url).get_backend_name() == "postgresql":
        tool = _pg_tool("pg_restore", f"run: pg_restore --clean -d DATABASE_URL {source}")
        subprocess.run(
            [tool, "--clean", "--if-exists", "--no-owner", "-d", _libpq_url(url), str(source)],
            check=True,
            capture_output=True,
        )
        return
    raise InvalidInput(f"cannot restore {make_url(url).get_backend_name()} databases")
