"""Charts to take away: every chart of the site (an area's profile and trend; an edition's
robustness and three futures) as SVG and PNG (rendered on the server), its data as CSV, and a
chart-only page to embed with an ``<iframe>``; and the site's favicon."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from leftbehind.i18n import current_language
from leftbehind.images import ico_from_svg, svg_to_png
from leftbehind.observatory import Payload
from leftbehind.observatory.takeaway import Chart
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
Kind = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z0-9-]+$")]
#: Embeddable pages (framed by other sites): the one place framing is allowed.
EMBED_PREFIX = "/embed/"


Ext = Literal["svg", "png", "csv"]


def _area_chart(request: Request, kind: str, edition: str | None, code: str) -> Chart:
    return observatory(request).charts.area(kind, edition, code)


def _edition_chart(request: Request, kind: str, edition: str | None) -> Chart:
    return observatory(request).charts.edition(kind, edition)


async def _serve(request: Request, chart: Chart, ext: str) -> Response:
    """The chart as SVG, PNG (rendered once per chart, bounded by bytes) or the CSV of its data."""
    if ext == "csv":
        return csv_download(request, Payload.csv(chart.rows, chart.columns), chart.filename("csv"))
    if ext == "svg":
        body: Payload = Payload.make(
            '<?xml version="1.0" encoding="UTF-8"?>\n' + chart.svg, "image/svg+xml"
        )
    else:
        cache = response_cache(request)
        key = f"chart.png:{chart.stem}#{current_language()}"  # the chart's words
        body = cache.get(key) or await run_in_threadpool(
            cache.get_or_build,
            key,
            lambda: Payload.make(svg_to_png(chart.svg, scale=2), "image/png"),
        )
    return payload_response(
        request,
        body,
        max_age=3600,
        headers={"Content-Disposition": f'inline; filename="{chart.filename(ext)}"'},
    )


# The profile chart keeps its first, short addresses.
@router.get("/areas/{code}/chart.{ext}")
async def chart_file(
    request: Request, code: Code, ext: Ext, edition: PageEditionParam = None
) -> Response:
    chart = await run_in_threadpool(_area_chart, request, "profile", edition, code)
    return await _serve(request, chart, ext)


@router.get("/areas/{code}/charts/{kind}.{ext}")
async def area_chart_file(
    request: Request, code: Code, kind: Kind, ext: Ext, edition: PageEditionParam = None
) -> Response:
    chart = await run_in_threadpool(_area_chart, request, kind, edition, code)
    return await _serve(request, chart, ext)


@router.get("/charts/{kind}.{ext}")
async def edition_chart_file(
    request: Request, kind: Kind, ext: Ext, edition: PageEditionParam = None
) -> Response:
    chart = await run_in_threadpool(_edition_chart, request, kind, edition)
    return await _serve(request, chart, ext)


def _embed(request: Request, chart: Chart, page: str, data_url: str) -> Response:
    data = observatory(request).edition(chart.edition)
    context = base_context(request, data)
    context.update({"chart": chart, "chart_svg": chart.svg, "title": f"Chart: {chart.title}",
                    "page_url": page, "data_url": data_url})  # fmt: skip
    html = render(request, "chart_embed.html", context)
    return payload_response(request, Payload.make(html, "text/html; charset=utf-8"), max_age=300)


@router.get(EMBED_PREFIX + "areas/{code}/chart", response_class=HTMLResponse)
async def chart_embed(request: Request, code: Code, edition: PageEditionParam = None):
    chart = await run_in_threadpool(_area_chart, request, "profile", edition, code)
    q = f"?edition={chart.edition}"
    return _embed(request, chart, f"/areas/{chart.code}{q}", f"/areas/{chart.code}/chart.csv{q}")


@router.get(EMBED_PREFIX + "areas/{code}/charts/{kind}", response_class=HTMLResponse)
async def area_chart_embed(
    request: Request, code: Code, kind: Kind, edition: PageEditionParam = None
):
    chart = await run_in_threadpool(_area_chart, request, kind, edition, code)
    q = f"?edition={chart.edition}"
    return _embed(
        request, chart, f"/areas/{chart.code}{q}", f"/areas/{chart.code}/charts/{kind}.csv{q}"
    )


@router.get(EMBED_PREFIX + "charts/{kind}", response_class=HTMLResponse)
async def edition_chart_embed(request: Request, kind: Kind, edition: PageEditionParam = None):
    chart = await run_in_threadpool(_edition_chart, request, kind, edition)
    q = f"?edition={chart.edition}"
    page = "/summary" if kind.startswith("futures-") else "/methods"
    return _embed(request, chart, f"{page}{q}", f"/charts/{kind}.csv{q}")


@lru_cache(maxsize=1)
def _favicon() -> bytes:
    svg = resources.files("leftbehind.web").joinpath("static/favicon.svg").read_text("utf-8")
    return ico_from_svg(svg)


@router.get("/favicon.ico")
async def favicon(request: Request) -> Response:
    return payload_response(
        request, Payload.make(_favicon(), "image/vnd.microsoft.icon"), max_age=86400
    )
