"""Alembic environment: run by ``leftbehind.community.schema`` with a connection given in
``config.attributes['connection']`` (there is no alembic.ini)."""

from __future__ import annotations

from alembic import context

from leftbehind.community.models import Base


def run_migrations() -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:  # pragma: no cover - always given by leftbehind.community.schema
        raise RuntimeError("run migrations with 'leftbehind db upgrade'")
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


# Alembic's context exists only while it runs this file (not when a tool merely imports it).
if hasattr(context, "config"):
    run_migrations()
