"""Shared request plumbing: the observatory, cached responses with ETags, common parameters."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import Query, Request
from fastapi.responses import Response

from leftbehind.web.data import Observatory, Payload

EditionParam = Annotated[
    str | None,
    Query(
        max_length=64,
        description="Edition id (see /api/editions), e.g. england-2019-ward. "
        "Default: the server's configured edition.",
    ),
]
GroupParam = Annotated[
    Literal["left_behind", "other_deprived", "rest"] | None,
    Query(description="Only areas in this group."),
]
CodeParam = Annotated[str, "area code"]


def observatory(request: Request) -> Observatory:
    return request.app.state.observatory


def _etag_matches(request: Request, etag: str) -> bool:
    header = request.headers.get("if-none-match")
    if not header:
        return False
    if header.strip() == "*":
        return True
    tags = [t.strip().removeprefix("W/") for t in header.split(",")]
    return etag in tags


def payload_response(
    request: Request,
    payload: Payload,
    max_age: int = 300,
    headers: dict[str, str] | None = None,
    media_type: str | None = None,
) -> Response:
    """The payload (gzip copy when accepted) with ETag and Cache-Control, or 304."""
    base = {
        "ETag": payload.etag,
        "Cache-Control": f"public, max-age={max_age}",
        "Vary": "Accept-Encoding",
    }
    if headers:
        base.update(headers)
    if _etag_matches(request, payload.etag):
        return Response(status_code=304, headers=base)
    media = media_type or payload.media_type
    if payload.gzipped is not None and "gzip" in request.headers.get("accept-encoding", ""):
        base["Content-Encoding"] = "gzip"
        return Response(payload.gzipped, media_type=media, headers=base)
    return Response(payload.body, media_type=media, headers=base)


def json_response(request: Request, data: Any, max_age: int = 300) -> Response:
    return payload_response(request, Payload.json(data), max_age=max_age)
