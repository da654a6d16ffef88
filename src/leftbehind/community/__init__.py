"""The community database: everything people write (accounts, local measures of success).

Separate from the evidence store (which is rebuilt and swapped whole, and read-only while the
site runs): SQLAlchemy 2 models (``models``), Alembic migrations shipped in the package
(``migrations``, applied by ``schema.upgrade``), and repository functions that check roles and
run each write in one transaction (``accounts``, ``measures``). The embedded default is SQLite in
WAL mode at ``$LEFTBEHIND_HOME/community.sqlite3``; ``LEFTBEHIND_DATABASE_URL`` selects
PostgreSQL.
"""

from leftbehind.community.db import Community

__all__ = ["Community"]
