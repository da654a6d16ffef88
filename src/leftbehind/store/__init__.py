"""The embedded DuckDB evidence store."""
