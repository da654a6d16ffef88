"""One map from library errors to HTTP statuses, and the handlers that render them.

API paths (``/api/...``) get JSON ``{"error": {"status", "type", "message", ...}}``; pages get
an HTML page saying what is wrong and what to do. No stack trace ever reaches a user.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from leftbehind.errors import (
    AreaNotFound,
    ChecksumMismatch,
    Conflict,
    CorruptSource,
    DiskProblem,
    Forbidden,
    InvalidInput,
    LeftBehindError,
    MissingSource,
    NotAuthenticated,
    Overloaded,
    PostcodeNotFound,
    SchemaOutOfDate,
    StoreBusy,
    StoreMissing,
    TooManyAttempts,
    UnknownName,
)
from leftbehind.i18n import N_
from leftbehind.i18n import gettext as _
from leftbehind.web.rendering import base_context

log = logging.getLogger("leftbehind.web")

STATUS: dict[type[LeftBehindError], int] = {
    NotAuthenticated: 401,
    Forbidden: 403,
    UnknownName: 404,
    Conflict: 409,
    TooManyAttempts: 429,
    SchemaOutOfDate: 503,
    InvalidInput: 422,
    StoreMissing: 503,
    StoreBusy: 503,
    DiskProblem: 503,
    Overloaded: 503,
    MissingSource: 503,
    ChecksumMismatch: 503,
    CorruptSource: 503,
    LeftBehindError: 500,
}


def status_for(exc: LeftBehindError) -> int:
    for cls in type(exc).__mro__:
        if cls in STATUS:
            return STATUS[cls]
    return 500


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return path.startswith(("/api/", "/tiles/")) or path == "/openapi.json"


def _page(request: Request, status: int, title: str, message: str, **extra: Any) -> Response:
    templates = getattr(request.app.state, "templates", None)
    if templates is None:  # pragma: no cover - app always has templates
        return HTMLResponse(f"<h1>{title}</h1><p>{message}</p>", status_code=status)
    try:
        context = base_context(request, None)
    except Exception:  # the error page must render even when the store is unusable
        context = {"request": request, "edition": None, "editions": [], "edition_id": None}
    if "editions" in extra:  # the page's own 'editions' is the edition switcher
        extra["found_in"] = extra.pop("editions")
    context.update({"status": status, "title": title, "message": message, **extra})
    return templates.TemplateResponse(request, "error.html", context, status_code=status)


TITLES = {
    401: N_("Please sign in"),
    403: N_("Not allowed"),
    404: N_("Not found"),
    409: N_("Changed by someone else"),
    429: N_("Too many attempts"),
    422: N_("Please check the address"),
    500: N_("Something went wrong"),
    503: N_("The evidence store is not ready"),
}
ERROR_TITLE = N_("Error")
#: How each place a parameter comes from is named in a message ('query parameter 'q': ...').
WHERE_WORDS = {
    "query": N_("query parameter '{name}': {message}"),
    "path": N_("path parameter '{name}': {message}"),
    "body": N_("field '{name}': {message}"),
}


def _error_response(
    request: Request,
    status: int,
    exc_type: str,
    message: str,
    headers: dict[str, str] | None = None,
    title: str | None = None,
    **extra,
) -> Response:
    if _wants_json(request):
        body = {"error": {"status": status, "type": exc_type, "message": message, **extra}}
        response: Response = JSONResponse(
            body, status_code=status, headers={"Cache-Control": "no-store"}
        )
    else:
        response = _page(
            request, status, title or _(TITLES.get(status, ERROR_TITLE)), message, **extra
        )
        response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response


async def _library_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, LeftBehindError)
    status = status_for(exc)
    extra: dict[str, Any] = {}
    if isinstance(exc, PostcodeNotFound):
        extra["reason"] = exc.reason
        extra["postcode"] = exc.postcode
    if isinstance(exc, AreaNotFound):
        extra["matches"] = exc.matches
        if exc.editions:
            extra["editions"] = exc.editions
    parameter = getattr(exc, "parameter", None)
    message = str(exc)
    if isinstance(parameter, str):
        where = getattr(exc, "where", None) or (
            "path" if parameter in request.path_params else "query"
        )
        if f"'{parameter}'" not in message:  # name the parameter the library means
            message = _named(where, parameter, message)
        extra["problems"] = [{"parameter": parameter, "in": where, "message": message}]
    if isinstance(exc, StoreMissing):
        extra["how_to_build"] = (
            "leftbehind build --mirror ../shared/sources   (or 'leftbehind build' with network)"
        )
    exc_type = "InvalidInput" if isinstance(parameter, str) else type(exc).__name__
    headers, title = None, None
    if isinstance(exc, Overloaded):
        headers = {"Retry-After": str(exc.retry_after)}
        title = _("The server is busy")
        extra["retry_after"] = exc.retry_after
    response = _error_response(request, status, exc_type, message, headers, title, **extra)
    if isinstance(exc, NotAuthenticated) and _wants_json(request):
        response.headers["WWW-Authenticate"] = 'Bearer realm="leftbehind"'
    return response


def _named(where: str, name: str, message: str | None) -> str:
    """'query parameter 'q': ...' (in the reader's language) for a parameter's problem."""
    template = WHERE_WORDS.get(where)
    if template is None:
        return f"{where} '{name}': {message}"
    return _(template).format(name=name, message=message)


def _describe_validation(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        where = loc[0] if loc else "request"
        name = loc[-1] if len(loc) > 1 else where
        problems.append(
            {"parameter": name, "in": where, "message": _named(where, name, err.get("msg"))}
        )
    message = "; ".join(p["message"] for p in problems) or _("invalid request")
    return message, problems


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    message, problems = _describe_validation(exc)
    return _error_response(request, 422, "InvalidInput", message, problems=problems)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    status = exc.status_code
    message = exc.detail if isinstance(exc.detail, str) else "error"
    if status == 404 and message == "Not Found":
        message = _("there is no page at {path}").format(path=request.url.path)
    response = _error_response(request, status, "HTTPError", message)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


async def _unexpected(request: Request, exc: Exception) -> Response:
    log.exception("unexpected error on %s", request.url.path, exc_info=exc)
    return _error_response(
        request,
        500,
        "InternalError",
        _("something went wrong on our side; the error has been logged. Please try again."),
    )


def install(app: FastAPI) -> None:
    app.add_exception_handler(LeftBehindError, _library_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(Exception, _unexpected)
