"""Funding: a needs-based allocation (``/allocate``, ``/api/allocations``) and where imported
360Giving grants land per head (``/funding``, ``/api/grants/summary``).

The web layer only parses parameters and calls ``leftbehind.funding``: ``allocate.make_params``,
``allocate.allocate`` over the edition's identification rows (with ``attach_scores``),
``bidding.compare`` for the competitive-round comparison and ``summary.summary`` for grants.
Bad values give 422 naming the parameter (API) or an inline message next to the field (page).
"""

from __future__ import annotations

import math
import threading
from collections import OrderedDict
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

import pandas as pd
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from starlette.concurrency import run_in_threadpool

from leftbehind.editions import EDITIONS
from leftbehind.errors import InvalidInput
from leftbehind.funding import allocate as al
from leftbehind.funding import bidding
from leftbehind.funding.summary import check_years
from leftbehind.funding.summary import summary as grants_summary_of
from leftbehind.web.common import (
    EditionParam,
    csv_download,
    csv_payload,
    observatory,
    payload_response,
)
from leftbehind.web.data import EditionData, Observatory, Payload
from leftbehind.web.pages import base_context, html_payload_response, page, render

api_router = APIRouter(prefix="/api", tags=["funding"])
page_router = APIRouter(include_in_schema=False)

MAX_POUNDS = 1e12  # a trillion pounds: far above any real pot, far below float trouble
CSV_COLUMNS = ["code", "name", "year", "capital", "revenue", "capacity_building", "total"]
HOW_TO_IMPORT = "leftbehind grants import FILE --postcodes NSPL.csv"
NO_GRANTS = (
    "No grants have been imported into this evidence store, so there are no figures to show. "
    "Import 360Giving files (GrantNav CSV/XLSX exports or JSON packages) with a postcode "
    "lookup in the ONS NSPL layout, then restart the server."
)


# -- parameters ------------------------------------------------------------------------------
class AllocationQuery(BaseModel):
    """The parameters of ``leftbehind allocate``, as query parameters (page and API alike)."""

    model_config = ConfigDict(extra="ignore", allow_inf_nan=False, frozen=True)

    edition: str | None = Field(
        None,
        max_length=64,
        description="Edition id (see /api/editions), e.g. england-2019-ward. "
        "Default: the server's configured edition.",
    )
    budget: float = Field(
        gt=0, le=MAX_POUNDS, description="Total pot in pounds over all years, e.g. 10000000."
    )
    years: int = Field(10, ge=1, le=50, description="Number of years the money is spread over.")
    include_other_deprived: bool = Field(
        False,
        description="Also fund other deprived areas (most deprived 10% but not 'left behind').",
    )
    need: Literal["ranks", "scores", "equal"] = Field(
        "ranks",
        description="How need is measured from the Community Needs Index and the IMD: ranks, "
        "scores, or equal (every eligible area the same need).",
    )
    cni_weight: float = Field(
        0.5, ge=0, le=1, description="Weight of the Community Needs Index in need (0-1); "
        "the rest is the IMD.",
    )  # fmt: skip
    floor: float | None = Field(
        None, ge=0, le=MAX_POUNDS, description="Minimum per area over all years, in pounds."
    )
    cap: float | None = Field(
        None, gt=0, le=MAX_POUNDS, description="Maximum per area over all years, in pounds."
    )
    capacity_share: float = Field(
        0.1, ge=0, le=1, description="Share for community capacity building (0-1), revenue, "
        "front-loaded in the early years.",
    )  # fmt: skip
    capital_share: float = Field(
        0.3, ge=0, le=1, description="Capital share (0-1) of what is left after capacity building."
    )
    profile: Literal["flat", "front_loaded", "table"] = Field(
        "flat",
        description="Yearly profile: flat, front_loaded, or table (weights in profile_table).",
    )
    profile_table: str | None = Field(
        None,
        max_length=600,
        description="Comma-separated yearly weights when profile=table, one per year, e.g. 3,2,1.",
    )
    compare_bidding: bool = Field(
        False,
        description="Also simulate a competitive bidding round for the same budget and report "
        "the share of money reaching 'left behind' areas with 5-95% intervals.",
    )
    draws: int = Field(200, ge=1, le=1000, description="Monte Carlo draws for compare_bidding.")
    seed: int = Field(0, ge=0, le=2**32 - 1, description="Random seed for compare_bidding.")

    @field_validator("edition", "floor", "cap", "profile_table", mode="before")
    @classmethod
    def _blank_is_none(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        return value.strip() if isinstance(value, str) else value

    def key(self, edition_id: str) -> tuple:
        data = self.model_dump()
        data["edition"] = edition_id
        if not self.compare_bidding:
            data.pop("draws"), data.pop("seed")
        if self.profile != "table":
            data.pop("profile_table")
        return tuple(sorted(data.items()))

    def query(self, edition_id: str, **extra: Any) -> str:
        """The query string of these parameters (for download links), defaults left out."""
        params: dict[str, Any] = {"edition": edition_id}
        for name, value in self.model_dump().items():
            if name == "edition" or value is None:
                continue
            default = type(self).model_fields[name].default
            if name != "budget" and value == default:
                continue
            if name in ("draws", "seed") and not self.compare_bidding:
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
        "hint": "The whole pot in pounds, for example 10000000 for £10 million.",
        "error": "Enter the budget in pounds as a number above 0, for example 10000000.",
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
    "need": {"label": "How need is measured", "error": "Choose ranks, scores or equal."},
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


class ParameterError(InvalidInput):
    """Bad input that names the query parameter at fault (rendered with ``parameter``)."""

    def __init__(self, parameter: str, message: str):
        super().__init__(f"query parameter '{parameter}': {message}")
        self.parameter = parameter
        self.detail = message


# Library parameter names that the allocation form and API call differently.
QUERY_NAME = {"groups": "include_other_deprived", "award": "budget"}


def parameter_of(exc: InvalidInput) -> str:
    """The query parameter a library ``InvalidInput`` is about (the budget when none is named)."""
    name = exc.parameter or "budget"
    return QUERY_NAME.get(name, name)


def _parse_table(text: str | None) -> tuple[float, ...] | None:
    if text is None:
        return None
    try:
        weights = tuple(float(x) for x in text.split(",") if x.strip())
    except ValueError:
        raise ParameterError(
            "profile_table", f"{text!r} is not comma-separated numbers; write e.g. 3,2,1"
        ) from None
    if not all(math.isfinite(w) and abs(w) <= 1e9 for w in weights):
        raise ParameterError(
            "profile_table", "each yearly weight must be a number from 0 to 1,000,000,000"
        )
    return weights


class AllocationResult:
    """One computed allocation with its JSON and CSV payloads."""

    def __init__(self, edition: EditionData, query: AllocationQuery, allocation, data: dict):
        self.edition = edition
        self.query = query
        self.allocation = allocation
        self.data = data
        self.json = Payload.json(data)
        self.csv = csv_payload(al.to_rows(allocation), CSV_COLUMNS)


class FundingService:
    """Allocations and grant summaries for the web app, cached (bounded) per parameters."""

    def __init__(self, obs: Observatory, size: int = 32):
        self.obs = obs
        self.size = size
        self._lock = threading.Lock()
        self._results: OrderedDict[tuple, AllocationResult] = OrderedDict()
        self._areas: dict[str, pd.DataFrame] = {}

    def areas(self, data: EditionData) -> pd.DataFrame:
        """The edition's identification rows with the CNI scores the formula may use."""
        frame = self._areas.get(data.id)
        if frame is None:
            con = self.obs.connection()
            try:
                frame = al.attach_scores(con, data.id, data.frame.copy())
            finally:
                con.close()
            self._areas[data.id] = frame
        return frame

    def allocate(self, query: AllocationQuery) -> AllocationResult:
        try:
            data = self.obs.edition(query.edition)
        except InvalidInput as exc:
            raise ParameterError("edition", str(exc).split(": ", 1)[-1]) from None
        key = query.key(data.id)
        with self._lock:
            hit = self._results.get(key)
            if hit is not None:
                self._results.move_to_end(key)
                return hit
        groups = ("left_behind", "other_deprived") if query.include_other_deprived else None
        table = _parse_table(query.profile_table) if query.profile == "table" else None
        try:
            params = al.make_params(
                budget=query.budget, years=query.years,
                groups=groups or ("left_behind",), need=query.need,
                cni_weight=query.cni_weight, floor=query.floor, cap=query.cap,
                capacity_share=query.capacity_share, capital_share=query.capital_share,
                profile=query.profile, profile_table=table,
            )  # fmt: skip
            areas = self.areas(data)
            allocation = al.allocate(areas, params)
            out = {"edition": data.id, "edition_label": data.label, **al.to_json(allocation)}
            if query.compare_bidding:
                bid = bidding.make_bidding_params(
                    budget=query.budget, draws=query.draws, seed=query.seed,
                    award=query.budget / max(len(allocation.areas), 1),
                )  # fmt: skip
                out["compare_bidding"] = bidding.compare(areas, allocation.areas, bid)
        except ParameterError:
            raise
        except InvalidInput as exc:
            raise ParameterError(parameter_of(exc), str(exc)) from None
        result = AllocationResult(data, query, allocation, out)
        with self._lock:
            self._results[key] = result
            while len(self._results) > self.size:
                self._results.popitem(last=False)
        return result

    # -- grants --------------------------------------------------------------------------
    def grants_count(self) -> int:
        if "grants" not in self.obs.tables():
            return 0
        con = self.obs.connection()
        try:
            return int(con.execute("SELECT count(*) FROM grants").fetchall()[0][0])
        finally:
            con.close()

    def grants_summary(
        self, edition: str | None, year_from: int | None, year_to: int | None
    ) -> tuple[dict[str, Any], Payload]:
        """``leftbehind.funding.summary.summary`` for the edition, or an explanation when no
        grants have been imported (never invented numbers)."""
        try:  # checked before any grants are read: the same answer with none imported
            check_years(year_from, year_to)
        except InvalidInput as exc:
            raise ParameterError(parameter_of(exc), str(exc)) from None
        data = self.obs.edition(edition)

        def build() -> dict[str, Any]:
            if self.grants_count() == 0:
                return {
                    "edition": data.id,
                    "imported": False,
                    "grants": 0,
                    "message": NO_GRANTS,
                    "how_to_import": HOW_TO_IMPORT,
                }
            con = self.obs.connection()
            try:
                result = grants_summary_of(con, data.id, year_from, year_to, areas=data.frame)
            finally:
                con.close()
            return {"imported": True, **result}

        return data.result(f"grants:summary:{year_from}:{year_to}", build)


def service(request: Request) -> FundingService:
    return request.app.state.funding


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
        "naming the parameter."
    ),
)
async def allocations(
    request: Request,
    query: Annotated[AllocationQuery, Query()],
    format: Annotated[Literal["json", "csv"], Query(description="json (default) or csv.")] = "json",
) -> Response:
    svc = service(request)
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
    svc = service(request)
    _, payload = await run_in_threadpool(svc.grants_summary, edition, year_from, year_to)
    return payload_response(request, payload)


# -- pages -----------------------------------------------------------------------------------
SORT_COLUMNS = {
    "name": "name",
    "population": "population",
    "need_weight": "need_weight",
    "total": "total_pence",
    "capital": "capital_pence",
    "revenue": "revenue_pence",
    "capacity": "capacity_building_pence",
}


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
    for name, info in AllocationQuery.model_fields.items():
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


def _allocation_view(result: AllocationResult, sort: str, order: str) -> dict[str, Any]:
    alloc = result.allocation
    areas = alloc.areas
    column = SORT_COLUMNS[sort]
    if sort == "name":
        areas = areas.assign(_k=areas["name"].fillna("").str.lower()).sort_values(
            ["_k", "code"], ascending=order == "asc"
        )
    else:
        areas = areas.sort_values([column, "code"], ascending=[order == "asc", True])
    rows = [
        {
            "code": r.code,
            "name": r.name,
            "group": r.group,
            "population": int(r.population),
            "need_weight": float(r.need_weight),
            "total": int(r.total_pence),
            "capital": int(r.capital_pence),
            "revenue": int(r.revenue_pence),
            "capacity": int(r.capacity_building_pence),
            "explanation": r.explanation,
        }
        for r in areas.itertuples(index=False)
    ]
    yearly = alloc.yearly.groupby("year")[["capital", "revenue", "capacity_building", "total"]]
    years = [
        {"year": int(y), **{k: int(v) for k, v in row.items()}}
        for y, row in yearly.sum().iterrows()
    ]
    totals = {
        "total": int(areas["total_pence"].sum()),
        "capital": int(areas["capital_pence"].sum()),
        "revenue": int(areas["revenue_pence"].sum()),
        "capacity": int(areas["capacity_building_pence"].sum()),
        "areas": len(rows),
        "left_behind": int((areas["group"] == "left_behind").sum()),
        "population": int(areas["population"].sum()),
        "budget": round(result.query.budget * 100),
    }
    return {"rows": rows, "years": years, "totals": totals}


def _compute_page(svc: FundingService, query: AllocationQuery):
    try:
        return svc.allocate(query), None
    except ParameterError as exc:
        return None, exc


@page_router.get("/allocate", response_class=HTMLResponse)
async def allocate_page(request: Request) -> Response:
    obs = observatory(request)
    svc = service(request)
    raw = {k: v for k, v in request.query_params.items() if k in AllocationQuery.model_fields}
    sort = request.query_params.get("sort", "total")
    sort = sort if sort in SORT_COLUMNS else "total"
    order = request.query_params.get("order", "desc" if sort != "name" else "asc")
    order = order if order in ("asc", "desc") else "desc"
    errors: dict[str, str] = {}
    result: AllocationResult | None = None
    query: AllocationQuery | None = None
    if "budget" in raw:
        try:
            query = AllocationQuery.model_validate(raw)
        except ValidationError as exc:
            errors = _form_errors(exc)
        if query is not None:
            result, problem = await run_in_threadpool(_compute_page, svc, query)
            if problem is not None:
                name = problem.parameter if problem.parameter in FIELD_TEXT else "budget"
                detail = problem.detail
                if detail.startswith("infeasible: "):
                    detail = "this cannot work: " + detail.removeprefix("infeasible: ")
                errors[name] = detail[:1].upper() + detail[1:]
    edition_arg = raw.get("edition") or None
    try:
        data = await run_in_threadpool(obs.edition, edition_arg)
    except InvalidInput:
        errors.setdefault("edition", FIELD_TEXT["edition"]["error"])
        data = await run_in_threadpool(obs.edition, None)
    ctx = base_context(request, data)
    values = _form_values(raw)
    values["edition"] = data.id
    view = _allocation_view(result, sort, order) if result is not None else None
    qs = result.query.query(result.edition.id) if result is not None else ""

    def sort_url(key: str) -> str:
        active = key == sort
        nxt = ("desc" if order == "asc" else "asc") if active else (
            "asc" if key == "name" else "desc"
        )  # fmt: skip
        return "/allocate?" + (result.query.query(result.edition.id, sort=key, order=nxt))

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


def _pivot(rows: list[dict[str, Any]], key: str, nation: str) -> list[dict[str, Any]]:
    """Rows of (key, group) -> one row per key with the three groups side by side."""
    out: dict[Any, dict[str, Any]] = {}
    for row in rows:
        entry = out.setdefault(row[key], {key: row[key]})
        name = "nation" if row["group"] == nation else row["group"]
        entry[name] = row
    return list(out.values())


@page_router.get("/funding", response_class=HTMLResponse)
async def funding_page(
    request: Request,
    edition: EditionParam = None,
    year_from: Annotated[int | None, Query(alias="from", ge=1900, le=2100)] = None,
    year_to: Annotated[int | None, Query(alias="to", ge=1900, le=2100)] = None,
) -> Response:
    obs = observatory(request)
    svc = service(request)
    data = await run_in_threadpool(obs.edition, edition)
    result, _ = await run_in_threadpool(svc.grants_summary, data.id, year_from, year_to)
    nation = EDITIONS[data.id].nation if data.id in EDITIONS else "nation"
    figures: dict[str, Any] = {}
    if result["imported"]:
        funders = _pivot(result["by_funder"], "funder", nation)
        funders.sort(key=lambda r: -(r.get("nation") or {}).get("amount_gbp", 0))
        span = {"from": year_from, "to": year_to}
        figures = {
            "groups": {
                ("nation" if g["group"] == nation else g["group"]): g for g in result["groups"]
            },
            "funders": funders,
            "years": _pivot(result["by_year"], "year", nation),
            "coverage": result["coverage"],
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
