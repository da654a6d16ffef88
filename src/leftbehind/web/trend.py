"""Change over time: the three futures and an area's trend (API routes).

Pages show the same data through the summary page's and the area page's context
(``pages.py``, templates ``trend_summary.html`` and ``trend_area.html``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from leftbehind.observatory import Payload
from leftbehind.observatory.trend import AREA_CSV_COLUMNS, TREND_EDITIONS
from leftbehind.web.api import AreaCode
from leftbehind.web.common import (
    ERROR_RESPONSES,
    NOT_FOUND,
    EditionParam,
    csv_download,
    csv_responses,
    json_response,
    observatory,
    payload_response,
)

router = APIRouter(prefix="/api", tags=["trend"], responses=ERROR_RESPONSES)

#: Only the editions with a harmonised IMD series (England's), so the schema lists them.
TrendEditionId = StrEnum("TrendEditionId", {e: e for e in TREND_EDITIONS})  # type: ignore[misc]
TrendEditionParam = Annotated[
    TrendEditionId | None,
    Query(
        description="Edition whose groups are compared (England's: "
        + ", ".join(TREND_EDITIONS)
        + "). Default: the server's configured edition, or for an area the edition holding "
        "its code.",
    ),
]


def _edition(edition: StrEnum | None) -> str | None:
    return edition.value if edition is not None else None


@router.get(
    "/areas/{code}/trend",
    summary="An area's national deprivation percentile in every IMD edition 2004-2025",
    description="The harmonised series (2021 LSOAs, or 2017 wards by best fit) with the "
    "area's group median and the England median, its future in each period, the thresholds, "
    "the method of each point and how the area's boundaries changed. The same document as "
    "`leftbehind trend CODE --json`.",
    responses=NOT_FOUND,
)
async def area_trend(
    request: Request, code: AreaCode, edition: TrendEditionParam = None
) -> Response:
    obs = observatory(request)
    trend = await run_in_threadpool(obs.trends.area, _edition(edition), code)
    return json_response(request, trend)


@router.get(
    "/areas/{code}/trend.csv",
    summary="An area's trend as CSV, one IMD edition a row",
    response_class=Response,
    responses={**csv_responses("One row per IMD edition."), **NOT_FOUND},
)
async def area_trend_csv(
    request: Request, code: AreaCode, edition: TrendEditionParam = None
) -> Response:
    obs = observatory(request)
    trend = await run_in_threadpool(obs.trends.area, _edition(edition), code)
    payload = Payload.csv(obs.trends.area_rows(trend), AREA_CSV_COLUMNS)
    return csv_download(
        request, payload, f"leftbehind-{trend['edition']}-{trend['code']}-trend.csv"
    )


@router.get(
    "/futures",
    summary="The report's three futures: residents by group in areas that fell further "
    "behind, kept pace or closed the gap",
    description="Counts and populations by group (membership fixed at the edition), "
    "thresholds (declared as data) with robustness to them, group trajectories and the "
    "method. The same document as `leftbehind futures --edition E --json`.",
)
async def futures(request: Request, edition: TrendEditionParam = None) -> Response:
    obs = observatory(request)
    _, payload = await run_in_threadpool(obs.trends.futures, _edition(edition))
    return payload_response(request, payload)


@router.get(
    "/futures.csv",
    summary="Every area's percentile per IMD edition, change and future, as CSV",
    response_class=Response,
    responses=csv_responses("One row per area."),
)
async def futures_csv(request: Request, edition: TrendEditionParam = None) -> Response:
    obs = observatory(request)
    eid, payload = await run_in_threadpool(obs.trends.download, _edition(edition), "futures.csv")
    return csv_download(request, payload, f"leftbehind-{eid}-futures.csv")


@router.get(
    "/futures/local-authorities",
    summary="Median national percentile of each local authority's areas per IMD edition",
)
async def futures_local_authorities(
    request: Request, edition: TrendEditionParam = None
) -> Response:
    obs = observatory(request)
    _, payload = await run_in_threadpool(obs.trends.local_authorities, _edition(edition))
    return payload_response(request, payload)


@router.get(
    "/futures/local-authorities.csv",
    summary="Local authority trajectories as CSV",
    response_class=Response,
    responses=csv_responses("One row per local authority."),
)
async def futures_local_authorities_csv(
    request: Request, edition: TrendEditionParam = None
) -> Response:
    obs = observatory(request)
    eid, payload = await run_in_threadpool(
        obs.trends.download, _edition(edition), "trend_local_authorities.csv"
    )
    return csv_download(request, payload, f"leftbehind-{eid}-futures-local-authorities.csv")


@router.get(
    "/areas/{code}/outcomes",
    summary="Loneliness (the nation's own measure) and the ONS Health Index of the area's "
    "district 2015-2021, with comparators",
    description="Loneliness is measured differently in each nation: never compare values "
    "across nations. The Health Index is England's, by local authority (2021 districts).",
    responses=NOT_FOUND,
)
async def area_outcomes(request: Request, code: AreaCode, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    got = await run_in_threadpool(obs.trends.outcomes, _edition(edition), code)
    return json_response(request, got)
