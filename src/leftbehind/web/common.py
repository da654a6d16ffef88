"""Shared request plumbing: the observatory, cached responses with ETags, common parameters."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated, Any, TypeVar

from fastapi import Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool

from leftbehind.editions import EDITIONS
from leftbehind.groups import Group
from leftbehind.i18n import current_language
from leftbehind.observatory import Observatory, Payload
from leftbehind.observatory.funding import Funding

T = TypeVar("T")
#: The editions as an enum, so the API's schema lists them.
EditionId = StrEnum("EditionId", {eid: eid for eid in EDITIONS})  # type: ignore[misc]

EditionParam = Annotated[
    EditionId | None,
    Query(
        description="Edition id (see /api/editions), e.g. england-2019-ward. "
        "Default: the server's configured edition.",
    ),
]
#: Pages take any text and answer an unknown edition with a page listing the valid ones.
PageEditionParam = Annotated[
    str | None,
    Query(
        max_length=64,
        description="Edition id (see /api/editions), e.g. england-2019-ward. "
        "Default: the server's configured edition.",
    ),
]
GroupParam = Annotated[
    Group | None,
    Query(description="Only areas in this group."),
]


class Problem(BaseModel):
    model_config = ConfigDict(extra="allow")
    parameter: str
    message: str


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")
    status: int
    type: str
    message: str
    problems: list[Problem] | None = None


class ErrorBody(BaseModel):
    """Every error: ``{"error": {"status", "type", "message", ...}}``."""

    error: ErrorDetail


def _error(description: str) -> dict[str, Any]:
    return {"model": ErrorBody, "description": description}


#: Error responses every API operation may give (documented in the OpenAPI schema).
ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    422: _error("A parameter is out of range or malformed; the message names it."),
    503: _error(
        "The evidence store is not built or is being replaced, or the server is busy with "
        "expensive computations (then with a Retry-After header)."
    ),
}
#: ... operations a client may call only so often (``web.ratelimit``) ...
RATE_LIMITED: dict[int | str, dict[str, Any]] = {
    429: {
        **_error(
            "This client sent more allocation requests than its budget allows (see the "
            "operation's description); the Retry-After header says when to try again."
        ),
        "headers": {
            "Retry-After": {
                "description": "Seconds to wait before the next request.",
                "schema": {"type": "integer"},
            }
        },
    },
}
#: ... and operations that look something up by code or name.
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: _error("No such area, local authority or region in the edition (with close matches)."),
}


def csv_responses(description: str) -> dict[int | str, dict[str, Any]]:
    """A 200 documented as ``text/csv`` (instead of JSON)."""
    return {
        200: {
            "description": description,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    }


def observatory(request: Request) -> Observatory:
    return request.app.state.observatory


def funding(request: Request) -> Funding:
    return request.app.state.funding


GZIP_SUFFIX = '-gzip"'
#: Marks a shared response for the fast path (``fastpath.SHARED_HEADER``; never sent).
SHARED = "x-leftbehind-shared"


def _etag_matches(request: Request, etag: str) -> bool:
    """Weak comparison (RFC 9110): either encoding's tag validates the same content."""
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = [t.strip().removeprefix("W/").replace(GZIP_SUFFIX, '"') for t in header.split(",")]
    return etag in tags


def payload_response(
    request: Request,
    payload: Payload,
    max_age: int = 300,
    headers: dict[str, str] | None = None,
    media_type: str | None = None,
    shared: bool = False,
) -> Response:
    """The payload (gzip copy when accepted) with ETag and Cache-Control, or 304.

    ``shared``: the response depends only on its URL, encoding and language (not on who asks),
    so :class:`leftbehind.web.fastpath.FastPath` may answer repeats of it from memory.

    The gzip copy is a different representation, so it carries its own strong ETag (the
    identity tag with ``-gzip``); ``If-None-Match`` with either tag gives 304.
    """
    gzipped = payload.gzipped is not None and "gzip" in request.headers.get("accept-encoding", "")
    etag = payload.etag[:-1] + GZIP_SUFFIX if gzipped else payload.etag
    base = {
        "ETag": etag,
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Encoding",
    }
    if headers:
        base.update(headers)
    if shared:
        base[SHARED] = "1"
    if _etag_matches(request, payload.etag):
        return Response(status_code=304, headers=base)
    if gzipped:
        base["Content-Encoding"] = "gzip"
        return Response(payload.gzipped, media_type=payload.media_type, headers=base)
    return Response(payload.body, media_type=payload.media_type, headers=base)


def json_response(
    request: Request, data: Any, max_age: int = 300, shared: bool = False
) -> Response:
    return payload_response(request, Payload.json(data), max_age=max_age, shared=shared)


def csv_download(request: Request, payload: Payload, filename: str) -> Response:
    """A CSV payload as a file download named ``filename``."""
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return payload_response(request, payload, headers=disposition)


class ResponseCache:
    """Rendered responses of pages that depend only on their URL (the store is read-only while
    serving), least recently used first out, bounded by total bytes."""

    def __init__(self, max_bytes: int = 256 * 1024 * 1024):
        self.max_bytes = max_bytes
        self._items: OrderedDict[str, Payload] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @staticmethod
    def key(request: Request) -> str:
        query = "&".join(sorted(request.url.query.split("&"))) if request.url.query else ""
        # The same URL renders in each interface language (the lang cookie, Accept-Language).
        return f"{request.url.path}?{query}#{current_language()}"

    def get(self, key: str) -> Payload | None:
        """The cached response, or None (cheap: safe on the event loop)."""
        return self._items.get(key)

    def clear(self) -> None:
        """Forget every rendering (when data behind the pages changed, e.g. grants imported)."""
        with self._lock:
            self._items.clear()
            self._bytes = 0

    def get_or_build(self, key: str, build: Callable[[], Payload]) -> Payload:
        with self._lock:
            hit = self._items.get(key)
            if hit is not None:
                self._items.move_to_end(key)
                return hit
        payload = build()
        size = len(payload.body) + len(payload.gzipped or b"")
        with self._lock:
            if key not in self._items and size <= self.max_bytes:
                self._items[key] = payload
                self._bytes += size
                while self._bytes > self.max_bytes:
                    _, old = self._items.popitem(last=False)
                    self._bytes -= len(old.body) + len(old.gzipped or b"")
        return payload


def response_cache(request: Request) -> ResponseCache:
    return request.app.state.responses


async def lookup(request: Request, fn: Callable[..., T], *args: Any) -> T:
    """An observatory lookup (edition, area, local authority): called directly once every
    edition is in memory (no thread hop on the hot path), otherwise in a worker thread."""
    if observatory(request).ready:
        return fn(*args)
    return await run_in_threadpool(fn, *args)


# -- unknown query parameters ----------------------------------------------------------------
_ACCEPTED: dict[int, frozenset[str]] = {}


#: Query parameters every route accepts: ``lang`` picks the interface language (docs/i18n.md).
APP_WIDE_QUERY = frozenset({"lang"})


def _accepted_query_names(route: Any) -> frozenset[str]:
    """The query parameter names a route declares (aliases, the fields of query models, and
    those of its dependencies), computed once per route."""
    hit = _ACCEPTED.get(id(route))
    if hit is not None:
        return hit
    names: set[str] = set()
    stack = [getattr(route, "dependant", None)]
    while stack:
        dependant = stack.pop()
        if dependant is None:
            continue
        stack.extend(dependant.dependencies)
        for field in dependant.query_params:
            annotation = getattr(field.field_info, "annotation", None) or getattr(
                field, "type_", None
            )
            if isinstance(annotation, type) and issubclass(annotation, BaseModel):
                for name, info in annotation.model_fields.items():
                    names.add(info.alias or name)
            else:
                names.add(field.alias)
    accepted = frozenset(names) | APP_WIDE_QUERY
    _ACCEPTED[id(route)] = accepted
    return accepted


async def reject_unknown_query(request: Request) -> None:
    """App-wide dependency: an API request (``/api/...``, ``/tiles/...``) with a query
    parameter its operation does not declare is 422 naming it, as /docs promises (pages take
    any query so links with tracking parameters still work)."""
    path = request.url.path
    if not path.startswith(("/api/", "/tiles/")) or not request.query_params:
        return
    route = request.scope.get("route")
    if route is None:
        return
    accepted = _accepted_query_names(route)
    unknown = [k for k in dict.fromkeys(request.query_params.keys()) if k not in accepted]
    if unknown:
        from fastapi.exceptions import RequestValidationError

        allowed = ", ".join(sorted(accepted)) or "none"
        raise RequestValidationError(
            [
                {
                    "loc": ("query", name),
                    "msg": f"unknown parameter; this operation accepts: {allowed}",
                    "type": "extra_forbidden",
                }
                for name in unknown[:20]
            ]
        )
