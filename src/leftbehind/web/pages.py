"""Server-rendered HTML pages. Every page is complete without JavaScript."""

from __future__ import annotations

import json
import logging
from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from leftbehind.community.charts import trend_svg
from leftbehind.community.measures import published_with_observations
from leftbehind.errors import LeftBehindError
from leftbehind.i18n import gettext as _
from leftbehind.observatory import EditionView, Observatory
from leftbehind.observatory.service import AreaSort
from leftbehind.sources.registry import load_registry
from leftbehind.web import assets
from leftbehind.web.common import PageEditionParam, lookup, observatory, payload_response
from leftbehind.web.public_funds import FUNDS_MARK, local_authority_section
from leftbehind.web.rendering import cached_page, cached_payload, html_payload, page, render

router = APIRouter(include_in_schema=False)
log = logging.getLogger("leftbehind.web")


# -- home ------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
async def home(request: Request, edition: PageEditionParam = None) -> Response:
    obs = observatory(request)
    data = await lookup(request, obs.edition, edition)

    def context() -> dict:
        bounds = obs.map_bounds(data.id)
        return {
            "map_bounds": json.dumps(bounds) if bounds else "",
            "title": _("Find your neighbourhood"),
            "headline": data.headline,
            "left_behind_by_region": obs.left_behind_by_region(data.id),
        }

    return await cached_page(request, data, "home.html", context)


# -- area ------------------------------------------------------------------------------------
def _area_context(obs: Observatory, data: EditionView, rec: dict) -> dict:
    prof, _payload = obs.profile(data.id, rec["code"])
    # Library profiles carry sentences with their sources; the facts-only profile of an area
    # without a nine-dimension profile has one summary sentence.
    summary = prof.get("summary_sentences") or [{"text": prof["summary"], "source": None}]
    return {
        "title": f"{rec['name']} ({rec['code']})",
        "area": rec,
        "profile": prof,
        "summary_sentences": [s for s in summary if s["text"]],
        "status_sentence": obs.describe_status(data, rec),
        "chart_svg": obs.chart(prof),
        "robustness": obs.robustness(data, rec["code"]),
        "today": obs.todays_wards(data, rec),
        "la": data.local_authorities.get(rec["local_authority_code"] or ""),
        "trend": obs.trends.area_for_page(data.id, rec["code"]),
        "outcomes": obs.trends.outcomes_for_page(data.id, rec["code"]),
        "area_map_bounds": obs.area_map_bounds(data.id, rec["code"]),
        "uk_index": obs.uk.area(data.id, rec["code"]),
    }


MEASURES_MARK = "<!--local-measures-->"


def local_measures_html(request: Request, rec: dict) -> str:
    """The area's published local measures, with trend charts and who publishes them."""
    try:
        items = published_with_observations(request.app.state.community, rec["code"])
    except (SQLAlchemyError, LeftBehindError) as exc:
        log.warning("local measures unavailable for %s: %s", rec["code"], exc)
        return '<p class="no-data">Local measures are not available just now.</p>'
    for m in items:
        m["trend"] = trend_svg(m["observations"], m["name"], m["unit"])
    return render(request, "local_measures.html", {"area": rec, "measures": items})


@router.get("/areas/{code}", response_class=HTMLResponse)
async def area_page(
    request: Request,
    code: Annotated[str, Path(min_length=1, max_length=64)],
    edition: PageEditionParam = None,
) -> Response:
    obs = observatory(request)
    if edition:
        # Switching edition on an area page: go to the same area if the edition has it,
        # otherwise to its local authority in that edition, otherwise that edition's home.
        target = await lookup(request, obs.edition, edition)
        if code not in target.records:
            located = await run_in_threadpool(obs.locate, code)
            if located is not None:
                _view, rec = located
                la_code = rec["local_authority_code"]
                if la_code in target.local_authorities:
                    url = f"/local-authorities/{la_code}?" + urlencode(
                        {"edition": target.id, "from": rec["name"]}
                    )
                    return RedirectResponse(url, status_code=303)
                return RedirectResponse("/?" + urlencode({"edition": target.id}), status_code=303)
    data, rec = await lookup(request, obs.area, edition, code)
    # The official part is rendered once and kept; the community's measures are added on each
    # request (they change whenever an editor records a value).
    official = await cached_payload(
        request, data, "area.html", lambda: _area_context(obs, data, rec)
    )
    measures = await run_in_threadpool(local_measures_html, request, rec)
    html = official.body.decode("utf-8").replace(MEASURES_MARK, measures, 1)
    # The asset map's section and counts (community additions change at any time).
    html = await run_in_threadpool(assets.area_assets_html, request, data.id, rec, html)
    # Shared: the fast path keeps it until the community's content or the grants change.
    return payload_response(
        request,
        html_payload(html),
        max_age=0,
        headers={"Cache-Control": "public, no-cache"},
        shared=True,
    )


# -- local authority ---------------------------------------------------------------------


@router.get("/local-authorities/{code}", response_class=HTMLResponse)
async def local_authority_page(
    request: Request,
    code: Annotated[str, Path(min_length=1, max_length=64)],
    edition: PageEditionParam = None,
    sort: Annotated[AreaSort, Query()] = "imd_rank",
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
    from_: Annotated[str | None, Query(alias="from", max_length=120)] = None,
) -> Response:
    obs = observatory(request)
    data, la = await lookup(request, obs.local_authority, edition, code)

    def context() -> dict:
        return {
            "title": _("{name}: neighbourhoods").format(name=la["name"]),
            "la": la,
            "rows": obs.areas_in(data, la["code"], sort, order),
            "sort": sort,
            "order": order,
            "came_from": from_,
            "asset_counts": assets.asset_map(request).count_by_local_authority(la["code"]),
            "la_assets": assets.asset_map(request).in_local_authority(la["code"]),
            "la_map_bounds": json.dumps(obs.local_authority_bounds(data.id, la["code"]) or ""),
            "uk_index": obs.uk.local_authority(data.id, la["code"]),
        }

    # The official part is kept rendered; the public funds (imported funds change without a
    # restart) are put in at each request.
    official = await cached_payload(request, data, "local_authority.html", context)
    funds = await run_in_threadpool(local_authority_section, request, la["code"], data.id)
    html = official.body.decode("utf-8").replace(FUNDS_MARK, funds, 1)
    return payload_response(
        request, html_payload(html), max_age=0, headers={"Cache-Control": "public, no-cache"}
    )


# -- summary, methods, docs ------------------------------------------------------------------
@router.get("/summary", response_class=HTMLResponse)
async def summary_page(request: Request, edition: PageEditionParam = None) -> Response:
    obs = observatory(request)
    data = await lookup(request, obs.edition, edition)

    def context() -> dict:
        return {
            "title": _("Summary by region, local authority and rural-urban class"),
            "summary": obs.summary(data.id)[0],
            "comparison": obs.compare(data.id)[0],
            "library_changes": assets.asset_map(request).library_changes(data.id),
            "futures": obs.trends.summary_for_page(data.id),
        }

    return await cached_page(request, data, "summary.html", context)


@router.get("/methods", response_class=HTMLResponse)
async def methods_page(request: Request, edition: PageEditionParam = None) -> Response:
    obs = observatory(request)
    data = await lookup(request, obs.edition, edition)

    def context() -> dict:
        return {
            "title": _("Methods, sources and licences"),
            "sources": load_registry(),
            "validation": obs.validation(data.id),
            "robustness": obs.robustness_overview(data.id),
            "crosswalks": obs.crosswalks(data.id),
        }

    return await cached_page(request, data, "methods.html", context, max_age=300)


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> Response:
    """API documentation rendered from the OpenAPI schema (no external scripts)."""
    schema = request.app.openapi()
    endpoints = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            endpoints.append(
                {
                    "path": path,
                    "method": method.upper(),
                    "summary": op.get("summary", ""),
                    "parameters": op.get("parameters", []),
                }
            )
    obs = observatory(request)
    try:
        data = await lookup(request, obs.edition, None)
    except LeftBehindError:
        data = None
    return page(
        request,
        data,
        "docs.html",
        max_age=300,
        title="Open API",
        schema_info=schema.get("info", {}),
        endpoints=endpoints,
    )
