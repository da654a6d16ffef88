"""Public funding flows: ``/funding/public`` (page), ``/api/funds``, ``/api/funds/{fund}``,
``/api/funds/template.csv`` and ``/api/local-authorities/{code}/funds``.

Only HTTP here: everything is computed by
:class:`leftbehind.observatory.public_funds.PublicFunds`. Imported funds live in the community
database, so answers are revalidated on every request (ETag, ``no-cache``).
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import escape
from starlette.concurrency import run_in_threadpool

from leftbehind.editions import EDITIONS
from leftbehind.errors import UnknownName
from leftbehind.observatory.payload import Payload
from leftbehind.observatory.public_funds import PublicFunds
from leftbehind.web.common import (
    ERROR_RESPONSES,
    ErrorBody,
    PageEditionParam,
    csv_download,
    lookup,
    observatory,
    payload_response,
)
from leftbehind.web.rendering import page

api_router = APIRouter(prefix="/api", tags=["funding"], responses=ERROR_RESPONSES)
#: Public funds are compared by group for the English editions only (the schema lists them).
EnglishEditionId = StrEnum(  # type: ignore[misc]
    "EnglishEditionId", {e: e for e, ed in EDITIONS.items() if ed.nation == "England"}
)
EditionParam = Annotated[
    EnglishEditionId | None,
    Query(
        description="English edition id, e.g. england-2019-ward (the groups of authorities "
        "come from its identification). Default: the server's configured edition, when English.",
    ),
]
FUND_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {
        "model": ErrorBody,
        "description": "No such fund (official: luf1, luf2, core_spending_power; or an imported "
        "fund's name) or local authority, or the server's default edition is not English; the "
        "message says which and lists the choices.",
    }
}
page_router = APIRouter(include_in_schema=False)
FUNDS_MARK = "<!--public-funds-->"
NO_CACHE = {"Cache-Control": "public, no-cache"}
FUND_CSV_COLUMNS = [
    "code", "name", "year", "group", "amount_gbp", "population", "households", "per_head",
    "per_household",
]  # fmt: skip


def public_funds(request: Request) -> PublicFunds:
    svc = getattr(request.app.state, "public_funds", None)
    if svc is None:
        svc = PublicFunds(observatory(request), request.app.state.community)
        request.app.state.public_funds = svc
    return svc


def _json(request: Request, data: Any) -> Response:
    return payload_response(request, Payload.json(data), max_age=0, headers=NO_CACHE)


@api_router.get(
    "/funds",
    summary="Public funding flows by group of local authority, per head and per household",
    description=(
        "The Levelling Up Fund rounds 1 (2021) and 2 (2023) and core spending power 2012-2021 "
        "(trend), plus funds imported with `leftbehind funds import`, compared for "
        "authorities with 'left behind' areas, those with other deprived areas only, the rest "
        "and England, per head and per household (Census 2021), with the method, sources and "
        "licences and what is not covered (UKSPF, Towns Fund, Community Ownership Fund). The "
        "same document as `leftbehind funds summary --json`."
    ),
    responses=FUND_NOT_FOUND,
)
async def funds_summary(request: Request, edition: EditionParam = None) -> Response:
    svc = public_funds(request)
    return _json(request, await run_in_threadpool(svc.summary, edition))


@api_router.get(
    "/funds/template.csv",
    summary="A template CSV for importing a funding file",
    description="Header and one example row of the layout `leftbehind funds import` accepts.",
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}},
)
async def funds_template(request: Request) -> Response:
    payload = Payload.make(PublicFunds.template_csv(), "text/csv; charset=utf-8")
    return csv_download(request, payload, "leftbehind-fund-template.csv")


@api_router.get(
    "/funds/{fund}",
    summary="One public fund by local authority",
    description=(
        "Every 2024 local authority's money from the fund (`luf1`, `luf2`, "
        "`core_spending_power` or an imported fund's name), with its group, per head and per "
        "household; `format=csv` for a spreadsheet."
    ),
    responses={200: {"content": {"text/csv": {"schema": {"type": "string"}}}}, **FUND_NOT_FOUND},
)
async def fund_detail(
    request: Request,
    fund: Annotated[str, Path(min_length=1, max_length=40)],
    edition: EditionParam = None,
    format: Annotated[Literal["json", "csv"], Query(description="json or csv.")] = "json",
) -> Response:
    svc = public_funds(request)
    doc = await run_in_threadpool(svc.fund, fund, edition)
    if format == "csv":
        rows = [
            {**r, "amount_gbp": f"{r['amount_pence'] // 100}.{r['amount_pence'] % 100:02d}"}
            for r in doc["local_authorities"]
        ]
        payload = Payload.csv(rows, FUND_CSV_COLUMNS)
        return csv_download(request, payload, f"leftbehind-{fund}-{doc['edition']}.csv")
    return _json(request, doc)


@api_router.get(
    "/local-authorities/{code}/funds",
    summary="Public funds of one local authority beside its group and England",
    description="Any vintage of the authority's code (2016-2024); figures are for its 2024 "
    "district.",
    responses=FUND_NOT_FOUND,
)
async def local_authority_funds(
    request: Request,
    code: Annotated[str, Path(min_length=1, max_length=16)],
    edition: EditionParam = None,
) -> Response:
    svc = public_funds(request)
    return _json(request, await run_in_threadpool(svc.local_authority, code, edition))


@page_router.get("/funding/public", response_class=HTMLResponse)
async def public_funds_page(request: Request, edition: PageEditionParam = None) -> Response:
    obs = observatory(request)
    data = await lookup(request, obs.edition, edition)
    svc = public_funds(request)
    try:
        doc, problem = await run_in_threadpool(svc.summary, data.id), None
    except UnknownName as exc:  # a nation without public funds here
        doc, problem = None, str(exc)
    return page(
        request, data, "public_funds.html", max_age=0, title="Public funding flows", doc=doc,
        problem=problem,
    )  # fmt: skip


def local_authority_section(request: Request, la_code: str, edition_id: str) -> str:
    """The public funds section of a local authority page (rendered on each request)."""
    from leftbehind.errors import LeftBehindError
    from leftbehind.web.rendering import render

    svc = public_funds(request)
    if not svc.covers(edition_id):
        return ""
    try:
        doc = svc.local_authority(la_code, edition_id)
    except LeftBehindError as exc:
        return f'<p class="no-data" id="la-funds-none">{escape(str(exc))}</p>'
    return render(request, "public_funds_la.html", {"funds": doc, "edition_id": edition_id})
