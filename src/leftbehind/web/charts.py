"""Charts to take away: an area's profile chart as SVG and PNG (rendered on the server), its
data as CSV, and a chart-only page to embed with an ``<iframe>``; and the site's favicon."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from leftbehind.errors import UnknownName
from leftbehind.images import ico_from_svg, svg_to_png
from leftbehind.observatory import Payload
from leftbehind.observatory.service import CHART_CSV_COLUMNS
from leftbehind.web.common import (
    PageEditionParam,
    csv_download,
    observatory,
    payload_response,
    response_cache,
)
from leftbehind.web.rendering import base_context, render

router = APIRouter(include_in_schema=False)
Code = Annotated[str, Path(min_length=1, max_length=64)]
#: Embeddable pages (framed by other sites): the one place framing is allowed.
EMBED_PREFIX = "/embed/"


def _chart(request: Request, edition: str | None, code: str) -> tuple[dict, str]:
    obs = observatory(request)
    prof, _ = obs.profile(edition, code)
    svg = obs.chart(prof)
    if svg is None:
        raise UnknownName(f"there is no profile chart for {code}: its edition has no profile")
    return prof, svg


def _name(prof: dict, ext: str) -> str:
    return f"leftbehind-{prof['edition']}-{prof['code']}-chart.{ext}"


def _file(request: Request, body: bytes | str, media: str, filename: str) -> Response:
    return payload_response(
        request,
        Payload.make(body, media),
        max_age=3600,
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.get("/areas/{code}/chart.svg")
async def chart_svg(request: Request, code: Code, edition: PageEditionParam = None) -> Response:
    prof, svg = await run_in_threadpool(_chart, request, edition, code)
    text = '<?xml version="1.0" encoding="UTF-8"?>\n' + svg
    return _file(request, text, "image/svg+xml", _name(prof, "svg"))


@router.get("/areas/{code}/chart.png")
async def chart_png(request: Request, code: Code, edition: PageEditionParam = None) -> Response:
    prof, svg = await run_in_threadpool(_chart, request, edition, code)
    cache = response_cache(request)  # rendered once per area and edition (bounded by bytes)
    key = f"chart.png:{prof['edition']}:{prof['code']}"
    payload = cache.get(key) or await run_in_threadpool(
        cache.get_or_build, key, lambda: Payload.make(svg_to_png(svg, scale=2), "image/png")
    )
    return payload_response(
        request,
        payload,
        max_age=3600,
        headers={"Content-Disposition": f'inline; filename="{_name(prof, "png")}"'},
    )


@router.get("/areas/{code}/chart.csv")
async def chart_csv(request: Request, code: Code, edition: PageEditionParam = None) -> Response:
    prof, _ = await run_in_threadpool(_chart, request, edition, code)
    rows = observatory(request).chart_rows(prof)
    return csv_download(request, Payload.csv(rows, CHART_CSV_COLUMNS), _name(prof, "csv"))


@router.get(EMBED_PREFIX + "areas/{code}/chart", response_class=HTMLResponse)
async def chart_embed(request: Request, code: Code, edition: PageEditionParam = None):
    prof, svg = await run_in_threadpool(_chart, request, edition, code)
    data, rec = observatory(request).area(prof["edition"], prof["code"])
    context = base_context(request, data)
    context.update({"area": rec, "chart_svg": svg, "title": f"Chart: {rec['name']}"})
    html = render(request, "chart_embed.html", context)
    return payload_response(request, Payload.make(html, "text/html; charset=utf-8"), max_age=300)


@lru_cache(maxsize=1)
def _favicon() -> bytes:
    svg = resources.files("leftbehind.web").joinpath("static/favicon.svg").read_text("utf-8")
    return ico_from_svg(svg)


@router.get("/favicon.ico")
async def favicon(request: Request) -> Response:
    return payload_response(
        request, Payload.make(_favicon(), "image/vnd.microsoft.icon"), max_age=86400
    )
