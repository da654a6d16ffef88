"""The community asset map over HTTP: the open API (official assets from the evidence store,
community additions from the community database), the area page's asset section and the forms
to add, edit, close and remove an asset (CSRF-protected, no JavaScript needed).

Reads are open (published community assets only; a token or session of the area's editor also
shows drafts with ``?drafts=true``); writes take ``Authorization: Bearer TOKEN`` (API) or a
signed-in session (forms): 401 without, 403 for another area's editor, 409 on a stale version.
"""

from __future__ import annotations

import json
import logging
import threading
from collections import OrderedDict
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from leftbehind.assets.stage import ASSET_STATUSES, CATEGORIES, OWNERSHIP
from leftbehind.community import assets as repo
from leftbehind.community.inputs import ASSET_FIELDS, AssetCategory, AssetIn, AssetPatch
from leftbehind.editions import get_edition
from leftbehind.errors import AreaNotFound, Conflict, InvalidInput, LeftBehindError
from leftbehind.groups import GROUP_LABELS
from leftbehind.i18n import gettext as _
from leftbehind.observatory import Payload
from leftbehind.observatory.assets import (
    CSV_COLUMNS,
    MAX_FEATURES,
    AssetMap,
    check_category,
    feature_collection,
    merge,
)
from leftbehind.observatory.payload import json_text
from leftbehind.web.account_pages import private_page
from leftbehind.web.auth import (
    api_principal,
    check_csrf,
    community,
    login_redirect,
    page_principal,
)
from leftbehind.web.common import (
    ERROR_RESPONSES,
    NOT_FOUND,
    EditionParam,
    csv_download,
    csv_responses,
    observatory,
    payload_response,
)
from leftbehind.web.measures_api import _AUTH_ERRORS, IfMatch, _version, fresh
from leftbehind.web.rendering import render

log = logging.getLogger("leftbehind.web")
api_router = APIRouter(
    prefix="/api", tags=["assets"], responses={**ERROR_RESPONSES, **NOT_FOUND, **_AUTH_ERRORS}
)
page_router = APIRouter(include_in_schema=False)

AreaCode = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$")]
AssetId = Annotated[int, Path(ge=1, le=2**31 - 1)]
LaCode = Annotated[
    str | None,
    Query(max_length=12, pattern=r"^[A-Za-z0-9]*$", description="Local authority code (GSS)."),
]
CategoryQ = Annotated[AssetCategory | None, Query(description="Asset category.")]
StatusQ = Annotated[
    Literal["current", "open", "closed", "threatened", "all"] | None,
    Query(description="current (open or threatened), open, closed, threatened or all."),
]
ASSETS_MARK = "<!--assets-->"


def asset_map(request: Request) -> AssetMap:
    return request.app.state.assets


def _placer(request: Request) -> repo.Placer:
    return asset_map(request).place


def _area(request: Request, code: str) -> tuple[str, dict[str, Any]]:
    located = observatory(request).locate(code)
    if located is None:
        raise AreaNotFound(f"there is no area {code!r} in any edition; search with /api/search")
    return located[0].id, located[1]


def _status(value: str | None) -> str | None:
    """None (every status), 'current' (open or threatened) or one status."""
    if value in (None, "", "all"):
        return None
    if value != "current" and value not in ASSET_STATUSES:
        raise InvalidInput(
            f"'{value}' is not an asset status; use current (open or threatened), open, closed, "
            "threatened or all",
            parameter="status",
        )
    return value


class _Kept:
    """Answers kept per app (the store is read-only while serving), bounded, least recent out:
    official selections, and map payloads keyed also by the community assets they hold."""

    def __init__(self, keep: int = 64) -> None:
        self.keep = keep
        self.items: OrderedDict[tuple, Any] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: tuple) -> Any:
        with self.lock:
            if key in self.items:
                self.items.move_to_end(key)
                return self.items[key]
        return None

    def put(self, key: tuple, value: Any) -> Any:
        with self.lock:
            self.items[key] = value
            while len(self.items) > self.keep:
                self.items.popitem(last=False)
        return value


def _kept(request: Request) -> _Kept:
    state = request.app.state
    kept = getattr(state, "asset_answers", None)
    if kept is None:
        kept = state.asset_answers = _Kept()
    return kept


def _official(
    request: Request, la: str | None, category: str | None, status: str | None
) -> list[dict[str, Any]]:
    """Official assets of a filter (a national layer is about 4,000), kept per app."""
    key = ("official", la, category, status)
    rows = _kept(request).get(key)
    if rows is None:
        rows = _kept(request).put(key, asset_map(request).select(la, category, status))
    return rows


def _community_or_nothing(fn: Any, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """Community additions, or none (logged) while the community database is unavailable: the
    official assets are still served."""
    try:
        return fn(*args, **kwargs)
    except (SQLAlchemyError, LeftBehindError) as exc:
        log.warning("community assets unavailable: %s", exc)
        return []


def _selected(
    request: Request, local_authority: str | None, category: str | None, status: str | None
) -> list[dict[str, Any]]:
    category = check_category(category)
    status = _status(status)
    # Official assets are open or closed (never 'threatened').
    official_status = "open" if status == "current" else status
    official = (
        []
        if official_status == "threatened"
        else _official(request, local_authority or None, category, official_status)
    )
    added = [
        a
        for a in _community_or_nothing(
            repo.published_assets,
            community(request),
            ltla_code=local_authority or None,
            category=category,
        )
        if status is None
        or a["status"] == status
        or (status == "current" and a["status"] != "closed")
    ]
    rows = merge(official, added)
    if len(rows) > MAX_FEATURES:
        raise InvalidInput(
            f"more than {MAX_FEATURES:,} assets match; filter by local_authority or category",
            parameter="local_authority",
        )
    return rows


def _geojson_payload(
    request: Request, local_authority: str | None, category: str | None, status: str | None
) -> Payload:
    """The map data of a filter; kept while the community's published assets in it are the same
    (their ids and versions are part of the key), so a repeated request costs one query."""
    rows = _selected(request, local_authority, category, status)
    community_key = tuple((r["id"], r["version"]) for r in rows if r.get("source") == "community")
    key = ("geojson", local_authority, category, status, community_key)
    payload = _kept(request).get(key)
    if payload is None:
        payload = Payload.make(json_text(feature_collection(rows)), "application/geo+json")
        _kept(request).put(key, payload)
    return payload


# -- API -------------------------------------------------------------------------------------
@api_router.get("/areas/{code}/assets", summary="Assets of an area (official and community)")
def area_assets(
    request: Request,
    code: AreaCode,
    drafts: Annotated[bool, Query(description="Also drafts (editors of the area).")] = False,
) -> Response:
    who = api_principal(request)
    edition, rec = _area(request, code)
    amap = asset_map(request)
    official = amap.in_area(edition, code)
    added = repo.list_assets(community(request), who, code, drafts=drafts)
    published = [a for a in added if a["publication"] == "published"]
    body = {
        "area_code": code,
        "edition": edition,
        "assets": merge(official, added),
        "libraries": amap.area_libraries(edition, code),
        "counts": amap.area_counts(edition, code, rec.get("population"), published),
    }
    return fresh(request, body, private=who is not None)


@api_router.get(
    "/assets.geojson",
    summary="Assets as GeoJSON points (filter by local authority and category)",
    responses={200: {"content": {"application/geo+json": {}}}},
)
async def assets_geojson(
    request: Request,
    local_authority: LaCode = None,
    category: CategoryQ = None,
    status: StatusQ = "current",
) -> Response:
    payload = await run_in_threadpool(_geojson_payload, request, local_authority, category, status)
    return payload_response(
        request, payload, max_age=0, headers={"Cache-Control": "public, no-cache"}
    )


@api_router.get(
    "/assets.csv",
    summary="Assets as CSV with GSS codes",
    response_class=Response,
    responses=csv_responses("Official and published community assets, one row each."),
)
async def assets_csv(
    request: Request,
    local_authority: LaCode = None,
    category: CategoryQ = None,
    status: StatusQ = "all",
) -> Response:
    rows = await run_in_threadpool(_selected, request, local_authority, category, status)
    response = csv_download(request, Payload.csv(rows, CSV_COLUMNS), "assets.csv")
    response.headers["Cache-Control"] = "public, no-cache"
    return response


@api_router.get("/assets/unplaced", summary="Official assets that could not be placed, and why")
def unplaced(request: Request) -> Response:
    return fresh(request, asset_map(request).unplaced())


@api_router.get("/library-changes", summary="Library openings and closures 2010-2023 by group")
def library_changes(request: Request, edition: EditionParam = None) -> Response:
    eid = observatory(request).resolve_edition(edition)
    rows = asset_map(request).library_changes(eid)
    return fresh(request, {"edition": eid, "groups": rows})


@api_router.post("/areas/{code}/assets", status_code=201, summary="Add a community asset")
def create_asset(request: Request, code: AreaCode, asset: AssetIn) -> Response:
    who = api_principal(request)
    if who is not None:
        _area(request, code)
    created = repo.create_asset(community(request), who, code, asset, _placer(request))
    response = fresh(request, created, private=True, status=201)
    response.headers["Location"] = f"/api/assets/{created['id']}"
    return response


@api_router.get("/assets/{asset_id}", summary="A community asset")
def get_asset(request: Request, asset_id: AssetId) -> Response:
    who = api_principal(request)
    item = repo.get_asset(community(request), who, asset_id)
    return fresh(request, item, private=who is not None)


@api_router.patch("/assets/{asset_id}", summary="Change, close or publish a community asset")
def patch_asset(
    request: Request,
    asset_id: AssetId,
    patch: Annotated[AssetPatch, Body()],
    if_match: IfMatch = None,
) -> Response:
    updated = repo.update_asset(
        community(request), api_principal(request), asset_id, patch, _placer(request),
        _version(if_match),
    )  # fmt: skip
    return fresh(request, updated, private=True)


@api_router.delete("/assets/{asset_id}", status_code=204, summary="Remove a community asset")
def delete_asset(request: Request, asset_id: AssetId, if_match: IfMatch = None) -> Response:
    repo.delete_asset(community(request), api_principal(request), asset_id, _version(if_match))
    return Response(status_code=204)


@api_router.get("/assets/{asset_id}/history", summary="Who changed a community asset, when")
def asset_history(request: Request, asset_id: AssetId) -> Response:
    who = api_principal(request)
    items = repo.asset_history(community(request), who, asset_id)
    return fresh(request, {"asset_id": asset_id, "history": items}, private=who is not None)


# -- the area page's section -----------------------------------------------------------------
CIVIC_MARK = "<!--civic-assets-->"


def area_assets_html(request: Request, edition: str, rec: dict[str, Any], html: str) -> str:
    """``html`` (an area page) with its assets section (official, and published community
    ones) and the counts and rates per 10,000 in the Civic Assets dimension (in the assets
    section when the page has no such dimension)."""
    if ASSETS_MARK not in html:
        return html
    civic = CIVIC_MARK in html
    section, counts = _area_sections(request, edition, rec, counts_in_section=not civic)
    html = html.replace(ASSETS_MARK, section, 1)
    return html.replace(CIVIC_MARK, counts, 1) if civic else html


def _area_sections(
    request: Request, edition: str, rec: dict[str, Any], counts_in_section: bool
) -> tuple[str, str]:
    amap = asset_map(request)
    added = _community_or_nothing(
        repo.published_assets, community(request), area_codes=[rec["code"]]
    )
    try:
        official = amap.in_area(edition, rec["code"])
        counts = amap.area_counts(edition, rec["code"], rec.get("population"), added)
        libraries = amap.area_libraries(edition, rec["code"])
    except LeftBehindError as exc:
        log.warning("assets unavailable for %s: %s", rec["code"], exc)
        return '<p class="no-data">The asset map is not available just now.</p>', ""
    counts_html = render(
        request,
        "asset_counts.html",
        {"counts": counts, "group_labels": GROUP_LABELS, "nation": get_edition(edition).nation},
    )
    section = render(
        request,
        "area_assets.html",
        {
            "area": rec,
            "assets": merge(official, added),
            "counts": counts if counts_in_section else [],
            "libraries": libraries,
            "group_labels": GROUP_LABELS,
            "bounds": json.dumps(amap.bounds(rec["code"])),
            "layer_categories": _layer_categories(),
        },
    )
    return section, counts_html


def _layer_categories() -> list[tuple[str, str]]:
    """The map's checkboxes: the official categories, then 'added by the community'."""
    out = [(c, _(CATEGORIES[c])) for c in ("library", "gp_practice", "hospital")]
    return [*out, ("community", _("Added by the community"))]


# -- forms -----------------------------------------------------------------------------------
def _problems(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else "form"
        out.setdefault(field, str(err.get("msg", "is not valid")).removeprefix("Value error, "))
    return out


def _fields(form: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {}
    for f in ASSET_FIELDS:
        text = str(form.get(f, "")).strip()
        if f in ("opened", "closed") or f.endswith("_date"):
            data[f] = text or None
        else:
            data[f] = text
    data["publication"] = data["publication"] or "draft"
    data["status"] = data["status"] or "open"
    data["ownership"] = data["ownership"] or "unknown"
    return data


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, data.get("csrf"))
    return data


def _form_context(**extra: Any) -> dict[str, Any]:
    return {
        "categories": CATEGORIES,
        "statuses": ASSET_STATUSES,
        "ownership": OWNERSHIP,
        "decisions": ("", "pending", "listed", "not-listed", "removed"),
        **extra,
    }


@page_router.get("/areas/{code}/assets/new", response_class=HTMLResponse)
def new_asset_form(request: Request, code: AreaCode) -> Response:
    who = page_principal(request)
    if who is None:
        return login_redirect(request)
    _view, area = _area(request, code)
    who.require_area(code)
    return private_page(
        request,
        "asset_form.html",
        **_form_context(
            title=f"Add an asset in {area['name']}",
            area=area,
            values={"status": "open", "ownership": "unknown", "publication": "draft"},
            errors={},
        ),
    )


@page_router.post("/areas/{code}/assets", response_class=HTMLResponse)
async def create_asset_form(request: Request, code: AreaCode) -> Response:
    form = await _form(request)
    who = page_principal(request)
    if who is None:
        return login_redirect(request)
    _view, area = _area(request, code)
    values = _fields(form)
    try:
        created = repo.create_asset(
            community(request), who, code, AssetIn(**values), _placer(request)
        )
    except (ValidationError, InvalidInput) as exc:
        problems = (
            _problems(exc) if isinstance(exc, ValidationError)
            else {exc.parameter or "form": str(exc)}
        )  # fmt: skip
        return private_page(
            request,
            "asset_form.html",
            status=422,
            **_form_context(
                title=f"Add an asset in {area['name']}", area=area, values=values, errors=problems
            ),
        )
    return RedirectResponse(f"/assets/{created['id']}", status_code=303)


def _asset_page(request: Request, asset_id: int, status: int = 200, **extra: Any) -> Response:
    who = page_principal(request)
    asset = repo.get_asset(community(request), who, asset_id)
    located = observatory(request).locate(asset["area_code"])
    area = located[1] if located else {"code": asset["area_code"], "name": asset["area_code"]}
    editable = who is not None and who.may_edit(asset["area_code"])
    context = _form_context(
        title=asset["name"],
        asset=asset,
        area=area,
        editable=editable,
        history=repo.asset_history(community(request), who, asset_id),
        values=asset,
        errors={},
        conflict=None,
    )
    context.update(extra)
    return private_page(request, "asset.html", status=status, **context)


@page_router.get("/assets/{asset_id}", response_class=HTMLResponse)
def asset_page(request: Request, asset_id: AssetId) -> Response:
    return _asset_page(request, asset_id)


@page_router.post("/assets/{asset_id}/edit", response_class=HTMLResponse)
async def edit_asset(request: Request, asset_id: AssetId) -> Response:
    form = await _form(request)
    who = page_principal(request)
    if who is None:
        return login_redirect(request)
    values = _fields(form)
    version = str(form.get("version", ""))
    try:
        patch = AssetPatch(**values, version=int(version) if version.isdigit() else None)
        repo.update_asset(community(request), who, asset_id, patch, _placer(request))
    except ValidationError as exc:
        return _asset_page(request, asset_id, 422, values=values, errors=_problems(exc))
    except Conflict as exc:
        return _asset_page(request, asset_id, 409, values=values, conflict=str(exc))
    except InvalidInput as exc:
        problems = {exc.parameter or "form": str(exc)}
        return _asset_page(request, asset_id, 422, values=values, errors=problems)
    return RedirectResponse(f"/assets/{asset_id}", status_code=303)


@page_router.post("/assets/{asset_id}/delete", response_class=HTMLResponse)
async def delete_asset_form(request: Request, asset_id: AssetId) -> Response:
    await _form(request)
    who = page_principal(request)
    if who is None:
        return login_redirect(request)
    area = repo.delete_asset(community(request), who, asset_id)
    return RedirectResponse(f"/areas/{area}", status_code=303)
