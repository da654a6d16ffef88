"""GeoJSON for the map and for download: areas shaded by group, local-authority outlines."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from leftbehind.web.common import (
    ERROR_RESPONSES,
    NOT_FOUND,
    SHARED,
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
tiles_router = APIRouter(tags=["geography"], responses=ERROR_RESPONSES)

LocalAuthorityParam = Annotated[
    str | None,
    Query(
        max_length=100,
        description="Only the areas of this local authority (code or name), e.g. E07000114 "
        "(Thanet); unknown: 404 with close matches.",
    ),
]

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
    responses={**GEOJSON, **NOT_FOUND},
)
async def areas_geojson(
    request: Request,
    edition: EditionParam = None,
    group: GroupParam = None,
    detail: Detail = "full",
    local_authority: LocalAuthorityParam = None,
    region: Annotated[
        str | None, Query(max_length=100, description="Only areas of this region (code or name).")
    ] = None,
) -> Response:
    obs = observatory(request)
    payload = await run_in_threadpool(obs.geojson, edition, group, detail, local_authority, region)
    return payload_response(request, payload, max_age=3600, shared=True)


@router.get(
    "/local-authorities.geojson",
    summary="Outlines of the local authorities of an edition (GeoJSON, simplified for the map)",
    response_class=Response,
    responses={**GEOJSON, **NOT_FOUND},
)
async def local_authorities_geojson(
    request: Request, edition: EditionParam = None, local_authority: LocalAuthorityParam = None
) -> Response:
    obs = observatory(request)
    payload = await run_in_threadpool(obs.la_geojson, edition, local_authority)
    return payload_response(request, payload, max_age=3600, shared=True)


@tiles_router.get(
    "/tiles/{geography}/{z}/{x}/{y}.mvt",
    summary="Vector tile of a geography's areas (Mapbox Vector Tile, layer 'areas')",
    description="Feature properties: c (code), n (name), g:{edition} (the area's group in each "
    "edition drawn on this geography; see tile_group_key in /api/editions). 204 where there "
    "is no tile. Gzip-compressed when the client accepts it.",
    response_class=Response,
    responses={
        200: {"content": {"application/vnd.mapbox-vector-tile": {}}},
        204: {"description": "No tile here (open sea, or beyond the deepest zoom)."},
        **NOT_FOUND,
    },
)
async def tile(
    request: Request,
    geography: Annotated[str, Path(max_length=16, pattern=r"^[a-z0-9]+$")],
    z: Annotated[int, Path(ge=0, le=22)],
    x: Annotated[int, Path(ge=0)],
    y: Annotated[int, Path(ge=0)],
) -> Response:
    obs = observatory(request)
    payload = obs.cached_tile(geography, z, x, y)  # the hot path: no thread hop
    if payload is None:
        payload = await run_in_threadpool(obs.tile, geography, z, x, y)
    if payload is None:
        return Response(
            status_code=204, headers={"Cache-Control": "public, max-age=86400", SHARED: "1"}
        )
    return payload_response(request, payload, max_age=86400, shared=True)
