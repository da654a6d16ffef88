"""Search by name or code: JSON suggestions for the combobox and an HTML results page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from leftbehind.web.common import (
    ERROR_RESPONSES,
    EditionParam,
    PageEditionParam,
    json_response,
    observatory,
)
from leftbehind.web.rendering import base_context, html_payload_response, render

router = APIRouter()

QueryText = Annotated[
    str,
    Query(
        max_length=100,
        description="Name or code, typos allowed, e.g. 'Becontree', 'becontre', 'E05000028'.",
    ),
]


def _link(item: dict, edition_id: str) -> str:
    base = "/areas/" if item["kind"] == "area" else "/local-authorities/"
    return f"{base}{item['code']}?edition={edition_id}"


@router.get(
    "/api/search",
    tags=["api"],
    summary="Suggestions: areas and councils by name or code",
    responses=ERROR_RESPONSES,
)
async def search_api(
    request: Request,
    q: QueryText = "",
    edition: EditionParam = None,
    limit: Annotated[int, Query(ge=1, le=50, description="Most suggestions to return.")] = 8,
) -> Response:
    obs = observatory(request)
    data = await run_in_threadpool(obs.edition, edition)
    items = obs.search(data.id, q, limit=limit)
    for item in items:
        item["url"] = _link(item, data.id)
    return json_response(request, {"edition": data.id, "query": q, "items": items}, max_age=300)


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
async def search_page(
    request: Request, q: QueryText = "", edition: PageEditionParam = None
) -> Response:
    obs = observatory(request)
    data = await run_in_threadpool(obs.edition, edition)
    items = obs.search(data.id, q, limit=20)
    exact = [i for i in items if i["score"] >= 1.0]
    if len(exact) == 1:
        return RedirectResponse(_link(exact[0], data.id), status_code=303)
    for item in items:
        item["url"] = _link(item, data.id)
    ctx = base_context(request, data)
    ctx.update({"title": f"Search results for '{q}'" if q else "Search", "q": q, "items": items})
    return html_payload_response(request, render(request, "search.html", ctx))
