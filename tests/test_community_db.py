"""The community database on SQLite and a real PostgreSQL server: migrations, accounts, roles,
measures, conflicts, history, backup and restore (the library, without HTTP)."""

from __future__ import annotations

import datetime as dt
import threading
from pathlib import Path

import pytest
from pydantic import ValidationError
from sqlalchemy import text

from leftbehind.community import Community, accounts, backup, measures, schema
from leftbehind.community.inputs import MeasureIn, MeasurePatch, ObservationIn, ObservationPatch
from leftbehind.errors import (
    Conflict,
    Forbidden,
    InvalidInput,
    NotAuthenticated,
    SchemaOutOfDate,
    TooManyAttempts,
    UnknownName,
)

A, B = "E05000028", "E05000029"
PASSWORD = "correct horse battery"


def editor(db: Community, email: str = "ed@example.org", areas=(A,)) -> accounts.Principal:
    return accounts.add_user(db, email, PASSWORD, "editor", list(areas), name="Becontree Big Local")


def test_migrations_create_exactly_the_models(community_url: str):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext
    from sqlalchemy import create_engine

    from leftbehind.community.models import Base

    engine = create_engine(community_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []
    assert schema.check_current(community_url).up_to_date


def test_an_empty_database_is_out_of_date_with_the_fix(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    with pytest.raises(SchemaOutOfDate, match="leftbehind db upgrade"):
        schema.check_current(url)
    assert schema.upgrade(url).up_to_date
    assert schema.upgrade(url).up_to_date  # a second upgrade changes nothing


def test_sqlite_is_in_wal_mode(tmp_path: Path):
    url = f"sqlite:///{tmp_path / 'c.sqlite3'}"
    schema.upgrade(url)
    db = Community(url)
    with db.read() as s:
        assert s.connection().exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    db.dispose()


def test_accounts_passwords_tokens_and_rate_limit(community: Community):
    ed = editor(community)
    assert ed.role == "editor" and ed.areas == {A}
    with community.read() as s:
        stored = s.scalar(text("SELECT password_hash FROM users"))
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.authenticate(community, "ED@example.org", PASSWORD).id == ed.id
    with pytest.raises(NotAuthenticated):
        accounts.authenticate(community, ed.email, "wrong password!")
    with pytest.raises(Conflict):
        editor(community)
    with pytest.raises(InvalidInput, match="at least one area"):
        accounts.add_user(community, "x@example.org", PASSWORD, "editor", [])
    with pytest.raises(InvalidInput, match="at least 10"):
        accounts.add_user(community, "x@example.org", "short", "admin")
    with pytest.raises(UnknownName, match="role"):
        accounts.add_user(community, "x@example.org", PASSWORD, "owner")

    token = accounts.issue_token(community, ed.email)
    assert accounts.principal_for_token(community, token).email == ed.email
    with community.read() as s:
        hashes = s.execute(text("SELECT token_hash FROM api_tokens"))
        assert token not in {h for (h,) in hashes}
    with pytest.raises(NotAuthenticated):
        accounts.principal_for_token(community, token + "x")

    for _ in range(accounts.MAX_FAILURES - 1):
        with pytest.raises(NotAuthenticated):
            accounts.authenticate(community, ed.email, "not the password")
    with pytest.raises(TooManyAttempts):  # even the right password, until the window passes
        accounts.authenticate(community, ed.email, PASSWORD)

    accounts.remove_user(community, ed.email)
    with pytest.raises(NotAuthenticated):
        accounts.principal_for_token(community, token)
    assert accounts.list_users(community) == []


def test_editor_of_a_writes_for_a_only_and_the_public_sees_published(community: Community):
    ed = editor(community)
    other = editor(community, "other@example.org", areas=(B,))
    admin = accounts.add_user(community, "admin@example.org", PASSWORD, "admin")
    m = measures.create_measure(
        community, ed, A, MeasureIn(name="Residents who feel they belong", unit="%")
    )
    assert m["status"] == "draft" and m["version"] == 1 and m["area_code"] == A
    with pytest.raises(Forbidden):
        measures.create_measure(community, ed, B, MeasureIn(name="Elsewhere"))
    with pytest.raises(NotAuthenticated):
        measures.create_measure(community, None, A, MeasureIn(name="Anonymous"))

    # drafts: invisible to the public and to editors of other areas
    assert measures.list_measures(community, None, A) == []
    assert measures.list_measures(community, other, A, drafts=True) == []
    assert [x["id"] for x in measures.list_measures(community, ed, A, drafts=True)] == [m["id"]]
    with pytest.raises(UnknownName):
        measures.get_measure(community, None, m["id"])
    with pytest.raises(UnknownName):
        measures.add_observation(
            community, other, m["id"], ObservationIn(value=1, date=dt.date(2024, 1, 1))
        )

    published = measures.update_measure(
        community, ed, m["id"], MeasurePatch(status="published", version=1)
    )
    assert published["version"] == 2
    obs = measures.add_observation(
        community, ed, m["id"], ObservationIn(value=41.5, date=dt.date(2024, 3, 1))
    )
    measures.add_observation(
        community, admin, m["id"], ObservationIn(value=44, date=dt.date(2024, 9, 1))
    )
    with pytest.raises(Forbidden):  # published, but not theirs
        measures.add_observation(
            community, other, m["id"], ObservationIn(value=1, date=dt.date(2024, 1, 1))
        )
    public = measures.get_measure(community, None, m["id"])
    assert [o["value"] for o in public["observations"]] == [41.5, 44.0]
    assert public["published_by"] == "Becontree Big Local"
    assert [x["id"] for x in measures.list_measures(community, None, A)] == [m["id"]]

    # deletes are soft and recorded; the history says who did what
    measures.delete_observation(community, ed, m["id"], obs["id"])
    assert len(measures.get_measure(community, None, m["id"])["observations"]) == 1
    actions = [h["action"] for h in measures.history(community, ed, m["id"])]
    assert actions == ["create", "publish", "observe", "observe", "delete_observation"]
    public_history = measures.history(community, None, m["id"])
    assert all("by_email" not in h for h in public_history)
    measures.delete_measure(community, ed, m["id"])
    assert measures.list_measures(community, None, A) == []
    with pytest.raises(UnknownName):
        measures.get_measure(community, ed, m["id"])
    with community.read() as s:  # still there, marked deleted
        from leftbehind.community.models import Measure

        assert s.get(Measure, m["id"]).deleted_at is not None


def test_a_stale_version_is_a_conflict_not_an_overwrite(community: Community):
    ed = editor(community)
    m = measures.create_measure(community, ed, A, MeasureIn(name="Footfall"))
    measures.update_measure(community, ed, m["id"], MeasurePatch(target=100, version=1))
    with pytest.raises(Conflict, match="version 2"):
        measures.update_measure(community, ed, m["id"], MeasurePatch(target=50, version=1))
    with pytest.raises(InvalidInput, match="version"):
        measures.update_measure(community, ed, m["id"], MeasurePatch(target=50))
    with pytest.raises(InvalidInput, match="'name' may not be null"):
        measures.update_measure(community, ed, m["id"], MeasurePatch(name=None, version=2))
    assert measures.get_measure(community, ed, m["id"])["target"] == 100
    o = measures.add_observation(
        community, ed, m["id"], ObservationIn(value=5, date=dt.date(2024, 1, 1))
    )
    measures.update_observation(community, ed, m["id"], o["id"], ObservationPatch(value=6), 1)
    with pytest.raises(Conflict):
        measures.update_observation(community, ed, m["id"], o["id"], ObservationPatch(value=7), 1)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 201}, "name"),
        ({"name": "ok", "unit": "u" * 41}, "unit"),
        ({"name": "ok", "baseline": float("nan")}, "baseline"),
        ({"name": "ok", "target": float("inf")}, "target"),
        ({"name": "ok", "status": "secret"}, "status"),
        ({"name": "a\x00b"}, "name"),
        ({"name": "ok", "colour": "red"}, "colour"),
    ],
)
def test_bad_measures_name_the_field(payload, field):
    with pytest.raises(ValidationError) as info:
        MeasureIn(**payload)
    assert info.value.errors()[0]["loc"][0] == field


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"value": float("nan"), "date": "2024-01-01"}, "value"),
        ({"value": 1, "date": "1989-12-31"}, "date"),
        ({"value": 1, "date": "2101-01-01"}, "date"),
        ({"value": 1, "date": "2024-01-01", "evidence_url": "javascript:alert(1)"}, "evidence_url"),
        ({"date": "2024-01-01"}, "value"),
    ],
)
def test_bad_observations_name_the_field(payload, field):
    with pytest.raises(ValidationError) as info:
        ObservationIn(**payload)
    assert info.value.errors()[0]["loc"][0] == field


def test_html_in_names_is_stored_as_text(community: Community):
    ed = editor(community)
    name = "<script>alert('x')</script> & friends"
    m = measures.create_measure(community, ed, A, MeasureIn(name=name, status="published"))
    assert measures.get_measure(community, None, m["id"])["name"] == name


def test_concurrent_observations_to_one_measure_are_all_kept(community: Community):
    ed = editor(community)
    m = measures.create_measure(community, ed, A, MeasureIn(name="Volunteers active"))
    errors: list[BaseException] = []

    def client(i: int) -> None:
        try:
            for j in range(10):
                measures.add_observation(
                    community, ed, m["id"], ObservationIn(value=i * 100 + j, date="2024-01-01")
                )
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(i,)) for i in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    values = [o["value"] for o in measures.get_measure(community, ed, m["id"])["observations"]]
    assert sorted(values) == sorted(float(i * 100 + j) for i in range(10) for j in range(10))


def test_open_data_has_every_published_measure_with_area_codes(community: Community):
    ed = editor(community, areas=(A, B))
    m1 = measures.create_measure(community, ed, A, MeasureIn(name="Events", status="published"))
    measures.create_measure(community, ed, B, MeasureIn(name="Draft one"))
    measures.add_observation(community, ed, m1["id"], ObservationIn(value=3, date="2024-02-01"))
    data = measures.open_data(community)
    assert [(m["area_code"], m["name"]) for m in data] == [(A, "Events")]
    rows = measures.open_data_rows(data)
    assert rows[0]["value"] == 3 and rows[0]["date"] == "2024-02-01"
    assert list(rows[0]) == list(measures.OPEN_DATA_COLUMNS)


def test_backup_and_restore_round_trip(community: Community, community_url: str, tmp_path):
    ed = editor(community)
    m = measures.create_measure(community, ed, A, MeasureIn(name="Kept", status="published"))
    file = backup.backup(community_url, tmp_path / "backup.db")
    assert file.stat().st_size > 0
    measures.delete_measure(community, ed, m["id"])
    assert measures.list_measures(community, None, A) == []
    community.dispose()
    backup.restore(community_url, file)
    db = Community(community_url)
    assert [x["name"] for x in measures.list_measures(db, None, A)] == ["Kept"]
    db.dispose()


def test_the_content_version_moves_with_every_public_write(community: Community):
    """What the web's fast path watches (at most once a second) to forget kept pages: a new
    account, a measure, a value and an asset each move it; reads do not."""
    from leftbehind.community.assets import create_asset
    from leftbehind.community.inputs import AssetIn

    start = measures.content_version(community)
    who = accounts.add_user(community, "cv@example.org", "correct horse battery", "editor",
                            ["E05000028"], name="Version Forum")  # fmt: skip
    after_user = measures.content_version(community)
    assert after_user != start
    m = measures.create_measure(community, who, "E05000028", MeasureIn(name="Benches"))
    after_measure = measures.content_version(community)
    assert after_measure[0] > after_user[0]
    measures.add_observation(community, who, m["id"], ObservationIn(value=3, date="2024-01-31"))
    after_value = measures.content_version(community)
    assert after_value[0] > after_measure[0]
    measures.list_measures(community, None, "E05000028")
    assert measures.content_version(community) == after_value  # reading changes nothing

    def placer(postcode: str, area: str) -> dict:
        return {"lsoa21_code": "E01000027", "ltla_code": "E09000002", "lon": 0.13,
                "lat": 51.54, "point_method": "area"}  # fmt: skip

    create_asset(
        community,
        who,
        "E05000028",
        AssetIn(category="pub", name="The Oak", evidence_url="https://example.org/oak"),
        placer,
    )
    after_asset = measures.content_version(community)
    assert after_asset[1] > after_value[1] and after_asset[0] == after_value[0]
