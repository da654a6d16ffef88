"""GeoJSON for the map and for download: areas shaded by group, local-authority outlines."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from leftbehind.web.common import (
    ERROR_RESPONSES,
    EditionParam,
    GroupParam,
    observatory,
    payload_response,
)

router = APIRouter(prefix="/api", tags=["geography"], responses=ERROR_RESPONSES)

GEOJSON: dict[int | str, dict] = {
    200: {
        "description": "A GeoJSON FeatureCollection.",
        "content": {"application/geo+json": {"schema": {"type": "object"}}},
    }
}

Detail = Annotated[
    Literal["full", "map"],
    Query(
        description="'full': the store's boundaries, coordinates to 5 decimals (about 1 m), "
        "every identification field; 'map': further simplified (about 60 m), coordinates to "
        "4 decimals, properties c (code), n (name), g (group)."
    ),
]


@router.get(
    "/areas.geojson",
    summary="Boundaries of an edition's areas with their group (GeoJSON, WGS84)",
    response_class=Response,
    responses=GEOJSON,
)
async def areas_geojson(
    request: Request,
    edition: EditionParam = None,
    group: GroupParam = None,
    detail: Detail = "full",
) -> Response:
    obs = observatory(request)
    payload = await run_in_threadpool(obs.geojson, edition, group, detail)
    return payload_response(request, payload, max_age=3600)


@router.get(
    "/local-authorities.geojson",
    summary="Outlines of the local authorities of an edition (GeoJSON, simplified for the map)",
    response_class=Response,
    responses=GEOJSON,
)
async def local_authorities_geojson(request: Request, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    payload = await run_in_threadpool(obs.la_geojson, edition)
    return payload_response(request, payload, max_age=3600)
