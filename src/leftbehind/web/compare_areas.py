"""Compare areas: two to four wards, LSOAs or local authorities of one edition side by side on
every indicator, with the comparators. The page's URL is shareable
(``/compare-areas?areas=E05000028,E05001536``); the same data as JSON and CSV."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from leftbehind.errors import LeftBehindError
from leftbehind.i18n import gettext as _
from leftbehind.observatory import Payload
from leftbehind.observatory.service import COMPARE_AREAS_CSV_COLUMNS, MAX_COMPARED
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
    payload_response,
)
from leftbehind.web.rendering import cached_payload, page

router = APIRouter()

AreasParam = Annotated[
    str,
    Query(
        max_length=400,
        description=f"2 to {MAX_COMPARED} area or local-authority codes of one edition, "
        "separated by commas, e.g. E05000028,E05001536.",
    ),
]


def _codes(areas: str) -> list[str]:
    return [c.strip() for c in areas.replace(" ", ",").split(",") if c.strip()]


@router.get(
    "/api/compare-areas",
    tags=["api"],
    summary="Two to four areas side by side on every indicator, with the comparators",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
async def compare_areas_api(
    request: Request, areas: AreasParam, edition: EditionParam = None
) -> Response:
    obs = observatory(request)
    result = await run_in_threadpool(obs.compare_areas, edition, _codes(areas))
    return json_response(request, result)


@router.get(
    "/api/compare-areas.csv",
    tags=["api"],
    summary="The comparison of two to four areas as CSV, one row per area and indicator",
    response_class=Response,
    responses={**csv_responses("One row per area and indicator."), **NOT_FOUND},
)
async def compare_areas_csv(
    request: Request, areas: AreasParam, edition: EditionParam = None
) -> Response:
    obs = observatory(request)
    result = await run_in_threadpool(obs.compare_areas, edition, _codes(areas))
    payload = Payload.csv(obs.compare_areas_rows(result), COMPARE_AREAS_CSV_COLUMNS)
    codes = "-".join(a["code"] for a in result["areas"])
    return csv_download(request, payload, f"leftbehind-{result['edition']}-compare-{codes}.csv")


@router.get("/compare-areas", response_class=HTMLResponse, include_in_schema=False)
async def compare_areas_page(
    request: Request,
    areas: Annotated[str, Query(max_length=400)] = "",
    edition: PageEditionParam = None,
) -> Response:
    obs = observatory(request)
    codes = _codes(areas)
    if len(codes) < 2:  # the form (one code: it is kept in the form)
        data = await lookup(request, obs.edition, edition)
        return page(
            request, data, "compare_areas.html", title=_("Compare areas"), result=None,
            areas=", ".join(codes), max_compared=MAX_COMPARED, problem=None,
        )  # fmt: skip
    try:
        result = await run_in_threadpool(obs.compare_areas, edition, codes)
    except LeftBehindError as exc:
        data = await lookup(request, obs.edition, edition)
        response = page(
            request, data, "compare_areas.html", title=_("Compare areas"), result=None,
            areas=", ".join(codes), max_compared=MAX_COMPARED,
            problem=str(exc).removeprefix("query parameter 'areas': "),
        )  # fmt: skip
        response.status_code = 404 if "no area" in str(exc) else 422
        return response
    data = await lookup(request, obs.edition, result["edition"])
    names = _("{names} and {last}").format(
        names=", ".join(a["name"] for a in result["areas"][:-1]), last=result["areas"][-1]["name"]
    )
    context = {
        "title": _("Compare: {names}").format(names=names),
        "names": names,
        "result": result,
        "areas": ", ".join(a["code"] for a in result["areas"]),
        "codes": ",".join(a["code"] for a in result["areas"]),
        "max_compared": MAX_COMPARED,
        "problem": None,
    }
    payload = await cached_payload(request, data, "compare_areas.html", lambda: context)
    return payload_response(request, payload, max_age=60)
