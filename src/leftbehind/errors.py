"""Exceptions users can act on. Every message is one line naming what is wrong and the fix.

The CLI turns these into a one-line error and a non-zero exit code; the web app maps them to
HTTP statuses (see ``leftbehind.web.errors``).
"""

from __future__ import annotations


def some_of(items: list[str] | tuple[str, ...], shown: int = 10) -> str:
    """The first ``shown`` items and how many more, so that one error line stays short.

    >>> some_of(["A", "B"])
    'A, B'
    >>> some_of([f"E{i}" for i in range(10_000)], shown=3)
    'E0, E1, E2 and 9,997 more'
    """
    head = ", ".join(items[:shown])
    rest = len(items) - shown
    return f"{head} and {rest:,} more" if rest > 0 else head


class LeftBehindError(Exception):
    """Base class: an error with a message meant for the user."""

    exit_code = 1


class ChecksumMismatch(LeftBehindError):
    """A source file's sha256 differs from the registry."""


class CorruptSource(LeftBehindError):
    """A source file could not be parsed (truncated or not an R data file)."""


class MissingSource(LeftBehindError):
    """A source file is neither cached nor available from the mirror or network."""


class StoreMissing(LeftBehindError):
    """The evidence store has not been built yet."""


class StoreBusy(LeftBehindError):
    """Another process holds the store (e.g. ``leftbehind serve`` while importing grants)."""


class DiskProblem(LeftBehindError):
    """The disk refused a write or a read: full, read-only, or not ours to use."""


class Overloaded(LeftBehindError):
    """Too many expensive computations at once: try again after ``retry_after`` seconds (the
    web app answers 503 with ``Retry-After``)."""

    def __init__(self, message: str, retry_after: int = 5) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnknownName(LeftBehindError):
    """An unknown edition, geography, index, area or option; the message lists valid ones."""

    exit_code = 2


class InvalidInput(LeftBehindError):
    """A parameter or input file is out of range or malformed.

    ``parameter`` names the parameter at fault, where there is one, so that the CLI and the web
    app can point at it (the web app answers 422 naming it).
    """

    exit_code = 2

    def __init__(self, message: str, parameter: str | None = None, where: str = "query") -> None:
        super().__init__(message)
        self.parameter = parameter
        #: where the parameter is: ``query`` (or a CLI option), or ``body`` (a JSON field)
        self.where = where


class AreaNotFound(UnknownName):
    """An unknown area or local authority code, with close matches to offer (``matches``) and
    the editions that do have it (``editions``)."""

    def __init__(
        self,
        message: str,
        matches: list[dict] | None = None,
        editions: list[str] | None = None,
    ) -> None:
        super().__init__(message)
        self.matches = matches or []
        self.editions = editions or []


class PostcodeNotFound(UnknownName):
    """A well-formed postcode the lookup cannot answer. ``reason``: ``'unknown'`` (not in the
    lookup) or ``'unsupported_district'`` (a district whose name ends in a letter, e.g. SW1A,
    which the lookup leaves out)."""

    def __init__(self, message: str, reason: str, postcode: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.postcode = postcode


class NotAuthenticated(LeftBehindError):
    """No credentials, or a token or password that is not valid (HTTP 401)."""


class Forbidden(LeftBehindError):
    """Signed in, but this account may not do this (HTTP 403)."""


class Conflict(LeftBehindError):
    """An edit based on an out-of-date version, or a name already taken (HTTP 409)."""


class TooManyAttempts(LeftBehindError):
    """Too many failed sign-ins in a short time (HTTP 429)."""


class SchemaOutOfDate(LeftBehindError):
    """The community database's schema is older than this version of the code."""
