"""The web observatory's app factory: ``create_app(settings=None)``."""

from __future__ import annotations

import importlib.util
import logging
import threading
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path
from typing import TypeVar
from urllib.parse import urlsplit

from fastapi import Depends, FastAPI
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from leftbehind.community import Community
from leftbehind.community.accounts import session_secret
from leftbehind.community.measures import content_version
from leftbehind.errors import LeftBehindError
from leftbehind.observatory import Observatory
from leftbehind.observatory.assets import AssetMap
from leftbehind.observatory.funding import Funding
from leftbehind.settings import Settings, get_settings
from leftbehind.web import (
    account_pages,
    api,
    assets,
    briefing,
    charts,
    compare_areas,
    errors,
    funding,
    geo,
    measure_pages,
    measures_api,
    pages,
    places,
    public_funds,
    rendering,
    search,
    trend,
    uk,
)
from leftbehind.web.common import ResponseCache, reject_unknown_query
from leftbehind.web.fastpath import FastPath
from leftbehind.web.language import LanguageMiddleware
from leftbehind.web.ratelimit import RateLimit

log = logging.getLogger("leftbehind.web")
_Layer = TypeVar("_Layer")

PACKAGE_DIR = Path(str(resources.files("leftbehind.web")))

DESCRIPTION = """
Open data on England's and the UK's 'left behind' neighbourhoods: areas that are among the
most deprived 10% and also lack places to meet, connections and an active community (the
Community Needs Index), as identified by OCSI for Local Trust and the APPG for 'left behind'
neighbourhoods.

Every response carries an `ETag` (send `If-None-Match` to get `304 Not Modified`) and a
`Cache-Control` header; responses are gzip-compressed when the client accepts it. Errors are
JSON `{"error": {"status", "type", "message", ...}}`: unknown codes give 404 with close
matches, bad parameters 422 naming the parameter, a missing store 503 saying how to build it.
"""


def maplibre_dir() -> Path | None:
    """The MapLibre GL JS files shipped in the installed ``maplibre`` package (not imported)."""
    spec = importlib.util.find_spec("maplibre")
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        folder = Path(location) / "srcjs"
        if (folder / "maplibre-gl.js").exists():
            return folder
    return None


def content_security_policy(basemap_url: str | None = None) -> str:
    """The site's CSP: only its own scripts, styles, images and data (MapLibre's worker is a
    ``blob:`` URL and its images may be ``data:``/``blob:``), never framed; an optional
    basemap's origin is allowed for tiles and style requests only."""
    extra = ""
    if basemap_url:
        parts = urlsplit(basemap_url)
        if parts.scheme in ("http", "https") and parts.netloc:
            extra = f" {parts.scheme}://{parts.netloc}"
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; "
        f"img-src 'self' data: blob:{extra}; font-src 'self'; connect-src 'self'{extra}; "
        "worker-src 'self' blob:; child-src 'self' blob:; object-src 'none'; "
        "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )


PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), magnetometer=(), "
    "gyroscope=(), accelerometer=()"
)


def security_headers(policy: str) -> list[tuple[bytes, bytes]]:
    """The headers every response of the site carries (``policy``: its CSP)."""
    return [
        (b"content-security-policy", policy.encode()),
        (b"x-frame-options", b"DENY"),
        (b"x-content-type-options", b"nosniff"),
        (b"referrer-policy", b"same-origin"),
        (b"permissions-policy", PERMISSIONS_POLICY.encode()),
        (b"cross-origin-opener-policy", b"same-origin"),
    ]


class HeadersMiddleware:
    """Adds security headers to every response and long cache lifetimes to static assets
    (pure ASGI)."""

    def __init__(self, app: ASGIApp, csp: str | None = None):
        self.app = app
        policy = csp or content_security_policy()
        # Chart-only pages under /embed/ are made to be framed by other sites (an <iframe>
        # snippet): any ancestor may frame them, and X-Frame-Options is left out.
        self.embed = [
            (b"content-security-policy",
             policy.replace("frame-ancestors 'none'", "frame-ancestors *").encode()),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"),
            (b"permissions-policy", PERMISSIONS_POLICY.encode()),
        ]  # fmt: skip
        self.security = security_headers(policy)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        static = path.startswith(("/static/", "/vendor/"))
        security = self.embed if path.startswith("/embed/") else self.security

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                headers.extend(h for h in security if h[0] not in names)
                if static and b"cache-control" not in names:
                    headers.append((b"cache-control", b"public, max-age=3600"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, wrapped)


class HeadMiddleware:
    """``HEAD`` wherever ``GET`` is served: routed as ``GET``, answered with the same headers
    and no body (RFC 9110 9.3.2)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") != "HEAD":
            await self.app(scope, receive, send)
            return

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, receive, headers_only)


def _warm_grants(app: FastAPI) -> None:
    """Move an old store's grants into the community database (once), then place the grants
    in the default edition, so the first visitor of /funding does not wait."""
    from leftbehind.funding.grants_store import move_legacy

    settings = app.state.settings
    try:
        moved = move_legacy(app.state.community, settings.store_path)
        if moved:
            log.warning("%s", moved.message())
        app.state.funding.warm_grants(None)
    except Exception as exc:  # never stop the site for this: the first request computes it
        log.warning("could not prepare the grants summary: %s", exc)


class ObservatoryApp(FastAPI):
    """The FastAPI app, which first offers each request to its :class:`FastPath` layer: a
    repeat of a shared response is answered from memory before FastAPI, Starlette's error
    layer or any middleware does any work (about a third of a hit's cost in the process, most
    of it FastAPI's per-request checks). Requests on the allocation allowance's paths always
    go through :class:`RateLimit` first, as before."""

    _fast: FastPath | None = None
    _limited: frozenset[str] = frozenset()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        fast = self._fast
        if fast is None and self.middleware_stack is not None:
            fast = self._fast = fast_path(self)
            limit = middleware_layer(self, RateLimit)
            self._limited = limit.paths if limit is not None else frozenset()
        if (
            fast is not None
            and scope.get("path") not in self._limited
            and await fast.answer(scope, send)
        ):
            return
        await super().__call__(scope, receive, send)


def middleware_layer(app: FastAPI, kind: type[_Layer]) -> _Layer | None:
    """The app's middleware layer of type ``kind`` (None until the first request builds the
    stack, or when the app has none)."""
    layer = app.middleware_stack
    while layer is not None and not isinstance(layer, kind):
        layer = getattr(layer, "app", None)
    return layer


def fast_path(app: FastAPI) -> FastPath | None:
    """The app's :class:`FastPath` layer (None until the first request builds the stack)."""
    return middleware_layer(app, FastPath)


def _data_watch(app: FastAPI, observatory: Observatory, community: Community):
    """What the fast path calls at most once a second: notice new grants (their hooks clear
    it) and any change to the community's measures, assets or accounts (clears it), made by
    this process or any other (the CLI, other web workers, other machines)."""
    seen: list[tuple[int, int, int]] = []

    def check() -> None:
        observatory.check_grants()
        try:
            now = content_version(community)
        except SQLAlchemyError as exc:  # no schema yet: 'serve' refuses to start so
            log.info("community content version unreadable: %s", exc)
            return
        if seen and seen[0] != now:
            _clear_fast_path(app)
        seen[:] = [now]

    return check


def _clear_fast_path(app: FastAPI) -> None:
    layer = fast_path(app)
    if layer is not None:
        layer.clear()


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the web app. The store is opened lazily; a missing store gives 503 pages."""
    settings = settings or get_settings()
    observatory = Observatory(settings.store_path, settings.edition)
    community = Community(settings.community_url)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        grants_warmer: threading.Thread | None = None
        for name in templates.env.list_templates(extensions=["html"]):
            templates.env.get_template(name)  # compiled once, before the first page
        if observatory.available:
            try:
                # Everything a first visitor of any page needs, read before the first answer.
                await run_in_threadpool(observatory.warm)
            except LeftBehindError as exc:
                log.warning("could not preload data: %s", exc)
            else:  # the name indexes (no store access) build while the server answers
                threading.Thread(
                    target=observatory.warm_search, name="leftbehind-search", daemon=True
                ).start()
                grants_warmer = threading.Thread(
                    target=_warm_grants, args=(app,), name="leftbehind-grants", daemon=True
                )
                grants_warmer.start()
        yield
        if grants_warmer is not None:  # it reads the store: let it finish before closing
            grants_warmer.join(timeout=60)
        observatory.close()
        community.dispose()

    app = ObservatoryApp(
        title="leftbehind: 'left behind' neighbourhoods observatory",
        description=DESCRIPTION,
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(reject_unknown_query)],
    )
    app.state.settings = settings
    app.state.observatory = observatory
    app.state.funding = Funding(observatory, community=community, worker=settings.allocation_worker)
    observatory.grants_version = app.state.funding.grants_version
    observatory.grants_frame = app.state.funding.grants_frame
    app.state.assets = AssetMap(observatory)
    app.state.responses = ResponseCache()
    # Area and summary pages show grant figures: a new import makes their renderings stale.
    observatory.on_grants_change.append(app.state.responses.clear)
    observatory.on_grants_change.append(lambda: _clear_fast_path(app))
    app.state.community = community
    templates = Jinja2Templates(directory=str(PACKAGE_DIR / "templates"))
    rendering.setup_templates(templates, settings)
    app.state.templates = templates

    errors.install(app)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    policy = content_security_policy(settings.basemap_url)
    app.add_middleware(HeadersMiddleware, csp=policy)
    app.add_middleware(HeadMiddleware)
    # Signed (itsdangerous), expiring session cookies for signed-in pages; API writes use tokens.
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings.home, settings.secret_key),
        session_cookie="leftbehind_session",
        max_age=settings.session_max_age,
        same_site="lax",
        https_only=False,
    )
    # The request's interface language (inside the fast path, which keys on the query and
    # Accept-Language and never answers requests that carry cookies).
    app.add_middleware(LanguageMiddleware)
    # Outermost: repeats of shared responses (profiles, tiles, edition data) from memory.
    app.add_middleware(FastPath, check=_data_watch(app, observatory, community))
    # Outside even that: a client's flood of allocation requests is refused before any work.
    if settings.allocations_per_minute:
        app.add_middleware(
            RateLimit,
            rate=settings.allocations_per_minute / 60,
            burst=settings.allocations_burst,
            headers=security_headers(policy),
        )

    app.mount("/static", StaticFiles(directory=str(PACKAGE_DIR / "static")), name="static")
    vendor = maplibre_dir()
    if vendor is not None:
        app.mount("/vendor/maplibre", StaticFiles(directory=str(vendor)), name="maplibre")

    app.include_router(trend.router)
    app.include_router(uk.router)
    app.include_router(api.router)
    app.include_router(funding.api_router)
    app.include_router(public_funds.api_router)
    app.include_router(measures_api.router)
    app.include_router(assets.api_router)
    app.include_router(geo.router)
    app.include_router(geo.tiles_router)
    app.include_router(search.router)
    app.include_router(places.router)
    app.include_router(briefing.router)
    app.include_router(compare_areas.router)
    app.include_router(charts.router)
    app.include_router(pages.router)
    app.include_router(uk.pages_router)
    app.include_router(funding.page_router)
    app.include_router(public_funds.page_router)
    app.include_router(account_pages.router)
    app.include_router(measure_pages.router)
    app.include_router(assets.page_router)
    return app
