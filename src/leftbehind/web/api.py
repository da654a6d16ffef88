"""The open JSON/CSV API under ``/api`` (documented at /docs and /openapi.json)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from leftbehind.observatory import EditionView, Payload
from leftbehind.observatory.models import EditionInfo, LocalAuthority, Summary
from leftbehind.observatory.service import PROFILE_CSV_COLUMNS
from leftbehind.observatory.views import AREA_FIELDS
from leftbehind.web.common import (
    ERROR_RESPONSES,
    NOT_FOUND,
    EditionParam,
    GroupParam,
    csv_download,
    csv_responses,
    json_response,
    lookup,
    observatory,
    payload_response,
)

router = APIRouter(prefix="/api", tags=["api"], responses=ERROR_RESPONSES)

AreaCode = Annotated[
    str,
    Path(
        min_length=1,
        max_length=64,
        description="Area code in the edition's geography, e.g. E05000028 (Becontree ward).",
    ),
]


@router.get(
    "/editions",
    summary="Identification editions in this store",
    responses={200: {"model": dict[str, list[EditionInfo]]}},
)
async def editions(request: Request) -> Response:
    obs = observatory(request)
    items = await run_in_threadpool(obs.editions_meta)
    return json_response(request, {"editions": items}, max_age=3600, shared=True)


@router.get(
    "/areas",
    summary="Areas of an edition, filtered and paged",
    description="At most 1,000 areas a page (`page_size`); an unknown region or local "
    "authority is 404 with close matches.",
    responses=NOT_FOUND,
)
async def areas(
    request: Request,
    edition: EditionParam = None,
    group: GroupParam = None,
    region: Annotated[
        str | None, Query(max_length=100, description="Region code or name, e.g. E12000007.")
    ] = None,
    local_authority: Annotated[
        str | None,
        Query(max_length=100, description="Local authority code or name, e.g. E09000002."),
    ] = None,
    page: Annotated[int, Query(ge=1, le=100000, description="Page number, from 1.")] = 1,
    page_size: Annotated[int, Query(ge=1, le=1000, description="Areas per page.")] = 100,
) -> Response:
    obs = observatory(request)
    data = await lookup(request, obs.edition, edition)
    rows = obs.filter_areas(data.id, group, region, local_authority)
    total = len(rows)
    start = (page - 1) * page_size
    body = {
        "edition": data.id,
        "total": total,
        "page": page,
        "page_size": page_size,
        "pages": max(1, -(-total // page_size)),
        "items": rows[start : start + page_size],
    }
    return json_response(request, body)


@router.get(
    "/areas.csv",
    summary="Areas of an edition as CSV (same filters as /api/areas)",
    response_class=Response,
    responses={**csv_responses("One row per area."), **NOT_FOUND},
)
async def areas_csv(
    request: Request,
    edition: EditionParam = None,
    group: GroupParam = None,
    region: Annotated[str | None, Query(max_length=100)] = None,
    local_authority: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    obs = observatory(request)
    data = await lookup(request, obs.edition, edition)
    rows = obs.filter_areas(data.id, group, region, local_authority)
    payload = Payload.csv([{**r, "edition": data.id} for r in rows], ["edition", *AREA_FIELDS])
    return csv_download(request, payload, f"leftbehind-{data.id}-areas.csv")


def area_json(data: EditionView, rec: dict[str, Any]) -> dict[str, Any]:
    return {
        **rec,
        "edition": data.id,
        "edition_label": data.label,
        "type": data.geography,
        "links": {
            "page": f"/areas/{rec['code']}?edition={data.id}",
            "profile": f"/api/areas/{rec['code']}/profile?edition={data.id}",
            "profile_csv": f"/api/areas/{rec['code']}/profile.csv?edition={data.id}",
        },
    }


@router.get(
    "/areas/{code}",
    summary="One area: its group and identification facts",
    responses=NOT_FOUND,
)
async def area(request: Request, code: AreaCode, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    data, rec = await lookup(request, obs.area, edition, code)
    return json_response(request, area_json(data, rec))


@router.get(
    "/areas/{code}/profile",
    summary="Nine-dimension profile of an area with comparators and a plain summary",
    responses=NOT_FOUND,
)
async def profile(request: Request, code: AreaCode, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    # The hot path: a cached profile is served without leaving the event loop.
    cached = obs.cached_profile(edition, code)
    if cached is None:
        cached = await run_in_threadpool(obs.profile, edition, code)
    return payload_response(request, cached[1], shared=True)


@router.get(
    "/areas/{code}/profile.csv",
    summary="An area's profile as CSV, one indicator a row",
    response_class=Response,
    responses={**csv_responses("One row per indicator."), **NOT_FOUND},
)
async def profile_csv(request: Request, code: AreaCode, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    prof, _ = await run_in_threadpool(obs.profile, edition, code)
    payload = Payload.csv(obs.profile_rows(prof), PROFILE_CSV_COLUMNS)
    return csv_download(
        request, payload, f"leftbehind-{prof['edition']}-{prof['code']}-profile.csv"
    )


@router.get(
    "/summary",
    summary="Counts by region, local authority and rural-urban class",
    description="The same document as `leftbehind summary --json`.",
    responses={200: {"model": Summary}},
)
async def summary(request: Request, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    _, payload = await run_in_threadpool(obs.summary, edition)
    return payload_response(request, payload)


@router.get(
    "/summary.csv",
    summary="Counts by local authority as CSV",
    response_class=Response,
    responses=csv_responses("One row per local authority."),
)
async def summary_csv(request: Request, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    data, _ = await run_in_threadpool(obs.summary, edition)
    rows = data["by_local_authority"]
    columns = list(rows[0]) if rows else ["local_authority_code"]
    filename = f"leftbehind-{data['edition']}-local-authorities.csv"
    return csv_download(request, Payload.csv(rows, columns), filename)


@router.get("/compare", summary="'Left behind' vs other deprived areas vs the nation")
async def compare(request: Request, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    _, payload = await run_in_threadpool(obs.compare, edition)
    return payload_response(request, payload)


@router.get("/local-authorities", summary="Local authorities of an edition with their counts")
async def local_authorities(request: Request, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    data = await lookup(request, obs.edition, edition)
    items = list(data.local_authorities.values())
    return json_response(request, {"edition": data.id, "items": items})


@router.get(
    "/local-authorities/{code}",
    summary="One local authority and its areas",
    responses={200: {"model": LocalAuthority}, **NOT_FOUND},
)
async def local_authority(
    request: Request,
    code: Annotated[str, Path(min_length=1, max_length=64, description="e.g. E09000002")],
    edition: EditionParam = None,
) -> Response:
    obs = observatory(request)
    data, la = await lookup(request, obs.local_authority, edition, code)
    body = {**la, "edition": data.id, "areas_list": obs.areas_in(data, la["code"])}
    return json_response(request, body)
