"""Across the UK: the UK-wide composite index on one page and in the API.

The area page shows an area's place on the same index (``pages.py`` context ``uk_index``,
template ``uk_index.html``); the numbers come from :class:`leftbehind.observatory.uk.UKIndex`.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from leftbehind.i18n import gettext as _
from leftbehind.observatory import Payload
from leftbehind.web.api import AreaCode
from leftbehind.web.common import (
    ERROR_RESPONSES,
    NOT_FOUND,
    EditionParam,
    PageEditionParam,
    csv_download,
    csv_responses,
    json_response,
    lookup,
    observatory,
)
from leftbehind.web.rendering import cached_page

router = APIRouter(prefix="/api", tags=["uk"], responses=ERROR_RESPONSES)
pages_router = APIRouter(include_in_schema=False)


@router.get(
    "/uk-summary",
    summary="How the 'left behind' areas of each nation compare on one UK scale",
    description="mySociety's composite UK Index of Multiple Deprivation (CC BY 4.0) for every "
    "edition's groups: areas, their small areas, the share of those in the UK's most deprived "
    "tenth and fifth, and the median UK rank of each area's most deprived small area; with a "
    "headline sentence per nation.",
)
async def uk_summary(request: Request) -> Response:
    doc = await run_in_threadpool(observatory(request).uk.summary)
    return json_response(request, doc)


@router.get(
    "/uk-summary.csv",
    summary="The UK-wide comparison as CSV, one edition and group a row",
    response_class=Response,
    responses=csv_responses("One row per edition and group."),
)
async def uk_summary_csv(request: Request) -> Response:
    doc = await run_in_threadpool(observatory(request).uk.summary)
    return csv_download(request, Payload.csv(doc["rows"], doc["columns"]), "leftbehind-uk.csv")


@router.get(
    "/areas/{code}/uk-index",
    summary="An area on the UK-wide composite index of deprivation",
    description="The UK rank (1 = most deprived of 42,619 small areas) and UK population "
    "decile of the area's most deprived small area, and how many of its small areas are in the "
    "UK's most deprived tenth, with plain-language sentences and mySociety's credit.",
    responses=NOT_FOUND,
)
async def area_uk_index(request: Request, code: AreaCode, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    ed = edition.value if edition is not None else None
    doc = await run_in_threadpool(obs.uk.area, ed, code)
    if doc is None:
        data, rec = await lookup(request, obs.area, ed, code)
        doc = {"code": rec["code"], "edition": data.id, "uk_rank": None,
               "note": "The UK-wide index has no small area for this area."}  # fmt: skip
    return json_response(request, doc)


@router.get(
    "/local-authorities/{code}/uk-index",
    summary="A local authority on the UK-wide composite index (mySociety's council summary)",
    description="The council's population-weighted composite score and its UK decile and "
    "quintile of councils by population, matched to the GSS code by name; councils mySociety "
    "no longer lists (replaced since) have `pop_decile` null and a note.",
    responses=NOT_FOUND,
)
async def la_uk_index(request: Request, code: AreaCode, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    ed = edition.value if edition is not None else None
    doc = await run_in_threadpool(obs.uk.local_authority, ed, code)
    if doc is None:
        data, la = await lookup(request, obs.local_authority, ed, code)
        doc = {"gss_code": la["code"], "name": la["name"], "edition": data.id,
               "pop_decile": None,
               "note": "mySociety's UK-wide council summary does not list this council "
               "(it may have been replaced since)."}  # fmt: skip
    return json_response(request, doc)


@pages_router.get("/uk", response_class=HTMLResponse)
async def uk_page(request: Request, edition: PageEditionParam = None) -> Response:
    obs = observatory(request)
    data = await lookup(request, obs.edition, edition)

    def context() -> dict:
        return {
            "title": _("Across the UK: 'left behind' areas on one scale"),
            "uk": obs.uk.summary(),
        }

    return await cached_page(request, data, "uk_summary.html", context, max_age=300)
