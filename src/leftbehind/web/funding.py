"""Funding pages and API: a needs-based allocation (``/allocate``, ``/api/allocations``) and
where imported 360Giving grants land per head (``/funding``, ``/api/grants/summary``), the
grants themselves (``/funding/grants``, ``/api/grants``) and an admin's upload
(``POST /funding/upload``).

Only HTTP here: parameters are parsed into :class:`leftbehind.funding.request.AllocationRequest`
and handed to :class:`leftbehind.observatory.funding.Funding`. Bad values give 422 naming the
parameter (API) or an inline message next to the field (page).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from starlette.concurrency import run_in_threadpool

from leftbehind.editions import EDITIONS
from leftbehind.errors import InvalidInput
from leftbehind.funding.request import MAX_AREA_YEARS, MAX_DRAW_AREAS, AllocationRequest
from leftbehind.funding.summary import MAX_PAGE_SIZE
from leftbehind.i18n import N_
from leftbehind.i18n import gettext as _
from leftbehind.observatory import Payload
from leftbehind.observatory.funding import (
    SORT_COLUMNS,
    AllocationResult,
    Funding,
    allocation_view,
    grants_figures,
)
from leftbehind.settings import Settings
from leftbehind.web.common import (
    ERROR_RESPONSES,
    NOT_FOUND,
    RATE_LIMITED,
    EditionParam,
    PageEditionParam,
    ResponseCache,
    csv_download,
    funding,
    lookup,
    observatory,
    payload_response,
    response_cache,
)
from leftbehind.web.grant_params import (
    FunderParam,
    FunderTypeParam,
    MaxGrantParam,
    YearFromParam,
    YearToParam,
    filter_query,
    make_filters,
    only_params,
)
from leftbehind.web.rendering import (
    base_context,
    html_payload,
    html_payload_response,
    page,
    render,
)

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
    "edition": {
        "label": N_("Edition"),
        "error": N_("Choose one of the editions in the list."),
    },
    "budget": {
        "label": N_("Budget (£, all years)"),
        "hint": N_("The whole pot in pounds, for example £10,000,000, 10000000 or 10m."),
        "error": N_("Enter the budget in pounds above 0, for example £2,000,000, 2000000 or 2m."),
    },
    "years": {
        "label": N_("Years"),
        "hint": N_("How many years the money is spread over (1 to 50)."),
        "error": N_("Enter a whole number of years from 1 to 50."),
    },
    "include_other_deprived": {
        "label": N_("Also fund other deprived areas (most deprived 10%, but not 'left behind')"),
        "error": N_("Tick the box or leave it empty."),
    },
    "need": {
        "label": N_("How need is measured"),
        "error": N_("Choose exponential, ranks, scores or equal."),
    },
    "steepness": {
        "label": N_("Steepness of the exponential need (k)"),
        "hint": N_(
            "4.3478 (100/23) is the IMD's own transform; larger gives the areas most in need "
            "more, smaller is closer to ranks."
        ),
        "error": N_("Enter a number above 0 and at most 50, for example 4.3478."),
    },
    "need_index": {
        "label": N_("Which index measures need"),
        "error": N_("Choose both indices, the Community Needs Index only or the IMD only."),
    },
    "cni_weight": {
        "label": N_("Weight of community need (CNI), 0 to 1"),
        "hint": N_(
            "0.5 weighs the Community Needs Index and deprivation (IMD) equally; 1 uses the "
            "Community Needs Index only."
        ),
        "error": N_("Enter a number from 0 to 1, for example 0.5."),
    },
    "floor": {
        "label": N_("Floor per area (£, optional)"),
        "hint": N_("The least any funded area receives over all years, e.g. 1000000."),
        "error": N_("Enter the floor in pounds as a number of 0 or more, or leave it empty."),
    },
    "cap": {
        "label": N_("Cap per area (£, optional)"),
        "hint": N_("The most any area receives over all years, e.g. 1500000."),
        "error": N_("Enter the cap in pounds as a number above 0, or leave it empty."),
    },
    "capacity_share": {
        "label": N_("Capacity-building share, 0 to 1"),
        "hint": N_(
            "0.1 means 10% of each area's money builds community capacity (revenue, "
            "front-loaded in the early years)."
        ),
        "error": N_("Enter a share from 0 to 1, for example 0.1 for 10%."),
    },
    "capital_share": {
        "label": N_("Capital share of the rest, 0 to 1"),
        "hint": N_(
            "0.3 means 30% of the money after capacity building is capital; the rest is revenue."
        ),
        "error": N_("Enter a share from 0 to 1, for example 0.3 for 30%."),
    },
    "profile": {
        "label": N_("Yearly profile"),
        "error": N_("Choose flat, front-loaded or your own table."),
    },
    "profile_table": {
        "label": N_("Your yearly weights (for 'my own weights')"),
        "hint": N_("One weight per year, separated by commas, e.g. 3,2,1 for three years."),
        "error": N_("Enter one weight per year, separated by commas, e.g. 3,2,1."),
    },
    "compare_bidding": {
        "label": N_("Compare with a competitive bidding round"),
        "error": N_("Tick the box or leave it empty."),
    },
    "draws": {
        "label": N_("Simulated bidding rounds"),
        "hint": N_("From 1 to 1,000; more rounds give steadier intervals."),
        "error": N_("Enter a whole number of rounds from 1 to 1000."),
    },
    "seed": {
        "label": N_("Random seed"),
        "hint": N_("The same seed gives the same result."),
        "error": N_("Enter a whole number of 0 or more."),
    },
}


_DEFAULT_PER_MINUTE = Settings.model_fields["allocations_per_minute"].default
_DEFAULT_BURST = Settings.model_fields["allocations_burst"].default


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
        "parameters. Each client may ask for "
        f"{_DEFAULT_PER_MINUTE:g} allocations a minute on average and {_DEFAULT_BURST} at "
        "once (the server's defaults, set by LEFTBEHIND_ALLOCATIONS_PER_MINUTE and "
        "LEFTBEHIND_ALLOCATIONS_BURST); beyond that the answer is 429 with Retry-After."
    ),
    responses={
        **RATE_LIMITED,
        200: {
            "description": "The allocation (JSON, or CSV with format=csv).",
            "content": {
                "application/json": {"schema": {"type": "object"}},
                "text/csv": {"schema": {"type": "string"}},
            },
        },
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


#: Grant responses are revalidated on every request (ETag), so a new import shows at once.
GRANTS_MAX_AGE = 0
SUMMARY_PARAMS = ("edition", "from", "to", "max_grant", "funder", "funder_type")
LIST_PARAMS = (*SUMMARY_PARAMS, "area", "page", "page_size")


@api_router.get(
    "/grants/summary",
    summary="Where imported 360Giving grants land: money per head, and where every penny went",
    description=(
        "The per-head report of `leftbehind grants summary`: grants and money per head in "
        "'left behind' areas, other deprived areas and the nation, by funder, by year and by "
        "local authority, with coverage and `reconciliation`: every penny imported, placed in "
        "the edition's areas, located outside them (by reason: another nation; areas the "
        "edition does not cover; areas without residents; local authority only) or unlocated "
        "(by reason), each with `grants` and `amount_pence` adding up exactly to `total`. "
        "Filters: years (`from`, `to`), `max_grant` (pounds; the report used 1000000), "
        "`funder` (identifier, or part of the name), `funder_type` (where the data states "
        "it); `filters_applied` says in words which are in force. Unknown parameters: 422. "
        "Grants are read from the community database: an import shows here within seconds, "
        "without a restart. When no grants have been imported: `imported: false` and how to "
        "import them."
    ),
)
async def grants_summary(
    request: Request,
    edition: EditionParam = None,
    year_from: YearFromParam = None,
    year_to: YearToParam = None,
    max_grant: MaxGrantParam = None,
    funder: FunderParam = None,
    funder_type: FunderTypeParam = None,
) -> Response:
    only_params(request, SUMMARY_PARAMS)
    filters = make_filters(year_from, year_to, max_grant, funder, funder_type)
    svc = funding(request)
    _doc, payload = await run_in_threadpool(svc.grants_summary, edition, None, None, filters)
    return payload_response(request, payload, max_age=GRANTS_MAX_AGE)


@api_router.get(
    "/grants",
    responses=NOT_FOUND,
    summary="Individual imported grants, newest first, a page at a time",
    description=(
        "The grants the filters select (as `/api/grants/summary`), and with `area` only those "
        "placed (wholly or in part) in that area of the edition, with `share` and "
        f"`amount_in_area_gbp`. At most {MAX_PAGE_SIZE} a page (`page_size`, default 25). "
        "`link` is the publisher's page of the grant where the data has one, else the file's "
        "data source."
    ),
)
async def grants_list(
    request: Request,
    edition: EditionParam = None,
    area: Annotated[
        str | None, Query(max_length=16, description="An area code of the edition.")
    ] = None,
    year_from: YearFromParam = None,
    year_to: YearToParam = None,
    max_grant: MaxGrantParam = None,
    funder: FunderParam = None,
    funder_type: FunderTypeParam = None,
    page: Annotated[int, Query(ge=1, le=100_000, description="Page number.")] = 1,
    page_size: Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE, description="Grants a page.")] = 25,
) -> Response:
    only_params(request, LIST_PARAMS)
    filters = make_filters(year_from, year_to, max_grant, funder, funder_type)
    svc = funding(request)
    _doc, payload = await run_in_threadpool(
        svc.grants_list, edition, filters, area, page, page_size
    )
    return payload_response(request, payload, max_age=GRANTS_MAX_AGE)


# -- pages -----------------------------------------------------------------------------------
def _form_errors(exc: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for err in exc.errors():
        loc = err.get("loc") or ("budget",)
        name = str(loc[0])
        if name in FIELD_TEXT and name not in errors:
            errors[name] = _(FIELD_TEXT[name]["error"])
    return errors or {"budget": _(FIELD_TEXT["budget"]["error"])}


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
        errors.setdefault("edition", _(FIELD_TEXT["edition"]["error"]))
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
            "title": _("Allocate funding by need") if not errors else _("Please check the form"),
            "values": values,
            "errors": errors,
            "fields": {
                name: {key: _(text) for key, text in texts.items()}
                for name, texts in FIELD_TEXT.items()
            },
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
    year_from: YearFromParam = None,
    year_to: YearToParam = None,
    max_grant: MaxGrantParam = None,
    funder: FunderParam = None,
    funder_type: FunderTypeParam = None,
) -> Response:
    only_params(request, (*SUMMARY_PARAMS, "uploaded"))
    filters = make_filters(year_from, year_to, max_grant, funder, funder_type)
    obs = observatory(request)
    svc = funding(request)
    signed_in = "leftbehind_session" in request.cookies
    # Anonymous visitors share one rendering per grants version and URL (bounded cache).
    key = f"funding@{svc.grants_version()}:{ResponseCache.key(request)}"
    if not signed_in and (hit := response_cache(request).get(key)) is not None:
        return payload_response(request, hit, max_age=GRANTS_MAX_AGE)
    data = await lookup(request, obs.edition, edition)
    result, _payload = await run_in_threadpool(svc.grants_summary, data.id, None, None, filters)
    nation = EDITIONS[data.id].nation if data.id in EDITIONS else "nation"
    figures = grants_figures(result, nation)
    query = filter_query(data.id, filters)
    figures |= {
        "filters": filters,
        "year_from": filters.year_from,
        "year_to": filters.year_to,
        "json_url": "/api/grants/summary?" + query,
        "list_url": "/funding/grants?" + query,
        "query": query,
    }
    admin = await run_in_threadpool(_admin, request) if signed_in else None
    uploaded = request.query_params.get("uploaded", "")
    done = uploaded.split(":") if admin is not None else []
    context = dict(
        uploaded=(
            {"inserted": int(done[0]), "rows": int(done[1])}
            if len(done) == 2 and all(p.isdigit() for p in done)
            else None
        ),
        title=_("Where grants go"),
        grants=result,
        nation=nation,
        samples=_samples_only(result),
        upload=_upload_context(request, admin),
        **figures,
    )
    if admin is not None:  # the form carries this visitor's CSRF token: never shared
        ctx = base_context(request, data)
        ctx.update(context)
        return HTMLResponse(render(request, "funding.html", ctx), headers=NO_STORE)
    if signed_in:
        return page(request, data, "funding.html", max_age=GRANTS_MAX_AGE, **context)

    def build() -> Payload:
        ctx = base_context(request, data)
        ctx.update(context)
        return html_payload(render(request, "funding.html", ctx))

    payload = await run_in_threadpool(response_cache(request).get_or_build, key, build)
    return payload_response(request, payload, max_age=GRANTS_MAX_AGE)


@page_router.get("/funding/grants", response_class=HTMLResponse)
async def funding_grants_page(
    request: Request,
    edition: PageEditionParam = None,
    area: Annotated[str | None, Query(max_length=16)] = None,
    year_from: YearFromParam = None,
    year_to: YearToParam = None,
    max_grant: MaxGrantParam = None,
    funder: FunderParam = None,
    funder_type: FunderTypeParam = None,
    page_number: Annotated[int, Query(alias="page", ge=1, le=100_000)] = 1,
) -> Response:
    only_params(request, LIST_PARAMS)
    filters = make_filters(year_from, year_to, max_grant, funder, funder_type)
    obs = observatory(request)
    svc = funding(request)
    data = await lookup(request, obs.edition, edition)
    result, _payload = await run_in_threadpool(
        svc.grants_list, data.id, filters, area, page_number, 25
    )
    query = filter_query(data.id, filters, area=area)

    def page_url(number: int) -> str:
        return f"/funding/grants?{query}&page={number}"

    return page(
        request,
        data,
        "funding_grants.html",
        max_age=GRANTS_MAX_AGE,
        title=(
            _("Grants in {area}").format(area=result.get("area_name") or area)
            if area
            else _("Grants")
        ),
        listing=result,
        filters=filters,
        area=area,
        page_url=page_url,
        json_url=f"/api/grants?{query}&page={page_number}",
        summary_url="/funding?" + filter_query(data.id, filters),
    )


# -- an admin's upload -------------------------------------------------------------------------
NO_STORE = {"Cache-Control": "no-store"}
#: The largest file accepted by upload (a GrantNav export of a large funder is a few MB).
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
UPLOAD_SUFFIXES = (".json", ".csv", ".xlsx")


def _admin(request: Request):
    from leftbehind.web.auth import page_principal

    if "leftbehind_session" not in request.cookies:
        return None
    who = page_principal(request)
    return who if who is not None and who.is_admin else None


def _upload_context(request: Request, admin) -> dict[str, Any]:
    from leftbehind.web.auth import csrf_token

    if admin is None:
        return {"allowed": False, "max_mb": MAX_UPLOAD_BYTES // 2**20}
    return {"allowed": True, "csrf": csrf_token(request), "max_mb": MAX_UPLOAD_BYTES // 2**20}


def _samples_only(result: dict[str, Any]) -> bool:
    """Whether every imported file is one of the project's sample files (say so on the page)."""
    return bool(result.get("imported")) and bool(result.get("samples"))


@page_router.post("/funding/upload", response_class=HTMLResponse)
async def funding_upload(request: Request) -> Response:
    from leftbehind.web.auth import check_csrf, csrf_token, login_redirect
    from leftbehind.web.upload import UploadProblem, read_upload

    admin = await run_in_threadpool(_admin, request)
    if admin is None:
        if "leftbehind_session" not in request.cookies or request.session.get("uid") is None:
            return login_redirect(request)
        return _upload_result(request, 403, error="Only admins may upload grant files.")
    try:
        saved = await read_upload(request, "file", MAX_UPLOAD_BYTES, UPLOAD_SUFFIXES)
    except UploadProblem as exc:
        return _upload_result(request, exc.status, error=str(exc))
    try:
        check_csrf(request, saved.fields.get("csrf"))
        svc = funding(request)
        home = request.app.state.settings.home
        rejects = home / "grant-rejects" / f"{Path(saved.name).stem}.rejects.csv"
        try:
            result = await run_in_threadpool(
                svc.import_files, [saved.path], via="web", rejects_path=rejects
            )
        except InvalidInput as exc:
            return _upload_result(request, 422, error=str(exc))
    finally:
        saved.discard()
    csrf_token(request)
    return RedirectResponse(
        "/funding?" + urlencode({"uploaded": f"{result.inserted}:{result.rows}"}), status_code=303
    )


def _upload_result(request: Request, status: int, error: str) -> Response:
    ctx = base_context(request, None)
    ctx.update({"title": _("Upload grants"), "error": error})
    return HTMLResponse(
        render(request, "funding_upload.html", ctx, status), status, headers=NO_STORE
    )
