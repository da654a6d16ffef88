"""Funding pages and API: a needs-based allocation (``/allocate``, ``/api/allocations``) and
where imported 360Giving grants land per head (``/funding``, ``/api/grants/summary``).

Only HTTP here: parameters are parsed into :class:`leftbehind.funding.request.AllocationRequest`
and handed to :class:`leftbehind.observatory.funding.Funding`. Bad values give 422 naming the
parameter (API) or an inline message next to the field (page).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from leftbehind.editions import EDITIONS
from leftbehind.errors import InvalidInput
from leftbehind.funding.request import MAX_AREA_YEARS, MAX_DRAW_AREAS, AllocationRequest
from leftbehind.observatory.funding import (
    SORT_COLUMNS,
    AllocationResult,
    Funding,
    allocation_view,
    grants_figures,
)
from leftbehind.web.common import (
    ERROR_RESPONSES,
    EditionParam,
    PageEditionParam,
    csv_download,
    funding,
    lookup,
    observatory,
    payload_response,
)
from leftbehind.web.rendering import base_context, html_payload_response, page, render

api_router = APIRouter(prefix="/api", tags=["funding"], responses=ERROR_RESPONSES)
page_router = APIRouter(include_in_schema=False)


def query_string(request: AllocationRequest, edition_id: str, **extra: Any) -> str:
    """The query string of a request (for download and sort links), defaults left out."""
    params: dict[str, Any] = {"edition": edition_id}
    for name, value in request.model_dump().items():
        if name == "edition" or value is None:
            continue
        default = AllocationRequest.model_fields[name].default
        if name != "budget" and value == default:
            continue
        if name in ("draws", "seed", "award") and not request.compare_bidding:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        elif isinstance(value, float) and value.is_integer():
            value = int(value)
        params[name] = value
    params.update({k: v for k, v in extra.items() if v is not None})
    return urlencode(params)


# Labels, hints and plain messages for the form (the page), one per parameter.
FIELD_TEXT: dict[str, dict[str, str]] = {
    "edition": {"label": "Edition", "error": "Choose one of the editions in the list."},
    "budget": {
        "label": "Budget (£, all years)",
        "hint": "The whole pot in pounds, for example £10,000,000, 10000000 or 10m.",
        "error": "Enter the budget in pounds above 0, for example £2,000,000, 2000000 or 2m.",
    },
    "years": {
        "label": "Years",
        "hint": "How many years the money is spread over (1 to 50).",
        "error": "Enter a whole number of years from 1 to 50.",
    },
    "include_other_deprived": {
        "label": "Also fund other deprived areas (most deprived 10%, but not 'left behind')",
        "error": "Tick the box or leave it empty.",
    },
    "need": {
        "label": "How need is measured",
        "error": "Choose exponential, ranks, scores or equal.",
    },
    "steepness": {
        "label": "Steepness of the exponential need (k)",
        "hint": "4.3478 (100/23) is the IMD's own transform; larger gives the areas most in "
        "need more, smaller is closer to ranks.",
        "error": "Enter a number above 0 and at most 50, for example 4.3478.",
    },
    "need_index": {
        "label": "Which index measures need",
        "error": "Choose both indices, the Community Needs Index only or the IMD only.",
    },
    "cni_weight": {
        "label": "Weight of community need (CNI), 0 to 1",
        "hint": "0.5 weighs the Community Needs Index and deprivation (IMD) equally; 1 uses "
        "the Community Needs Index only.",
        "error": "Enter a number from 0 to 1, for example 0.5.",
    },
    "floor": {
        "label": "Floor per area (£, optional)",
        "hint": "The least any funded area receives over all years, e.g. 1000000.",
        "error": "Enter the floor in pounds as a number of 0 or more, or leave it empty.",
    },
    "cap": {
        "label": "Cap per area (£, optional)",
        "hint": "The most any area receives over all years, e.g. 1500000.",
        "error": "Enter the cap in pounds as a number above 0, or leave it empty.",
    },
    "capacity_share": {
        "label": "Capacity-building share, 0 to 1",
        "hint": "0.1 means 10% of each area's money builds community capacity (revenue, "
        "front-loaded in the early years).",
        "error": "Enter a share from 0 to 1, for example 0.1 for 10%.",
    },
    "capital_share": {
        "label": "Capital share of the rest, 0 to 1",
        "hint": "0.3 means 30% of the money after capacity building is capital; the rest is "
        "revenue.",
        "error": "Enter a share from 0 to 1, for example 0.3 for 30%.",
    },
    "profile": {"label": "Yearly profile", "error": "Choose flat, front-loaded or your own table."},
    "profile_table": {
        "label": "Your yearly weights (for 'my own weights')",
        "hint": "One weight per year, separated by commas, e.g. 3,2,1 for three years.",
        "error": "Enter one weight per year, separated by commas, e.g. 3,2,1.",
    },
    "compare_bidding": {
        "label": "Compare with a competitive bidding round",
        "error": "Tick the box or leave it empty.",
    },
    "draws": {
        "label": "Simulated bidding rounds",
        "hint": "From 1 to 1,000; more rounds give steadier intervals.",
        "error": "Enter a whole number of rounds from 1 to 1000.",
    },
    "seed": {
        "label": "Random seed",
        "hint": "The same seed gives the same result.",
        "error": "Enter a whole number of 0 or more.",
    },
}


# -- API -------------------------------------------------------------------------------------
@api_router.get(
    "/allocations",
    summary="A needs-based, non-competitive allocation of a budget, explained per area",
    description=(
        "The transparent formula of `leftbehind allocate`: eligible areas share the budget in "
        "proportion to population x need, with optional floor and cap per area, a "
        "capacity-building share, a capital/revenue split and a yearly profile. Amounts are "
        "exact to the penny (largest remainder). `format=json` gives totals and per area the "
        "amounts by year with a plain-words explanation; `format=csv` one row per area and "
        "year (code,name,year,capital,revenue,capacity_building,total, where total = capital + "
        "revenue + capacity building). Infeasible floors or caps and bad values give 422 "
        "naming the parameter.\n\n"
        "Bounded work: eligible areas x years may be at most "
        f"{MAX_AREA_YEARS:,} and, with compare_bidding, draws x the edition's areas at most "
        f"{MAX_DRAW_AREAS:,} (above either: 422 naming the cap). At most one allocation is "
        "computed at a time with two waiting; beyond that (or after a second's wait) the "
        "answer is 503 with a Retry-After header. Results are cached by their full "
        "parameters."
    ),
    responses={
        200: {
            "description": "The allocation (JSON, or CSV with format=csv).",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def allocations(
    request: Request,
    query: Annotated[AllocationRequest, Query()],
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv.")] = "json",
) -> Response:
    svc = funding(request)
    result = await run_in_threadpool(svc.allocate, query)
    if format == "csv":
        return csv_download(request, result.csv, f"leftbehind-{result.edition.id}-allocation.csv")
    return payload_response(request, result.json)


@api_router.get(
    "/grants/summary",
    summary="Where imported 360Giving grants land: money per head by group, funder and year",
    description=(
        "The per-head report of `leftbehind grants summary`: grants and money per head in "
        "'left behind' areas, other deprived areas and the nation, by funder, by year and by "
        "local authority, with coverage (grants located, unlocated, located only to a local "
        "authority). When no grants have been imported: `imported: false` and how to import "
        "them."
    ),
)
async def grants_summary(
    request: Request,
    edition: EditionParam = None,
    year_from: Annotated[
        int | None, Query(alias="from", ge=1900, le=2100, description="First award year.")
    ] = None,
    year_to: Annotated[
        int | None, Query(alias="to", ge=1900, le=2100, description="Last award year.")
    ] = None,
) -> Response:
    svc = funding(request)
    _, payload = await run_in_threadpool(svc.grants_summary, edition, year_from, year_to)
    return payload_response(request, payload)


# -- pages -----------------------------------------------------------------------------------
def _form_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = err.get("loc") or ("budget",)
        name = str(loc[0])
        if name in FIELD_TEXT and name not in errors:
            errors[name] = FIELD_TEXT[name]["error"]
    return errors or {"budget": FIELD_TEXT["budget"]["error"]}


def _form_values(raw: dict[str, str]) -> dict[str, Any]:
    """What to show in the form: the submitted text, or the defaults."""
    values: dict[str, Any] = {}
    for name, info in AllocationRequest.model_fields.items():
        if name in raw:
            values[name] = raw[name]
        elif isinstance(info.default, bool):
            values[name] = False
        else:
            values[name] = "" if info.default is None or name == "budget" else info.default
    for name in ("include_other_deprived", "compare_bidding"):
        if name in raw:
            values[name] = str(raw[name]).strip().lower() in ("on", "true", "1", "yes")
    return values


def _compute_page(svc: Funding, query: AllocationRequest):
    try:
        return svc.allocate(query), None
    except InvalidInput as exc:
        return None, exc


@page_router.get("/allocate", response_class=HTMLResponse)
async def allocate_page(request: Request) -> Response:
    obs = observatory(request)
    svc = funding(request)
    raw = {k: v for k, v in request.query_params.items() if k in AllocationRequest.model_fields}
    sort = request.query_params.get("sort", "total")
    sort = sort if sort in SORT_COLUMNS else "total"
    order = request.query_params.get("order", "desc" if sort != "name" else "asc")
    order = order if order in ("asc", "desc") else "desc"
    errors: dict[str, str] = {}
    result: AllocationResult | None = None
    query: AllocationRequest | None = None
    if "budget" in raw:
        try:
            query = AllocationRequest.model_validate(raw)
        except ValidationError as exc:
            errors = _form_errors(exc)
        if query is not None:
            result, problem = await run_in_threadpool(_compute_page, svc, query)
            if problem is not None:
                name = problem.parameter if problem.parameter in FIELD_TEXT else "budget"
                detail = str(problem).removeprefix(f"query parameter '{name}': ")
                if detail.startswith("infeasible: "):
                    detail = "this cannot work: " + detail.removeprefix("infeasible: ")
                errors[name] = detail[:1].upper() + detail[1:]
    edition_arg = raw.get("edition") or None
    try:
        data = await lookup(request, obs.edition, edition_arg)
    except InvalidInput:
        errors.setdefault("edition", FIELD_TEXT["edition"]["error"])
        data = await lookup(request, obs.edition, None)
    ctx = base_context(request, data)
    values = _form_values(raw)
    values["edition"] = data.id
    view = allocation_view(result, sort, order) if result is not None else None
    qs = query_string(result.request, result.edition.id) if result is not None else ""

    def sort_url(key: str) -> str:
        active = key == sort
        nxt = ("desc" if order == "asc" else "asc") if active else (
            "asc" if key == "name" else "desc"
        )  # fmt: skip
        return "/allocate?" + query_string(result.request, result.edition.id, sort=key, order=nxt)

    ctx.update(
        {
            "title": "Allocate funding by need" if not errors else "Please check the form",
            "values": values,
            "errors": errors,
            "fields": FIELD_TEXT,
            "result": result,
            "view": view,
            "comparison": result.data.get("compare_bidding") if result is not None else None,
            "sort": sort,
            "order": order,
            "sort_url": sort_url,
            "csv_url": f"/api/allocations?{qs}&format=csv" if qs else "",
            "json_url": f"/api/allocations?{qs}&format=json" if qs else "",
        }
    )
    html = render(request, "allocate.html", ctx)
    if errors:
        return HTMLResponse(html, status_code=422, headers={"Cache-Control": "no-store"})
    return html_payload_response(request, html)


@page_router.get("/funding", response_class=HTMLResponse)
async def funding_page(
    request: Request,
    edition: PageEditionParam = None,
    year_from: Annotated[int | None, Query(alias="from", ge=1900, le=2100)] = None,
    year_to: Annotated[int | None, Query(alias="to", ge=1900, le=2100)] = None,
) -> Response:
    obs = observatory(request)
    svc = funding(request)
    data = await lookup(request, obs.edition, edition)
    result, _ = await run_in_threadpool(svc.grants_summary, data.id, year_from, year_to)
    nation = EDITIONS[data.id].nation if data.id in EDITIONS else "nation"
    figures = grants_figures(result, nation)
    if figures:
        span = {"from": year_from, "to": year_to}
        figures |= {
            "year_from": year_from,
            "year_to": year_to,
            "json_url": "/api/grants/summary?"
            + urlencode({"edition": data.id, **{k: v for k, v in span.items() if v is not None}}),
        }
    return page(
        request,
        data,
        "funding.html",
        title="Where grants go",
        grants=result,
        nation=nation,
        **figures,
    )
