"""Postcodes and today's wards: ``/api/postcodes/{postcode}``, ``/api/wards/{code}``, the ward
page ``/wards/{code}``, the crosswalks as CSV (``/api/crosswalks/{from}.csv``) and the map's
place names (``/api/map-labels``)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from leftbehind.web.common import (
    ERROR_RESPONSES,
    NOT_FOUND,
    EditionParam,
    csv_download,
    csv_responses,
    json_response,
    lookup,
    observatory,
    payload_response,
)
from leftbehind.web.rendering import page

router = APIRouter()

PostcodeText = Annotated[
    str,
    Path(
        min_length=1,
        max_length=40,
        description="A UK postcode in any common spelling: 'RM9 4UN', 'rm94un', 'rm9-4un'.",
    ),
]
WardCode = Annotated[
    str, Path(min_length=1, max_length=64, description="A ward code of 2022-2026, e.g. E05014055.")
]


@router.get(
    "/api/postcodes/{postcode}",
    tags=["api"],
    summary="A postcode's local authority, ward, small area, nation and area in every edition",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
    description=(
        "From the ONS National Statistics Postcode Lookup (August 2024). For every edition of "
        "the postcode's nation: the area it lies in, the candidates with their share, and how "
        "it was found (exact, best fit by population, or by area overlap). 404 for a postcode "
        "not in the lookup (`reason`: `unknown`, or `unsupported_district` for districts such "
        "as SW1A that the lookup leaves out); 422 for text that is not a postcode."
    ),
)
async def postcode_api(request: Request, postcode: PostcodeText) -> Response:
    obs = observatory(request)
    answer = await run_in_threadpool(obs.postcode, postcode)
    return json_response(request, answer, max_age=3600)


@router.get(
    "/api/wards/{code}",
    tags=["api"],
    summary="A ward of 2022-2026 and the areas of every edition it overlaps, with the method",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
)
async def ward_api(request: Request, code: WardCode) -> Response:
    obs = observatory(request)
    ward = await run_in_threadpool(obs.ward, code)
    return json_response(request, ward, max_age=3600)


@router.get("/wards/{code}", response_class=HTMLResponse, include_in_schema=False)
async def ward_page(request: Request, code: WardCode, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    data = await lookup(request, obs.edition, edition)
    ward = await run_in_threadpool(obs.ward, code)
    title = f"{ward['name']} ward ({ward['code']})"
    return page(request, data, "ward.html", title=title, ward=ward)


@router.get(
    "/api/crosswalks/{from_type}.csv",
    tags=["api"],
    summary="Today's wards or 2021 LSOAs -> the areas of an edition, with share and method (CSV)",
    responses={**csv_responses("One row per (ward or LSOA, area) pair."), **NOT_FOUND},
    description=(
        "`ward`: every ward code of 2016-2026 in the ONS ward lookups; `lsoa21`: every 2021 "
        "LSOA (for editions whose areas are not 2021 LSOAs). Columns: from_type, from_code, "
        "from_name, edition, area_code, area_name, share (of the ward's or LSOA's residents in "
        "the area, 0-1), method (exact, best_fit_population: through 2021 LSOAs weighted by "
        "residents, area_overlap: boundaries overlaid, weighted by residents) and its "
        "description. 404 for a pair the edition has no rows of."
    ),
)
async def crosswalk_csv(
    request: Request,
    from_type: Annotated[Literal["ward", "lsoa21"], Path(description="ward or lsoa21")],
    edition: EditionParam = None,
) -> Response:
    obs = observatory(request)
    payload = await run_in_threadpool(obs.crosswalk, edition, from_type)
    eid = obs.resolve_edition(edition)
    return csv_download(request, payload, f"leftbehind-{eid}-crosswalk-{from_type}.csv")


@router.get(
    "/api/map-labels",
    tags=["geography"],
    summary="Where the map writes local authorities' names (JSON)",
    responses={**ERROR_RESPONSES, **NOT_FOUND},
    description=(
        "`local_authorities`: code `c`, name `n`, a point inside the boundary (`x` longitude, "
        "`y` latitude, WGS84) and the number of 'left behind' areas `lb`, most first."
    ),
)
async def map_labels(request: Request, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    payload = await run_in_threadpool(obs.labels, edition)
    return payload_response(request, payload, max_age=3600)
