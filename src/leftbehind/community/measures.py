"""Local measures of success and their observations: the repository functions.

Every function takes the :class:`Principal` making the request (``None`` for the public) and
checks what that role may see or change: the public reads published measures only; an editor
writes for their own areas; an admin for every area. Every write is one transaction and records
who changed what in ``changes``; deletes are soft (``deleted_at``) and recorded. Edits name the
version they are based on: a stale version is a :class:`Conflict` (HTTP 409), never a silent
overwrite.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from leftbehind.community.accounts import AREA_CODE, Principal
from leftbehind.community.db import Community
from leftbehind.community.inputs import (
    NULLABLE,
    MeasureIn,
    MeasurePatch,
    ObservationIn,
    ObservationPatch,
)
from leftbehind.community.models import AssetChange, Change, Measure, Observation, User, utcnow
from leftbehind.errors import Conflict, InvalidInput, NotAuthenticated, UnknownName

MEASURE_FIELDS = (
    "name",
    "description",
    "unit",
    "higher_is_better",
    "method",
    "source",
    "baseline",
    "target",
    "status",
)
OBSERVATION_FIELDS = ("value", "date", "note", "evidence_url")


class MeasureNotFound(UnknownName):
    """No such measure, or one this account may not see (a draft, or deleted)."""


def _iso(value: dt.datetime | dt.date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # SQLite gives back naive UTC
            value = value.replace(tzinfo=dt.UTC)
        return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _plain(value: Any) -> Any:
    return _iso(value) if isinstance(value, dt.date) else value


def observation_dict(o: Observation) -> dict[str, Any]:
    return {
        "id": o.id,
        "value": o.value,
        "date": o.date.isoformat(),
        "note": o.note,
        "evidence_url": o.evidence_url,
        "version": o.version,
        "created_at": _iso(o.created_at),
    }


def measure_dict(m: Measure, observations: list[Observation] | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"id": m.id, "area_code": m.area_code}
    out.update({f: getattr(m, f) for f in MEASURE_FIELDS})
    out.update(
        {
            "version": m.version,
            "published_by": _publisher(m),
            "created_at": _iso(m.created_at),
            "updated_at": _iso(m.updated_at),
        }
    )
    if observations is not None:
        out["observations"] = [observation_dict(o) for o in observations]
    return out


def _publisher(m: Measure) -> str:
    user: User | None = m.publisher
    if user is None:
        return "a former editor"
    return user.name or "a community editor"


def _require(principal: Principal | None) -> Principal:
    if principal is None:
        raise NotAuthenticated(
            "sign in or send 'Authorization: Bearer TOKEN' (see 'leftbehind users token')"
        )
    return principal


def _check_area(area_code: str) -> str:
    if not AREA_CODE.match(area_code):
        raise InvalidInput(f"{area_code!r} is not an area code", parameter="code")
    return area_code


def _visible(m: Measure | None, principal: Principal | None, measure_id: int) -> Measure:
    """``m`` when ``principal`` may see it; otherwise 'not found' (drafts are not revealed)."""
    if m is None or m.deleted_at is not None:
        raise MeasureNotFound(f"there is no measure {measure_id}")
    if m.status != "published" and (principal is None or not principal.may_edit(m.area_code)):
        raise MeasureNotFound(f"there is no published measure {measure_id}")
    return m


def _observations(session: Session, measure_id: int) -> list[Observation]:
    return list(
        session.scalars(
            select(Observation)
            .where(Observation.measure_id == measure_id, Observation.deleted_at.is_(None))
            .order_by(Observation.date, Observation.id)
        )
    )


def _record(
    session: Session,
    principal: Principal,
    measure_id: int,
    action: str,
    fields: dict[str, Any],
    observation_id: int | None = None,
) -> None:
    session.add(
        Change(
            measure_id=measure_id,
            observation_id=observation_id,
            user_id=principal.id,
            user_email=principal.email,
            action=action,
            fields={k: _plain(v) if not isinstance(v, list) else [_plain(x) for x in v]
                    for k, v in fields.items()},
        )
    )  # fmt: skip


def _check_version(kind: str, ident: int, current: int, expected: int | None) -> None:
    if expected is None:
        raise InvalidInput(
            f"field 'version': say which version of {kind} {ident} the change is based on "
            f'(it is at version {current}): send "version" or If-Match',
            parameter="version",
            where="body",
        )
    if expected != current:
        raise Conflict(
            f"{kind} {ident} was changed by someone else: it is at version {current}, the "
            f"change was based on version {expected}; reload it and apply the change again"
        )


def _changes(
    target: Any, patch: MeasurePatch | ObservationPatch, fields: tuple[str, ...]
) -> dict[str, list[Any]]:
    changed: dict[str, list[Any]] = {}
    for name in sorted(patch.model_fields_set & set(fields)):
        new = getattr(patch, name)
        if new is None and name not in NULLABLE:
            raise InvalidInput(f"field '{name}' may not be null", parameter=name, where="body")
        old = getattr(target, name)
        if old != new:
            changed[name] = [old, new]
    return changed


# -- reads -----------------------------------------------------------------------------------
def content_version(community: Community) -> tuple[int, int, int]:
    """``(newest measure change, newest asset change, users)``: changes whenever anything the
    public pages show of the community's content changed (every write to a measure, its
    values or an asset records a change; one small query on primary keys)."""
    with community.read() as session:
        row = session.execute(
            select(
                select(func.coalesce(func.max(Change.id), 0)).scalar_subquery(),
                select(func.coalesce(func.max(AssetChange.id), 0)).scalar_subquery(),
                select(func.count()).select_from(User).scalar_subquery(),
            )
        ).one()
    return int(row[0]), int(row[1]), int(row[2])


def list_measures(
    community: Community, principal: Principal | None, area_code: str, drafts: bool = False
) -> list[dict[str, Any]]:
    """Measures of an area: published ones; with ``drafts``, also the drafts this account may
    see (an editor of the area, or an admin)."""
    _check_area(area_code)
    show_drafts = drafts and principal is not None and principal.may_edit(area_code)
    query = select(Measure).where(Measure.area_code == area_code, Measure.deleted_at.is_(None))
    if not show_drafts:
        query = query.where(Measure.status == "published")
    with community.read() as session:
        return [measure_dict(m) for m in session.scalars(query.order_by(Measure.id))]


def published_with_observations(community: Community, area_code: str) -> list[dict[str, Any]]:
    """The published measures of an area with their observations (for the area page)."""
    _check_area(area_code)
    with community.read() as session:
        measures = list(
            session.scalars(
                select(Measure)
                .where(
                    Measure.area_code == area_code,
                    Measure.status == "published",
                    Measure.deleted_at.is_(None),
                )
                .order_by(Measure.id)
            )
        )
        return [measure_dict(m, _observations(session, m.id)) for m in measures]


def get_measure(
    community: Community, principal: Principal | None, measure_id: int
) -> dict[str, Any]:
    """One measure with its observations (oldest first)."""
    with community.read() as session:
        m = _visible(session.get(Measure, measure_id), principal, measure_id)
        return measure_dict(m, _observations(session, m.id))


def history(
    community: Community, principal: Principal | None, measure_id: int
) -> list[dict[str, Any]]:
    """Who changed what, when (oldest first). Emails only for the area's editors and admins;
    the public sees the account's public name."""
    with community.read() as session:
        m = _visible(session.get(Measure, measure_id), principal, measure_id)
        insider = principal is not None and principal.may_edit(m.area_code)
        rows = session.execute(
            select(Change, User)
            .outerjoin(User, User.id == Change.user_id)
            .where(Change.measure_id == measure_id)
            .order_by(Change.id)
        ).all()
        return [
            change_record(change, user, insider, observation_id=change.observation_id)
            for change, user in rows
        ]


def change_record(change: Any, user: User | None, insider: bool, **extra: Any) -> dict[str, Any]:
    """One history entry (a measure's or an asset's change): when, what, who by public name,
    and the account's email only for the area's editors and admins (``insider``)."""
    item: dict[str, Any] = {
        "at": _iso(change.at),
        "action": change.action,
        **extra,
        "by": user.name if user is not None and user.name else "a community editor",
        "fields": change.fields,
    }
    if insider:
        item["by_email"] = change.user_email
    return item


def open_data(community: Community) -> list[dict[str, Any]]:
    """Every published measure with its observations, for everyone (area codes included)."""
    with community.read() as session:
        measures = list(
            session.scalars(
                select(Measure)
                .where(Measure.status == "published", Measure.deleted_at.is_(None))
                .order_by(Measure.area_code, Measure.id)
            )
        )
        by_measure: dict[int, list[Observation]] = {m.id: [] for m in measures}
        if measures:
            for o in session.scalars(
                select(Observation)
                .join(Measure, Measure.id == Observation.measure_id)
                .where(
                    Measure.status == "published",
                    Measure.deleted_at.is_(None),
                    Observation.deleted_at.is_(None),
                )
                .order_by(Observation.measure_id, Observation.date, Observation.id)
            ):
                by_measure.setdefault(o.measure_id, []).append(o)
        return [measure_dict(m, by_measure[m.id]) for m in measures]


OPEN_DATA_COLUMNS = (
    "area_code",
    "measure_id",
    *MEASURE_FIELDS,
    "published_by",
    "observation_id",
    *OBSERVATION_FIELDS,
)


def open_data_rows(measures: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per observation (a measure without observations: one row without values)."""
    rows = []
    for m in measures:
        for o in m["observations"] or [None]:
            row = {"area_code": m["area_code"], "measure_id": m["id"]}
            row.update({f: m[f] for f in MEASURE_FIELDS})
            row["published_by"] = m["published_by"]
            row["observation_id"] = o["id"] if o else None
            row.update({f: (o[f] if o else None) for f in OBSERVATION_FIELDS})
            rows.append(row)
    return rows


# -- writes ----------------------------------------------------------------------------------
def create_measure(
    community: Community, principal: Principal | None, area_code: str, data: MeasureIn
) -> dict[str, Any]:
    who = _require(principal)
    who.require_area(_check_area(area_code))
    with community.write() as session:
        m = Measure(area_code=area_code, created_by=who.id, version=1, **data.model_dump())
        session.add(m)
        session.flush()
        _record(session, who, m.id, "create", data.model_dump())
        session.flush()
        session.refresh(m)
        return measure_dict(m, [])


def _editable(session: Session, who: Principal, measure_id: int, lock: bool = True) -> Measure:
    query = select(Measure).where(Measure.id == measure_id)
    if lock:
        query = query.with_for_update(of=Measure)
    m = session.scalar(query)
    if m is None or m.deleted_at is not None:
        raise MeasureNotFound(f"there is no measure {measure_id}")
    if not who.may_edit(m.area_code):
        if m.status != "published":
            raise MeasureNotFound(f"there is no published measure {measure_id}")
        who.require_area(m.area_code)
    return m


def update_measure(
    community: Community,
    principal: Principal | None,
    measure_id: int,
    patch: MeasurePatch,
    version: int | None = None,
) -> dict[str, Any]:
    """Change a measure (``version``: the one the change is based on, or ``patch.version``)."""
    who = _require(principal)
    with community.write() as session:
        m = _editable(session, who, measure_id)
        expected = patch.version if patch.version is not None else version
        _check_version("measure", measure_id, m.version, expected)
        changed = _changes(m, patch, MEASURE_FIELDS)
        if changed:
            for name, (_, new) in changed.items():
                setattr(m, name, new)
            m.version += 1
            m.updated_at = utcnow()
            action = (
                "publish" if changed.get("status", [None, None])[1] == "published" else "update"
            )
            _record(session, who, m.id, action, changed)
        session.flush()
        return measure_dict(m, _observations(session, m.id))


def delete_measure(
    community: Community, principal: Principal | None, measure_id: int, version: int | None = None
) -> None:
    """Soft-delete a measure (kept, with the deletion in its history). ``version`` optional."""
    who = _require(principal)
    with community.write() as session:
        m = _editable(session, who, measure_id)
        if version is not None:
            _check_version("measure", measure_id, m.version, version)
        m.deleted_at = utcnow()
        m.version += 1
        _record(session, who, m.id, "delete", {})


def add_observation(
    community: Community, principal: Principal | None, measure_id: int, data: ObservationIn
) -> dict[str, Any]:
    """Record one observation. Concurrent writers to one measure never lose one: each is an
    insert in its own transaction (the measure row is not locked)."""
    who = _require(principal)
    with community.write() as session:
        m = _editable(session, who, measure_id, lock=False)
        o = Observation(measure_id=m.id, created_by=who.id, version=1, **data.model_dump())
        session.add(o)
        session.flush()
        _record(session, who, m.id, "observe", data.model_dump(), observation_id=o.id)
        return observation_dict(o)


def _observation(session: Session, who: Principal, measure_id: int, obs_id: int) -> Observation:
    _editable(session, who, measure_id, lock=False)
    o = session.scalar(
        select(Observation)
        .where(Observation.id == obs_id, Observation.measure_id == measure_id)
        .with_for_update()
    )
    if o is None or o.deleted_at is not None:
        raise MeasureNotFound(f"measure {measure_id} has no observation {obs_id}")
    return o


def update_observation(
    community: Community,
    principal: Principal | None,
    measure_id: int,
    obs_id: int,
    patch: ObservationPatch,
    version: int | None = None,
) -> dict[str, Any]:
    who = _require(principal)
    with community.write() as session:
        o = _observation(session, who, measure_id, obs_id)
        expected = patch.version if patch.version is not None else version
        _check_version("observation", obs_id, o.version, expected)
        changed = _changes(o, patch, OBSERVATION_FIELDS)
        if changed:
            for name, (_, new) in changed.items():
                setattr(o, name, new)
            o.version += 1
            _record(session, who, measure_id, "update_observation", changed, observation_id=o.id)
        session.flush()
        return observation_dict(o)


def delete_observation(
    community: Community,
    principal: Principal | None,
    measure_id: int,
    obs_id: int,
    version: int | None = None,
) -> None:
    who = _require(principal)
    with community.write() as session:
        o = _observation(session, who, measure_id, obs_id)
        if version is not None:
            _check_version("observation", obs_id, o.version, version)
        o.deleted_at = utcnow()
        o.version += 1
        _record(session, who, measure_id, "delete_observation", {}, observation_id=o.id)


def areas_with_measures(community: Community, principal: Principal) -> list[dict[str, Any]]:
    """The measures (drafts included) of every area this account edits, for its account page."""
    query = select(Measure).where(Measure.deleted_at.is_(None))
    if not principal.is_admin:
        query = query.where(Measure.area_code.in_(sorted(principal.areas)))
    with community.read() as session:
        return [
            measure_dict(m) for m in session.scalars(query.order_by(Measure.area_code, Measure.id))
        ]
