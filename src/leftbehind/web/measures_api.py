"""The open API of local measures of success (JSON; the field names are the contract).

Reads are open (published measures; a token of the area's editor also shows its drafts with
``?drafts=true``); every write takes ``Authorization: Bearer TOKEN`` (401 without, 403 for
another area's editor) and is one transaction. Edits send the version they are based on
(``"version"`` or ``If-Match``); a stale one is 409.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Header, Path, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from leftbehind.community import measures as repo
from leftbehind.community.inputs import MeasureIn, MeasurePatch, ObservationIn, ObservationPatch
from leftbehind.errors import AreaNotFound, InvalidInput
from leftbehind.observatory import Payload
from leftbehind.web.auth import api_principal, community
from leftbehind.web.common import (
    ERROR_RESPONSES,
    NOT_FOUND,
    csv_download,
    csv_responses,
    observatory,
    payload_response,
)

#: Every operation: 404 (no such area or measure), 422, 503; writes also 401, 403 and 409.
_AUTH_ERRORS: dict[int | str, dict] = {
    401: {"description": "No bearer token, or a token that is not valid."},
    403: {"description": "This account may not change this area's measures."},
    409: {"description": "An edit based on an out-of-date version (the message names it)."},
}
router = APIRouter(
    prefix="/api",
    tags=["local measures"],
    responses={**ERROR_RESPONSES, **NOT_FOUND, **_AUTH_ERRORS},
)

AreaCode = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$")]
MeasureId = Annotated[int, Path(ge=1, le=2**31 - 1)]
IfMatch = Annotated[
    str | None,
    Header(description='The version the change is based on, e.g. "3" (or send "version").'),
]


def fresh(request: Request, data: Any, private: bool = False, status: int = 200) -> Response:
    """JSON that may change at any time: revalidated on every use (ETag), never stale."""
    cache = "private, no-cache" if private else "public, no-cache"
    response = payload_response(
        request, Payload.json(data), max_age=0, headers={"Cache-Control": cache}
    )
    if status != 200 and response.status_code == 200:
        response.status_code = status
    return response


def _version(if_match: str | None) -> int | None:
    if if_match is None:
        return None
    text = if_match.strip().removeprefix("W/").strip('"')
    if not text.isdigit():
        raise InvalidInput(
            f'If-Match {if_match!r} is not a version such as "3"', parameter="If-Match"
        )
    return int(text)


def _known_area(request: Request, code: str) -> None:
    if observatory(request).locate(code) is None:
        raise AreaNotFound(f"there is no area {code!r} in any edition; search with /api/search")


@router.get("/areas/{code}/measures", summary="Published local measures of an area")
def area_measures(
    request: Request,
    code: AreaCode,
    drafts: Annotated[bool, Query(description="Also drafts (editors of the area).")] = False,
) -> Response:
    who = api_principal(request)
    _known_area(request, code)
    items = repo.list_measures(community(request), who, code, drafts=drafts)
    return fresh(request, {"area_code": code, "measures": items}, private=who is not None)


@router.post("/areas/{code}/measures", status_code=201, summary="Create a local measure")
def create_measure(request: Request, code: AreaCode, measure: MeasureIn) -> Response:
    who = api_principal(request)
    if who is not None:
        _known_area(request, code)
    created = repo.create_measure(community(request), who, code, measure)
    response = fresh(request, created, private=True, status=201)
    response.headers["Location"] = f"/api/measures/{created['id']}"
    return response


@router.get("/measures/{measure_id}", summary="A measure with its observations")
def get_measure(request: Request, measure_id: MeasureId) -> Response:
    who = api_principal(request)
    return fresh(
        request, repo.get_measure(community(request), who, measure_id), private=who is not None
    )


@router.patch("/measures/{measure_id}", summary="Change a measure (owner)")
def patch_measure(
    request: Request,
    measure_id: MeasureId,
    patch: Annotated[MeasurePatch, Body()],
    if_match: IfMatch = None,
) -> Response:
    who = api_principal(request)
    updated = repo.update_measure(community(request), who, measure_id, patch, _version(if_match))
    return fresh(request, updated, private=True)


@router.delete("/measures/{measure_id}", status_code=204, summary="Delete a measure (soft)")
def delete_measure(request: Request, measure_id: MeasureId, if_match: IfMatch = None) -> Response:
    repo.delete_measure(community(request), api_principal(request), measure_id, _version(if_match))
    return Response(status_code=204)


@router.get("/measures/{measure_id}/history", summary="Who changed what, when")
def measure_history(request: Request, measure_id: MeasureId) -> Response:
    who = api_principal(request)
    items = repo.history(community(request), who, measure_id)
    return fresh(request, {"measure_id": measure_id, "history": items}, private=who is not None)


@router.post(
    "/measures/{measure_id}/observations", status_code=201, summary="Record an observation"
)
def add_observation(request: Request, measure_id: MeasureId, observation: ObservationIn):
    created = repo.add_observation(
        community(request), api_principal(request), measure_id, observation
    )
    response = fresh(request, created, private=True, status=201)
    response.headers["Location"] = f"/api/measures/{measure_id}"
    return response


@router.patch("/measures/{measure_id}/observations/{obs_id}", summary="Change an observation")
def patch_observation(
    request: Request,
    measure_id: MeasureId,
    obs_id: MeasureId,
    patch: Annotated[ObservationPatch, Body()],
    if_match: IfMatch = None,
) -> Response:
    updated = repo.update_observation(
        community(request), api_principal(request), measure_id, obs_id, patch, _version(if_match)
    )
    return fresh(request, updated, private=True)


@router.delete(
    "/measures/{measure_id}/observations/{obs_id}", status_code=204, summary="Delete (soft)"
)
def delete_observation(
    request: Request, measure_id: MeasureId, obs_id: MeasureId, if_match: IfMatch = None
) -> Response:
    repo.delete_observation(
        community(request), api_principal(request), measure_id, obs_id, _version(if_match)
    )
    return Response(status_code=204)


@router.get("/measures.json", summary="Open data: every published measure and observation")
async def measures_json(request: Request) -> Response:
    data = await run_in_threadpool(repo.open_data, community(request))
    return fresh(request, {"measures": data})


@router.get(
    "/measures.csv",
    summary="Open data as CSV: one row per observation",
    response_class=Response,
    responses=csv_responses("Every published measure and observation, one row per observation."),
)
async def measures_csv(request: Request) -> Response:
    data = await run_in_threadpool(repo.open_data, community(request))
    payload = Payload.csv(repo.open_data_rows(data), list(repo.OPEN_DATA_COLUMNS))
    response = csv_download(request, payload, "local-measures.csv")
    response.headers["Cache-Control"] = "public, no-cache"
    return response
