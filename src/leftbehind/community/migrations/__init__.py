"""Alembic migrations of the community database (applied by ``leftbehind db upgrade``)."""
