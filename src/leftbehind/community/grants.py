"""Imported 360Giving grants in the community database: write one import in one transaction,
read them back for summaries, page through them, and a cheap version to know when they changed.

Grants are user data (people import them, an admin may upload them on the funding page), so they
live here rather than in the evidence store, which is read-only while the site serves: an import
runs while ``serve`` runs, and the site notices the new version within a second.
Reading, validating and locating files is :mod:`leftbehind.funding.grants_store`'s job; this
module only stores what it prepared.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
from sqlalchemy import Table, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from leftbehind.community.db import Community
from leftbehind.community.models import Grant, GrantImport, GrantReject, GrantUpdate, utcnow

#: Columns of a grant as the summaries read them (``amount_gbp`` in pounds, exact to the penny
#: through ``amount_gbp_pence``).
GRANT_FIELDS = [c.name for c in Grant.__table__.columns]
TEXT_FIELDS = [
    c.name for c in Grant.__table__.columns if c.type.python_type is str and c.name != "identifier"
]
REJECT_FIELDS = ["source_file", "source_sha256", "row_number", "identifier", "action", "reason"]
#: Rows written per statement (bounded memory and statement size on both backends).
CHUNK = 2_000


@dataclass(frozen=True)
class ImportedFile:
    """One file of an import: its name, content hash and rows read (grants + rejected rows)."""

    name: str
    sha256: str
    rows: int


def _insert(session: Session, table: Table, rows: list[dict[str, Any]], keys: Sequence[str]):
    """INSERT ... ON CONFLICT (keys) DO NOTHING, in chunks (SQLite and PostgreSQL)."""
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    for start in range(0, len(rows), CHUNK):
        stmt = insert(table).on_conflict_do_nothing(index_elements=list(keys))
        session.execute(stmt, rows[start : start + CHUNK])


def _clean(value: Any) -> Any:
    """A frame cell as a database value (NaN/NaT -> None, numpy scalars -> Python)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if value is pd.NaT:
        return None
    if isinstance(value, pd.Timestamp):
        return value.date()
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()
    return value


def _records(frame: pd.DataFrame, columns: Sequence[str]) -> list[dict[str, Any]]:
    """Rows as dicts of Python values (missing -> None), vectorised per column."""
    part = frame[list(columns)].astype(object)
    part = part.where(part.notna(), None)
    rows = part.to_dict("records")
    for column in ("award_date",):
        if column in part:
            for row in rows:
                row[column] = _clean(row[column])
    return rows


def version(community: Community) -> tuple[int, int, int]:
    """``(grants, newest import id, updates)``: changes whenever an import changed anything
    (one small query on indexed tables)."""
    with community.read() as session:
        row = session.execute(
            select(
                select(func.count()).select_from(Grant).scalar_subquery(),
                select(func.coalesce(func.max(GrantImport.id), 0)).scalar_subquery(),
                select(func.count()).select_from(GrantUpdate).scalar_subquery(),
            )
        ).one()
    return int(row[0]), int(row[1]), int(row[2])


def count(community: Community) -> int:
    return version(community)[0]


def stored(community: Community, identifiers: Iterable[str], columns: Sequence[str]):
    """The stored ``columns`` of those of ``identifiers`` already imported (a frame)."""
    wanted = list(dict.fromkeys(i for i in identifiers if i is not None))
    cols = [Grant.__table__.c[c] for c in ["identifier", *columns]]
    parts = []
    with community.read() as session:
        for start in range(0, len(wanted), CHUNK):
            chunk = wanted[start : start + CHUNK]
            rows = session.execute(select(*cols).where(Grant.identifier.in_(chunk))).all()
            parts.extend(tuple(r) for r in rows)
    return pd.DataFrame(parts, columns=["identifier", *columns])


def write_import(
    community: Community,
    files: Sequence[ImportedFile],
    grants: pd.DataFrame,
    rejects: pd.DataFrame,
    updates: dict[str, str] | None = None,
    via: str = "cli",
    imported_at: dict[str, dt.datetime] | None = None,
) -> int:
    """Store one import in one transaction; returns how many new grants were inserted.

    ``grants``: frame with :data:`GRANT_FIELDS` (except ``import_id``); a grant whose identifier
    is already stored is left as it was, unless named in ``updates`` (identifier -> what
    changed), which replaces it and logs the change. Rejects are kept once per (file, row,
    action); each file is logged once (by content) in ``grant_imports``.
    """
    updates = updates or {}
    with community.write() as session:
        before = session.execute(select(func.count()).select_from(Grant)).scalar_one()
        import_ids: dict[str, int] = {}
        for f in files:
            found = session.execute(
                select(GrantImport.id).where(GrantImport.source_sha256 == f.sha256)
            ).scalar_one_or_none()
            if found is None:
                entry = GrantImport(
                    source_file=f.name[:255],
                    source_sha256=f.sha256,
                    rows=f.rows,
                    first_imported_at=(imported_at or {}).get(f.sha256) or utcnow(),
                    via=via,
                )
                session.add(entry)
                session.flush()
                found = entry.id
            import_ids[f.sha256] = found
        frame = grants.assign(import_id=grants["source_sha256"].map(import_ids))
        if updates:
            replaced = frame[frame["identifier"].isin(list(updates))]
            session.execute(
                Grant.__table__.delete().where(Grant.identifier.in_(list(replaced["identifier"])))
            )
            now = utcnow()
            session.execute(
                GrantUpdate.__table__.insert(),
                [
                    {
                        "identifier": r.identifier,
                        "source_file": r.source_file,
                        "source_sha256": r.source_sha256,
                        "row_number": int(r.row_number),
                        "changes": updates[r.identifier],
                        "updated_at": now,
                    }
                    for r in replaced.itertuples(index=False)
                ],
            )
            before -= len(replaced)
        _insert(session, Grant.__table__, _records(frame, GRANT_FIELDS), ["identifier"])
        after = session.execute(select(func.count()).select_from(Grant)).scalar_one()
        _insert(
            session,
            GrantReject.__table__,
            _records(rejects, REJECT_FIELDS),
            ["source_sha256", "row_number", "action"],
        )
    return int(after - before) - len(updates)


def load(community: Community) -> pd.DataFrame:
    """Every stored grant (:data:`GRANT_FIELDS`) with ``amount_gbp`` in pounds (None when not
    summed), ordered by identifier."""
    table = Grant.__table__
    with community.read() as session:
        result = session.execute(select(table).order_by(table.c.identifier))
        frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    if frame.empty:
        frame = pd.DataFrame(columns=GRANT_FIELDS)
    for column in TEXT_FIELDS:  # missing text is None (not NaN) whatever pandas infers
        values = frame[column].astype(object)
        frame[column] = values.where(values.notna(), None)
    pence = frame["amount_gbp_pence"]
    frame["amount_gbp_pence"] = pence.astype("Int64")
    frame["amount_gbp"] = pd.array(
        [None if pd.isna(p) else int(p) / 100 for p in pence], dtype="Float64"
    )
    frame["apportioned"] = frame["apportioned"].astype(bool)
    frame["award_year"] = frame["award_year"].astype("int64")
    return frame


def rejects(community: Community, sha256: Sequence[str] | None = None) -> pd.DataFrame:
    """Stored rejects (of those files, by content hash), in file and row order."""
    table = GrantReject.__table__
    query = select(*[table.c[c] for c in REJECT_FIELDS])
    if sha256 is not None:
        query = query.where(table.c.source_sha256.in_(list(sha256)))
    with community.read() as session:
        rows = session.execute(query.order_by(table.c.source_file, table.c.row_number)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=REJECT_FIELDS)


def imports(community: Community) -> list[dict[str, Any]]:
    """The import log, oldest first."""
    with community.read() as session:
        rows = session.execute(select(GrantImport).order_by(GrantImport.id)).scalars().all()
        return [
            {
                "id": r.id,
                "source_file": r.source_file,
                "source_sha256": r.source_sha256,
                "rows": r.rows,
                "first_imported_at": r.first_imported_at,
                "via": r.via,
            }
            for r in rows
        ]


# -- moving the grants of an old evidence store ------------------------------------------------
LEGACY_TABLES = ("grants", "grant_rejects", "grant_imports")


@dataclass(frozen=True)
class Moved:
    """What :func:`move_from_store` copied (zeros when there was nothing, or it was done)."""

    grants: int = 0
    rejects: int = 0
    files: int = 0

    def __bool__(self) -> bool:
        return bool(self.grants or self.rejects or self.files)

    def message(self) -> str:
        return (
            f"Moved {self.grants:,} grants ({self.files} imported files, {self.rejects:,} "
            "rejects) from the evidence store into the community database (once; the store "
            "no longer holds grants)."
        )


def move_from_store(community: Community, con: Any) -> Moved:
    """Copy the grants of an evidence store built before grants moved here (DuckDB tables
    ``grants``, ``grant_rejects``, ``grant_imports`` with rows) into the community database,
    in one transaction. Idempotent: files already logged here are skipped, so a second run
    copies nothing."""
    tables = {
        r[0] for r in con.execute("SELECT table_name FROM information_schema.tables").fetchall()
    }
    # A store rebuilt since keeps them as legacy_*; an older one still as grants, ...
    for prefix in ("legacy_", ""):
        names = {t: prefix + t for t in LEGACY_TABLES}
        if {names["grants"], names["grant_imports"]} <= tables:
            break
    else:
        return Moved()
    if "source_sha256" not in {
        r[0] for r in con.execute(f'DESCRIBE "{names["grant_imports"]}"').fetchall()
    }:
        return Moved()
    logged = con.execute(f"SELECT source_file, source_sha256, rows, first_imported_at "
                         f'FROM "{names["grant_imports"]}" ORDER BY first_imported_at'
                         ).fetchall()  # fmt: skip
    if not logged:
        return Moved()
    with community.read() as session:
        known = set(session.execute(select(GrantImport.source_sha256)).scalars())
    todo = [r for r in logged if r[1] not in known]
    if not todo:
        return Moved()
    shas = [r[1] for r in todo]
    marks = ", ".join("?" for _ in shas)
    old = con.execute(
        f'SELECT * FROM "{names["grants"]}" WHERE source_sha256 IN ({marks})', shas
    ).df()
    old_rejects = (
        con.execute(
            f'SELECT {", ".join(REJECT_FIELDS)} FROM "{names["grant_rejects"]}" '
            f"WHERE source_sha256 IN ({marks})",
            shas,
        ).df()
        if names["grant_rejects"] in tables
        else pd.DataFrame(columns=REJECT_FIELDS)
    )
    old["amount_gbp_pence"] = [
        None if pd.isna(a) else round(float(a) * 100) for a in old["amount_gbp"]
    ]
    for column in ("funder_type", "url", "data_source"):
        if column not in old:
            old[column] = None
    old["award_date"] = [pd.Timestamp(d).date() for d in old["award_date"]]
    files = [ImportedFile(r[0], r[1], int(r[2])) for r in todo]
    when = {
        r[1]: (pd.Timestamp(r[3]).to_pydatetime().replace(tzinfo=dt.UTC) if r[3] else utcnow())
        for r in todo
    }
    columns = [c for c in GRANT_FIELDS if c != "import_id"]
    inserted = write_import(community, files, old[columns], old_rejects, via="store",
                            imported_at=when)  # fmt: skip
    return Moved(grants=inserted, rejects=len(old_rejects), files=len(files))
