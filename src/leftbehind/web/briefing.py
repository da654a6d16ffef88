"""Printable briefings: ``/areas/{code}/briefing`` (HTML with a print stylesheet) and
``/areas/{code}/briefing.pdf``, and the same for a local authority
(:mod:`leftbehind.observatory.briefing` renders both, for the CLI too)."""

from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from leftbehind.community.measures import published_with_observations
from leftbehind.errors import LeftBehindError
from leftbehind.observatory import Payload
from leftbehind.observatory import briefing as b
from leftbehind.web.common import PageEditionParam, observatory, payload_response

router = APIRouter(include_in_schema=False)
log = logging.getLogger("leftbehind.web")
CSS_URL = "/briefing.css"

Code = Annotated[str, Path(min_length=1, max_length=64)]


def _measures(request: Request, code: str) -> list[dict] | None:
    try:
        return published_with_observations(request.app.state.community, code)
    except (SQLAlchemyError, LeftBehindError) as exc:
        log.warning("local measures unavailable for %s: %s", code, exc)
        return None


def _area_html(request: Request, edition: str | None, code: str, css: str | None) -> str:
    obs = observatory(request)
    data, rec = obs.area(edition, code)
    context = b.area_briefing(obs, data.id, rec["code"], _measures(request, rec["code"]))
    return b.render_html(context, stylesheet_href=css)


def _la_html(request: Request, edition: str | None, code: str, css: str | None) -> str:
    context = b.local_authority_briefing(observatory(request), edition, code)
    return b.render_html(context, stylesheet_href=css)


def _html(request: Request, html: str) -> Response:
    return payload_response(
        request,
        Payload.make(html, "text/html; charset=utf-8"),
        max_age=0,
        headers={"Cache-Control": "public, no-cache"},
    )


def _pdf(request: Request, html: str, filename: str) -> Response:
    pdf = b.to_pdf(html)
    return payload_response(
        request,
        Payload.make(pdf, "application/pdf"),
        max_age=0,
        headers={
            "Cache-Control": "public, no-cache",
            "Content-Disposition": f'inline; filename="{filename}"',
        },
    )


@router.get(CSS_URL)
async def briefing_css(request: Request) -> Response:
    return payload_response(request, Payload.make(b.stylesheet(), "text/css"), max_age=3600)


@router.get("/areas/{code}/briefing", response_class=HTMLResponse)
async def area_briefing(request: Request, code: Code, edition: PageEditionParam = None):
    html = await run_in_threadpool(_area_html, request, edition, code, CSS_URL)
    return _html(request, html)


@router.get("/areas/{code}/briefing.pdf")
async def area_briefing_pdf(request: Request, code: Code, edition: PageEditionParam = None):
    def build() -> tuple[str, str]:
        data, rec = observatory(request).area(edition, code)
        return _area_html(request, data.id, rec["code"], None), f"{data.id}-{rec['code']}"

    html, stem = await run_in_threadpool(build)
    pdf = await run_in_threadpool(_pdf, request, html, f"leftbehind-briefing-{stem}.pdf")
    return pdf


@router.get("/local-authorities/{code}/briefing", response_class=HTMLResponse)
async def la_briefing(request: Request, code: Code, edition: PageEditionParam = None):
    html = await run_in_threadpool(_la_html, request, edition, code, CSS_URL)
    return _html(request, html)


@router.get("/local-authorities/{code}/briefing.pdf")
async def la_briefing_pdf(request: Request, code: Code, edition: PageEditionParam = None):
    def build() -> tuple[str, str]:
        data, la = observatory(request).local_authority(edition, code)
        return _la_html(request, data.id, la["code"], None), f"{data.id}-{la['code']}"

    html, stem = await run_in_threadpool(build)
    return await run_in_threadpool(_pdf, request, html, f"leftbehind-briefing-{stem}.pdf")
