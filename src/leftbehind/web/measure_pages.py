"""Pages and forms for local measures: define a measure, record observations, edit, delete.

Every form carries the session's CSRF token and works without JavaScript; what each account
may do is checked by ``leftbehind.community.measures``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from leftbehind.community import measures as repo
from leftbehind.community.charts import trend_svg
from leftbehind.community.inputs import MeasureIn, MeasurePatch, ObservationIn
from leftbehind.errors import AreaNotFound, Conflict, InvalidInput
from leftbehind.web.account_pages import private_page
from leftbehind.web.auth import check_csrf, community, login_redirect, page_principal
from leftbehind.web.common import observatory

router = APIRouter(include_in_schema=False)

AreaCode = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9]+$")]
MeasureId = Annotated[int, Path(ge=1, le=2**31 - 1)]
TEXT_FIELDS = ("name", "description", "unit", "method", "source")


def _problems(exc: ValidationError) -> dict[str, str]:
    out: dict[str, str] = {}
    for err in exc.errors():
        field = str(err["loc"][0]) if err.get("loc") else "form"
        out.setdefault(field, str(err.get("msg", "is not valid")).removeprefix("Value error, "))
    return out


def _measure_fields(form: dict[str, Any]) -> dict[str, Any]:
    data: dict[str, Any] = {f: str(form.get(f, "")) for f in TEXT_FIELDS}
    data["higher_is_better"] = form.get("higher_is_better", "yes") != "no"
    for f in ("baseline", "target"):
        text = str(form.get(f, "")).strip().replace(",", "")
        data[f] = text or None
    data["status"] = str(form.get("status", "draft"))
    return data


def _observation_fields(form: dict[str, Any]) -> dict[str, Any]:
    return {
        "value": str(form.get("value", "")).strip().replace(",", "") or None,
        "date": str(form.get("date", "")).strip() or None,
        "note": str(form.get("note", "")),
        "evidence_url": str(form.get("evidence_url", "")),
    }


async def _form(request: Request) -> dict[str, Any]:
    form = await request.form()
    data = {k: v for k, v in form.items() if isinstance(v, str)}
    check_csrf(request, data.get("csrf"))
    return data


def _area_record(request: Request, code: str) -> dict[str, Any]:
    located = observatory(request).locate(code)
    if located is None:
        raise AreaNotFound(f"there is no area {code!r} in any edition")
    return located[1]


# -- new measure -----------------------------------------------------------------------------
@router.get("/areas/{code}/measures/new", response_class=HTMLResponse)
def new_measure_form(request: Request, code: AreaCode) -> Response:
    who = page_principal(request)
    if who is None:
        return login_redirect(request)
    area = _area_record(request, code)
    who.require_area(code)
    return private_page(
        request,
        "measure_form.html",
        title=f"New local measure for {area['name']}",
        area=area,
        values={"higher_is_better": True, "status": "draft"},
        errors={},
    )


@router.post("/areas/{code}/measures", response_class=HTMLResponse)
async def create_measure(request: Request, code: AreaCode) -> Response:
    form = await _form(request)
    who = page_principal(request)
    if who is None:
        return login_redirect(request)
    area = _area_record(request, code)
    values = _measure_fields(form)
    try:
        created = repo.create_measure(community(request), who, code, MeasureIn(**values))
    except ValidationError as exc:
        return private_page(
            request,
            "measure_form.html",
            status=422,
            title=f"New local measure for {area['name']}",
            area=area,
            values=values,
            errors=_problems(exc),
        )
    return RedirectResponse(f"/measures/{created['id']}", status_code=303)


# -- one measure -----------------------------------------------------------------------------
def _measure_page(request: Request, measure_id: int, status: int = 200, **extra: Any) -> Response:
    who = page_principal(request)
    measure = repo.get_measure(community(request), who, measure_id)
    located = observatory(request).locate(measure["area_code"])
    area = located[1] if located else {"code": measure["area_code"], "name": measure["area_code"]}
    editable = who is not None and who.may_edit(measure["area_code"])
    context: dict[str, Any] = {
        "title": measure["name"],
        "measure": measure,
        "area": area,
        "editable": editable,
        "trend": trend_svg(measure["observations"], measure["name"], measure["unit"]),
        "history": repo.history(community(request), who, measure_id) if editable else [],
        "values": measure,
        "obs_values": {},
        "errors": {},
        "obs_errors": {},
        "conflict": None,
    }
    context.update(extra)
    return private_page(request, "measure.html", status=status, **context)


@router.get("/measures/{measure_id}", response_class=HTMLResponse)
def measure_page(request: Request, measure_id: MeasureId) -> Response:
    return _measure_page(request, measure_id)


@router.post("/measures/{measure_id}/edit", response_class=HTMLResponse)
async def edit_measure(request: Request, measure_id: MeasureId) -> Response:
    form = await _form(request)
    who = page_principal(request)
    if who is None:
        return login_redirect(request)
    values = _measure_fields(form)
    version = str(form.get("version", ""))
    try:
        patch = MeasurePatch(**values, version=int(version) if version.isdigit() else None)
        repo.update_measure(community(request), who, measure_id, patch)
    except ValidationError as exc:
        return _measure_page(request, measure_id, 422, values=values, errors=_problems(exc))
    except Conflict as exc:
        return _measure_page(request, measure_id, 409, values=values, conflict=str(exc))
    except InvalidInput as exc:
        problems = {exc.parameter or "form": str(exc)}
        return _measure_page(request, measure_id, 422, values=values, errors=problems)
    return RedirectResponse(f"/measures/{measure_id}", status_code=303)


@router.post("/measures/{measure_id}/delete", response_class=HTMLResponse)
async def delete_measure(request: Request, measure_id: MeasureId) -> Response:
    await _form(request)
    who = page_principal(request)
    if who is None:
        return login_redirect(request)
    area = repo.get_measure(community(request), who, measure_id)["area_code"]
    repo.delete_measure(community(request), who, measure_id)
    return RedirectResponse(f"/areas/{area}", status_code=303)


@router.post("/measures/{measure_id}/observations", response_class=HTMLResponse)
async def add_observation(request: Request, measure_id: MeasureId) -> Response:
    form = await _form(request)
    who = page_principal(request)
    if who is None:
        return login_redirect(request)
    values = _observation_fields(form)
    try:
        repo.add_observation(community(request), who, measure_id, ObservationIn(**values))
    except ValidationError as exc:
        return _measure_page(request, measure_id, 422, obs_values=values, obs_errors=_problems(exc))
    return RedirectResponse(f"/measures/{measure_id}#observations", status_code=303)


@router.post("/measures/{measure_id}/observations/{obs_id}/delete", response_class=HTMLResponse)
async def delete_observation(request: Request, measure_id: MeasureId, obs_id: MeasureId):
    await _form(request)
    who = page_principal(request)
    if who is None:
        return login_redirect(request)
    repo.delete_observation(community(request), who, measure_id, obs_id)
    return RedirectResponse(f"/measures/{measure_id}#observations", status_code=303)
