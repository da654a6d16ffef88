"""Schema versions of the community database: apply migrations, and check a database is current.

``upgrade(url)`` applies every Alembic migration shipped in ``leftbehind.community.migrations``
(in one transaction per migration); ``status(url)`` says which revision a database is at;
``check_current(url)`` raises :class:`SchemaOutOfDate` with the one-line fix.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from leftbehind.community.db import make_engines
from leftbehind.errors import SchemaOutOfDate


def alembic_config() -> Config:
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("leftbehind.community") / "migrations")
    )
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


@dataclass(frozen=True)
class SchemaStatus:
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        return self.current == self.head


def _current(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def status(url: str) -> SchemaStatus:
    engine, write_engine = make_engines(url)
    try:
        return SchemaStatus(_current(engine), head_revision())
    finally:
        engine.dispose()
        write_engine.dispose()


def upgrade(url: str, revision: str = "head") -> SchemaStatus:
    """Apply migrations up to ``revision``; a database already there is left as it is."""
    read_engine, engine = make_engines(url)
    try:
        cfg = alembic_config()
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
        return SchemaStatus(_current(engine), head_revision())
    finally:
        read_engine.dispose()
        engine.dispose()


def check_current(url: str) -> SchemaStatus:
    """Raise :class:`SchemaOutOfDate` unless the database is at the newest revision."""
    found = status(url)
    if not found.up_to_date:
        at = found.current or "empty"
        raise SchemaOutOfDate(
            f"the community database is at schema {at}, this version needs {found.head}: "
            "run 'leftbehind db upgrade' (back it up first with 'leftbehind db backup FILE')"
        )
    return found
