"""Search by name, code or postcode: JSON suggestions for the combobox and an HTML results page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from leftbehind.i18n import gettext as _
from leftbehind.web.common import (
    ERROR_RESPONSES,
    EditionParam,
    PageEditionParam,
    json_response,
    lookup,
    observatory,
)
from leftbehind.web.rendering import base_context, html_payload_response, render

router = APIRouter()

QueryText = Annotated[
    str,
    Query(
        max_length=100,
        description="Name, code or postcode, typos allowed, e.g. 'Becontree', 'becontre', "
        "'E05000028', 'RM9 4UN', or a ward of today such as 'Barking Riverside'.",
    ),
]


def _link(item: dict, edition_id: str) -> str:
    edition = item.get("edition") or edition_id
    if item["kind"] == "ward":
        return f"/wards/{item['code']}?edition={edition}"
    base = "/areas/" if item["kind"] == "area" else "/local-authorities/"
    return f"{base}{item['code']}?edition={edition}"


@router.get(
    "/api/search",
    tags=["api"],
    summary="Suggestions: areas, councils and today's wards by name or code, or a postcode",
    responses=ERROR_RESPONSES,
)
async def search_api(
    request: Request,
    q: QueryText = "",
    edition: EditionParam = None,
    limit: Annotated[int, Query(ge=1, le=50, description="Most suggestions to return.")] = 8,
) -> Response:
    obs = observatory(request)
    data = await lookup(request, obs.edition, edition)
    found = await run_in_threadpool(obs.find, data.id, q, limit)
    for item in found["items"]:
        item["url"] = _link(item, data.id)
    body = {"edition": data.id, "query": q, "items": found["items"]}
    if found["message"]:
        body["message"] = found["message"]
    if found["postcode"]:
        body["postcode"] = found["postcode"]["postcode"]
    return json_response(request, body, max_age=300)


@router.get("/search", response_class=HTMLResponse, include_in_schema=False)
async def search_page(
    request: Request, q: QueryText = "", edition: PageEditionParam = None
) -> Response:
    obs = observatory(request)
    data = await lookup(request, obs.edition, edition)
    found = await run_in_threadpool(obs.find, data.id, q, 20)
    items = found["items"]
    exact = [i for i in items if i["score"] >= 1.0]
    if not exact:  # a ward of today named exactly: its page says where it lies
        exact = [i for i in items if i["kind"] == "ward" and i["score"] >= 0.99]
    if len(exact) == 1:
        return RedirectResponse(_link(exact[0], data.id), status_code=303)
    for item in items:
        item["url"] = _link(item, data.id)
    ctx = base_context(request, data)
    ctx.update(
        {
            "title": _("Search results for '{q}'").format(q=q) if q else _("Search"),
            "q": q,
            "items": items,
            "message": found["message"],
            "postcode": found["postcode"],
        }
    )
    return html_payload_response(request, render(request, "search.html", ctx))
