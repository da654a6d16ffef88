"""Server-rendered HTML pages. Every page is complete without JavaScript."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from leftbehind.errors import LeftBehindError
from leftbehind.settings import Settings
from leftbehind.sources.registry import load_registry
from leftbehind.web.common import EditionParam, observatory, payload_response
from leftbehind.web.data import EditionData, Observatory, Payload, describe_status

router = APIRouter(include_in_schema=False)

GROUP_TEXT = {
    "left_behind": "'Left behind'",
    "other_deprived": "Deprived, but not 'left behind'",
    "rest": "Not in the most deprived 10%",
}


def fmt_number(value: Any, digits: int = 0) -> str:
    if value is None or value == "":
        return "no data"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int) or (isinstance(value, float) and digits == 0 and value.is_integer()):
        return f"{int(value):,}"
    if isinstance(value, float):
        return f"{value:,.{digits or 1}f}"
    return str(value)


def fmt_value(value: Any, unit: str | None = None) -> str:
    if value is None:
        return "no data"
    if not isinstance(value, int | float) or isinstance(value, bool):
        return str(value)
    unit = (unit or "").strip()
    if unit == "gbp_per_head":
        return f"£{value:,.2f} per person"
    if unit in ("%", "percent", "percentage"):
        return f"{value:,.1f}%"
    if unit in ("share", "proportion", "rate") and abs(value) <= 1:
        return f"{100 * value:,.1f}%"
    text = f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}".rstrip("0").rstrip(".")
    if unit and unit not in ("score", "count", "number", "ratio", "index"):
        return f"{text} {unit}"
    return text


def ordinal(n: Any) -> str:
    if n is None:
        return "no data"
    n = round(float(n))
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def fmt_money(value: Any, digits: int = 2) -> str:
    """'£1,234.56' from pounds (None -> 'no data')."""
    if value is None or value == "":
        return "no data"
    return f"£{float(value):,.{digits}f}"


def fmt_pence(value: Any) -> str:
    """'£1,234.56' from an exact number of pence."""
    pence = int(value)
    sign = "-" if pence < 0 else ""
    pence = abs(pence)
    return f"{sign}£{pence // 100:,}.{pence % 100:02d}"


def fmt_percent(value: Any, digits: int = 1) -> str:
    """'12.3%' from a share between 0 and 1."""
    if value is None:
        return "no data"
    return f"{100 * float(value):.{digits}f}%"


def setup_templates(templates: Jinja2Templates, settings: Settings) -> None:
    env = templates.env
    env.filters["num"] = fmt_number
    env.filters["value"] = fmt_value
    env.filters["ordinal"] = ordinal
    env.filters["money"] = fmt_money
    env.filters["pence"] = fmt_pence
    env.filters["percent"] = fmt_percent
    env.globals["GROUP_TEXT"] = GROUP_TEXT
    env.globals["basemap_url"] = settings.basemap_url or ""


def edition_url(path: str, edition_id: str | None, default_id: str | None, **params: Any) -> str:
    query = {k: v for k, v in params.items() if v not in (None, "")}
    if edition_id and edition_id != default_id:
        query = {"edition": edition_id, **query}
    return path + ("?" + urlencode(query) if query else "")


def base_context(request: Request, data: EditionData | None) -> dict[str, Any]:
    obs = observatory(request)
    try:
        editions = obs.editions_meta() if obs.available else []
    except LeftBehindError:
        editions = []
    default_id = obs.resolve_edition(None) if editions else None
    edition_id = data.id if data else default_id

    def url(path: str, **params: Any) -> str:
        return edition_url(path, edition_id, default_id, **params)

    return {
        "request": request,
        "edition": data,
        "edition_id": edition_id,
        "editions": editions,
        "default_edition": default_id,
        "url": url,
        "current_path": request.url.path,
    }


def render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> str:
    templates: Jinja2Templates = request.app.state.templates
    return templates.get_template(template).render({**context, "status": status})


def html_payload(html: str) -> Payload:
    return Payload.make(html, "text/html; charset=utf-8")


def html_payload_response(request: Request, html: str, max_age: int = 60) -> Response:
    return payload_response(request, html_payload(html), max_age=max_age)


def page(
    request: Request,
    data: EditionData | None,
    template: str,
    max_age: int = 60,
    **context: Any,
) -> Response:
    """Render ``template`` with the common context plus ``context`` (cached by ETag)."""
    ctx = base_context(request, data)
    ctx.update(context)
    return html_payload_response(request, render(request, template, ctx), max_age=max_age)


# -- home ------------------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
async def home(request: Request, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    data = await run_in_threadpool(obs.edition, edition)
    lb = [r for r in data.records.values() if r["group"] == "left_behind"]
    by_region: dict[str, list[dict[str, Any]]] = {}
    for rec in sorted(lb, key=lambda r: (r["region"] or "", r["local_authority"] or "", r["name"])):
        by_region.setdefault(rec["region"] or "Other", []).append(rec)
    bounds = await run_in_threadpool(obs.map_bounds, data.id)
    return page(
        request,
        data,
        "home.html",
        map_bounds=json.dumps(bounds) if bounds else "",
        title="Find your neighbourhood",
        headline=data.headline,
        left_behind_by_region=by_region,
    )


# -- area ------------------------------------------------------------------------------------
def _area_page(obs: Observatory, request: Request, edition: str | None, code: str) -> Response:
    data, rec = obs.area(edition, code)
    key = f"page:area:{rec['code']}"
    cached = data.payloads.get(key)
    if cached is None:
        prof, _ = obs.profile(data.id, rec["code"])
        chart = obs.chart(prof)
        la = data.local_authorities.get(rec["local_authority_code"] or "")
        ctx = base_context(request, data)
        # Library profiles carry sentences with their sources; the facts-only profile of an
        # area without a nine-dimension profile has one summary sentence.
        summary = prof.get("summary_sentences") or [{"text": prof["summary"], "source": None}]
        ctx.update(
            {
                "title": f"{rec['name']} ({rec['code']})",
                "area": rec,
                "profile": prof,
                "summary_sentences": [s for s in summary if s["text"]],
                "status_sentence": describe_status(data, rec),
                "chart_svg": chart,
                "robustness": obs.robustness(data, rec["code"]),
                "la": la,
            }
        )
        cached = html_payload(render(request, "area.html", ctx))
        if len(data.payloads) < 50000:
            data.payloads[key] = cached
    return payload_response(request, cached, max_age=60)


@router.get("/areas/{code}", response_class=HTMLResponse)
async def area_page(
    request: Request,
    code: Annotated[str, Path(min_length=1, max_length=64)],
    edition: EditionParam = None,
) -> Response:
    obs = observatory(request)
    if edition:
        # Switching edition on an area page: go to the same area if the edition has it,
        # otherwise to its local authority in that edition, otherwise that edition's home.
        target = await run_in_threadpool(obs.edition, edition)
        if code not in target.records:
            located = await run_in_threadpool(obs.locate, code)
            if located is not None:
                _, rec = located
                la_code = rec["local_authority_code"]
                if la_code in target.local_authorities:
                    url = f"/local-authorities/{la_code}?" + urlencode(
                        {"edition": target.id, "from": rec["name"]}
                    )
                    return RedirectResponse(url, status_code=303)
                return RedirectResponse("/?" + urlencode({"edition": target.id}), status_code=303)
    return await run_in_threadpool(_area_page, obs, request, edition, code)


# -- local authority ---------------------------------------------------------------------
GROUP_ORDER = {"left_behind": 0, "other_deprived": 1, "rest": 2}


@router.get("/local-authorities/{code}", response_class=HTMLResponse)
async def local_authority_page(
    request: Request,
    code: Annotated[str, Path(min_length=1, max_length=64)],
    edition: EditionParam = None,
    sort: Annotated[Literal["name", "group", "imd_rank", "cni_rank", "population"], Query()] = (
        "imd_rank"
    ),
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
    from_: Annotated[str | None, Query(alias="from", max_length=120)] = None,
) -> Response:
    obs = observatory(request)
    data, la = await run_in_threadpool(obs.local_authority, edition, code)
    rows = obs.areas_in(data, la["code"])

    def key(r: dict[str, Any]) -> Any:
        if sort == "group":
            return (GROUP_ORDER.get(r["group"], 9), r["imd_rank"] or 0)
        value = r.get(sort)
        if sort == "name":
            return (value or "").lower()
        return (value is None, value or 0)

    rows = sorted(rows, key=key, reverse=(order == "desc"))
    return page(
        request,
        data,
        "local_authority.html",
        title=f"{la['name']}: neighbourhoods",
        la=la,
        rows=rows,
        sort=sort,
        order=order,
        came_from=from_,
    )


# -- summary, methods, docs ------------------------------------------------------------------
@router.get("/summary", response_class=HTMLResponse)
async def summary_page(request: Request, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    data = await run_in_threadpool(obs.edition, edition)
    summary, _ = await run_in_threadpool(obs.summary, data.id)
    comparison, _ = await run_in_threadpool(obs.compare, data.id)
    return page(
        request,
        data,
        "summary.html",
        title="Summary by region, local authority and rural-urban class",
        summary=summary,
        comparison=comparison,
    )


@router.get("/methods", response_class=HTMLResponse)
async def methods_page(request: Request, edition: EditionParam = None) -> Response:
    obs = observatory(request)
    data = await run_in_threadpool(obs.edition, edition)
    validation = await run_in_threadpool(obs.validation, data.id)
    robustness = await run_in_threadpool(obs.robustness_overview, data.id)
    return page(
        request,
        data,
        "methods.html",
        max_age=300,
        title="Methods, sources and licences",
        sources=load_registry(),
        validation=validation,
        robustness=robustness,
    )


@router.get("/docs", response_class=HTMLResponse)
async def api_docs(request: Request) -> Response:
    """API documentation rendered from the OpenAPI schema (no external scripts)."""
    schema = request.app.openapi()
    endpoints = []
    for path, methods in schema.get("paths", {}).items():
        for method, op in methods.items():
            endpoints.append(
                {
                    "path": path,
                    "method": method.upper(),
                    "summary": op.get("summary", ""),
                    "parameters": op.get("parameters", []),
                }
            )
    obs = observatory(request)
    try:
        data = await run_in_threadpool(obs.edition, None)
    except LeftBehindError:
        data = None
    return page(
        request,
        data,
        "docs.html",
        max_age=300,
        title="Open API",
        schema_info=schema.get("info", {}),
        endpoints=endpoints,
    )
