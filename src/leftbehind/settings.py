"""Typed settings read from the environment with the ``LEFTBEHIND_`` prefix."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import platformdirs
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from leftbehind.editions import DEFAULT_EDITION


def _default_home() -> Path:
    return Path(platformdirs.user_data_dir("leftbehind", appauthor=False))


class Settings(BaseSettings):
    """Where data lives and how the web app runs.

    ``LEFTBEHIND_HOME``: cache and store folder (default: the platform's user data dir).
    ``LEFTBEHIND_MIRROR``: a folder laid out like ``shared/sources`` to copy sources from.
    """

    model_config = SettingsConfigDict(env_prefix="LEFTBEHIND_", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    mirror: Path | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    edition: str = DEFAULT_EDITION
    basemap_url: str | None = None
    #: The community database (accounts, local measures): a SQLAlchemy URL such as
    #: ``postgresql+psycopg://user:pass@host/db``; unset means SQLite at ``home/community.sqlite3``.
    database_url: str | None = None
    #: Key that signs session cookies; unset means one kept in ``home/secret_key`` (set it to the
    #: same value on every machine that serves one site).
    secret_key: str | None = None
    #: How long a signed-in session lasts, in seconds.
    session_max_age: int = Field(default=8 * 3600, ge=60)
    #: Compute needs-based allocations in a separate worker process, so cheap pages stay fast
    #: while one runs (``False``: in the web process's threads).
    allocation_worker: bool = True
    #: Allocation requests (``/api/allocations``, ``/allocate``) one client may make a minute on
    #: average, and at once (``web.ratelimit``; beyond them: 429 with Retry-After). 0 turns the
    #: limit off (behind a proxy that limits, or for a private server).
    allocations_per_minute: float = Field(default=30, ge=0, allow_inf_nan=False)
    allocations_burst: int = Field(default=10, ge=1)

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"

    @property
    def store_path(self) -> Path:
        return self.home / "leftbehind.duckdb"

    @property
    def community_path(self) -> Path:
        return self.home / "community.sqlite3"

    @property
    def community_url(self) -> str:
        """The community database's URL: ``database_url``, or the embedded SQLite default."""
        return self.database_url or f"sqlite:///{self.community_path}"

    @property
    def community_embedded(self) -> bool:
        """True when the community database is the embedded SQLite default."""
        return self.database_url is None

    def environment(self) -> dict[str, str]:
        """These settings as ``LEFTBEHIND_*`` variables (for worker processes).

        >>> Settings(home=Path("/tmp/x"), port=9000).environment()["LEFTBEHIND_PORT"]
        '9000'
        """
        return {
            f"LEFTBEHIND_{name.upper()}": str(value)
            for name, value in self.model_dump().items()
            if value is not None
        }


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def fresh_settings(**overrides: object) -> Settings:
    """Settings read anew from the environment, with explicit overrides (for CLI flags, tests);
    overrides are validated like the environment (a ``home`` string becomes a Path)."""
    get_settings.cache_clear()
    given = {k: v for k, v in overrides.items() if v is not None}
    return Settings(**given) if given else get_settings()
