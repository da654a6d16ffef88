"""Local measures over HTTP, on SQLite and on a real PostgreSQL server: roles, tokens, the open
data, conflicts, bad payloads, and the forms (sign in, CSRF, create, record, publish)."""

from __future__ import annotations

import csv
import io
import os
import re
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from leftbehind.community import Community, accounts

A, B = "E05000028", "E05000029"  # Becontree and a neighbouring ward (England 2019 wards)
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, store_path: Path, tmp_path_factory):
    """An app on a fresh community database with an admin, an editor of A and one of B."""
    from leftbehind.community.schema import upgrade
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('community') / 'community.sqlite3'}"
        cleanup = None
    else:
        server = request.getfixturevalue("pg_server")
        name = f"web_{os.getpid()}"
        url = server.create_database(name)
        cleanup = (server, name)
    upgrade(url)
    db = Community(url)
    tokens = {}
    for email, role, areas in [
        ("admin@example.org", "admin", []),
        ("a@example.org", "editor", [A]),
        ("b@example.org", "editor", [B]),
    ]:
        accounts.add_user(db, email, PASSWORD, role, areas, name=f"Group {email[0].upper()}")
        tokens[email.split("@")[0]] = accounts.issue_token(db, email)
    db.dispose()
    settings = fresh_settings(
        home=store_path.parent, edition="england-2019-ward", database_url=url, secret_key="k" * 40
    )
    app = create_app(settings)
    client = TestClient(app)
    yield client, tokens
    client.close()
    app.state.community.dispose()
    if cleanup:
        cleanup[0].drop_database(cleanup[1])


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


MEASURE = {
    "name": "Residents who feel they belong",
    "description": "Share of residents who say they belong to the neighbourhood.",
    "unit": "%",
    "higher_is_better": True,
    "method": "Annual door-step survey of 200 residents",
    "source": "Group A",
    "baseline": 41.0,
    "target": 60.0,
    "status": "draft",
}


def test_editor_of_a_creates_and_publishes_for_a_and_gets_403_for_b(site):
    client, tokens = site
    a = bearer(tokens["a"])
    r = client.post(f"/api/areas/{A}/measures", json=MEASURE, headers=a)
    assert r.status_code == 201, r.text
    created = r.json()
    assert {k: created[k] for k in MEASURE} == MEASURE
    assert isinstance(created["id"], int) and created["version"] == 1
    assert r.headers["location"] == f"/api/measures/{created['id']}"
    mid = created["id"]

    assert client.post(f"/api/areas/{B}/measures", json=MEASURE, headers=a).status_code == 403
    # the public sees published measures only
    assert client.get(f"/api/areas/{A}/measures").json()["measures"] == []
    assert client.get(f"/api/measures/{mid}").status_code == 404
    drafts = client.get(f"/api/areas/{A}/measures?drafts=true", headers=a).json()["measures"]
    assert [m["id"] for m in drafts] == [mid]

    r = client.patch(f"/api/measures/{mid}", json={"status": "published", "version": 1}, headers=a)
    assert r.status_code == 200 and r.json()["status"] == "published" and r.json()["version"] == 2
    for value, date in [(41.0, "2023-06-01"), (47.5, "2024-06-01")]:
        r = client.post(
            f"/api/measures/{mid}/observations",
            json={"value": value, "date": date, "note": "survey", "evidence_url": ""},
            headers=a,
        )
        assert r.status_code == 201 and set(r.json()) >= {"value", "date", "note", "evidence_url"}
    b_obs = {"value": 1, "date": "2024-01-01"}
    r = client.post(f"/api/measures/{mid}/observations", json=b_obs, headers=bearer(tokens["b"]))
    assert r.status_code == 403

    public = client.get(f"/api/areas/{A}/measures").json()["measures"]
    assert [m["id"] for m in public] == [mid] and public[0]["published_by"] == "Group A"
    full = client.get(f"/api/measures/{mid}").json()
    assert [o["value"] for o in full["observations"]] == [41.0, 47.5]
    history = client.get(f"/api/measures/{mid}/history").json()["history"]
    assert [h["action"] for h in history] == ["create", "publish", "observe", "observe"]
    assert all("by_email" not in h for h in history)
    mine = client.get(f"/api/measures/{mid}/history", headers=a).json()["history"]
    assert mine[0]["by_email"] == "a@example.org"

    # the area page shows it beside the official indicators, with a trend and its publisher
    page = client.get(f"/areas/{A}").text
    assert "Local measures of success" in page and "Residents who feel they belong" in page
    assert "Published by Group A" in page and 'class="trend"' in page

    # open data, for everyone
    data = client.get("/api/measures.json").json()["measures"]
    assert any(m["id"] == mid and m["area_code"] == A for m in data)
    rows = list(csv.DictReader(io.StringIO(client.get("/api/measures.csv").text)))
    assert {(r["area_code"], r["value"]) for r in rows if r["measure_id"] == str(mid)} == {
        (A, "41.0"),
        (A, "47.5"),
    }


def test_no_write_without_a_valid_token(site):
    client, tokens = site
    assert client.post(f"/api/areas/{A}/measures", json=MEASURE).status_code == 401
    r = client.post(f"/api/areas/{A}/measures", json=MEASURE, headers=bearer("lb_not-a-token"))
    assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Bearer")
    r = client.post(
        f"/api/areas/{A}/measures", json=MEASURE, headers={"Authorization": "Basic eDp5"}
    )
    assert r.status_code == 401
    mid = client.post(f"/api/areas/{A}/measures", json=MEASURE, headers=bearer(tokens["a"]))
    mid = mid.json()["id"]
    assert client.patch(f"/api/measures/{mid}", json={"version": 1, "name": "x"}).status_code == 401
    assert client.delete(f"/api/measures/{mid}").status_code == 401
    obs = {"value": 1, "date": "2024-01-01"}
    assert client.post(f"/api/measures/{mid}/observations", json=obs).status_code == 401


def test_edit_conflict_is_409_and_deletes_are_soft(site):
    client, tokens = site
    a, admin = bearer(tokens["a"]), bearer(tokens["admin"])
    mid = client.post(f"/api/areas/{A}/measures", json=MEASURE, headers=a).json()["id"]
    first = client.patch(
        f"/api/measures/{mid}", json={"target": 70}, headers={**a, "If-Match": '"1"'}
    )
    assert first.status_code == 200
    second = client.patch(f"/api/measures/{mid}", json={"target": 65, "version": 1}, headers=admin)
    assert second.status_code == 409
    assert "version 2" in second.json()["error"]["message"]
    assert client.get(f"/api/measures/{mid}", headers=admin).json()["target"] == 70
    assert client.delete(f"/api/measures/{mid}", headers=bearer(tokens["b"])).status_code == 404
    assert client.delete(f"/api/measures/{mid}", headers=a).status_code == 204
    assert client.get(f"/api/measures/{mid}", headers=a).status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**MEASURE, "unit": "u" * 41}, "unit"),
        ({**MEASURE, "name": ""}, "name"),
        ({**MEASURE, "status": "secret"}, "status"),
        ({**MEASURE, "baseline": "lots"}, "baseline"),
    ],
)
def test_bad_measure_payloads_are_422_naming_the_field(site, body, field):
    client, tokens = site
    r = client.post(f"/api/areas/{A}/measures", json=body, headers=bearer(tokens["a"]))
    assert r.status_code == 422
    assert [p["parameter"] for p in r.json()["error"]["problems"]] == [field]


def test_non_finite_numbers_and_far_dates_are_422(site):
    client, tokens = site
    a = bearer(tokens["a"])
    mid = client.post(f"/api/areas/{A}/measures", json=MEASURE, headers=a).json()["id"]
    raw = '{"value": NaN, "date": "2024-01-01"}'
    r = client.post(
        f"/api/measures/{mid}/observations",
        content=raw,
        headers={**a, "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["parameter"] == "value"
    r = client.post(f"/api/measures/{mid}/observations", json={"value": 1, "date": "1900-01-01"},
                    headers=a)  # fmt: skip
    assert r.status_code == 422 and r.json()["error"]["problems"][0]["parameter"] == "date"


def test_html_in_a_name_is_escaped_on_every_page(site):
    client, tokens = site
    name = "<script>alert(1)</script>"
    body = {**MEASURE, "name": name, "status": "published"}
    mid = client.post(f"/api/areas/{A}/measures", json=body, headers=bearer(tokens["a"])).json()
    assert mid["name"] == name
    for path in (f"/areas/{A}", f"/measures/{mid['id']}"):
        html = client.get(path).text
        assert name not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_forms_sign_in_create_record_and_sign_out(site):
    client, _ = site
    forms = TestClient(client.app)  # its own cookie jar
    assert forms.get("/account", follow_redirects=False).status_code == 303
    page = forms.get("/login")
    assert page.headers["cache-control"] == "no-store"
    token = _csrf(page.text)
    bad = forms.post("/login", data={"email": "a@example.org", "password": "nope", "csrf": token})
    assert bad.status_code == 401 and "not right" in bad.text
    no_csrf = forms.post("/login", data={"email": "a@example.org", "password": PASSWORD})
    assert no_csrf.status_code == 403
    ok = forms.post(
        "/login",
        data={"email": "a@example.org", "password": PASSWORD, "csrf": token, "next": "/account"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/account"
    account = forms.get("/account").text
    assert "a@example.org" in account
    token = _csrf(account)  # a new session has a new token
    assert forms.get(f"/areas/{B}/measures/new").status_code == 403

    fields = {
        "csrf": token, "name": "Community events a month", "unit": "events a month",
        "higher_is_better": "yes", "status": "published", "baseline": "", "target": "12",
    }  # fmt: skip
    bad = forms.post(f"/areas/{A}/measures", data={**fields, "name": ""})
    assert bad.status_code == 422 and 'id="name-error"' in bad.text
    made = forms.post(f"/areas/{A}/measures", data=fields, follow_redirects=False)
    assert made.status_code == 303
    path = made.headers["location"]
    r = forms.post(f"{path}/observations", data={"csrf": token, "value": "9", "date": "2024-05-01"})
    assert r.status_code == 200 and "Community events a month" in r.text
    assert client.get(f"/api/{path.lstrip('/')}").json()["observations"][0]["value"] == 9.0
    edited = forms.post(f"{path}/edit", data={**fields, "target": "14", "version": "1"})
    assert edited.status_code == 200 and "14 events a month" in edited.text
    stale = forms.post(f"{path}/edit", data={**fields, "target": "15", "version": "1"})
    assert stale.status_code == 409 and "changed by someone else" in stale.text.lower()
    t = forms.post("/account/token", data={"csrf": token})
    new_token = re.search(r'id="new-token">([^<]+)<', t.text).group(1)
    assert (
        client.get(f"/api/areas/{A}/measures?drafts=true", headers=bearer(new_token)).status_code
        == 200
    )
    forms.post("/logout", data={"csrf": token})
    assert forms.get("/account", follow_redirects=False).status_code == 303


FUZZED = [
    ("POST", "/api/areas/{code}/measures"),
    ("POST", "/api/measures/{measure_id}/observations"),
    ("PATCH", "/api/measures/{measure_id}"),
    ("GET", "/api/areas/{code}/measures"),
]


@pytest.mark.parametrize(("method", "path"), FUZZED)
def test_no_payload_makes_the_server_fail(site, method, path):
    """schemathesis bodies from the OpenAPI schema, sent with a valid editor's token: never a
    5xx (on PostgreSQL too, which refuses NUL characters that SQLite would store)."""
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis import HealthCheck, given, settings

    client, tokens = site
    schema = schemathesis.openapi.from_asgi("/openapi.json", client.app)
    operation = next(
        r.ok() for r in schema.get_all_operations()
        if r.ok().path == path and r.ok().method.upper() == method
    )  # fmt: skip

    @given(case=operation.as_strategy())
    @settings(max_examples=25, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(case):
        response = case.call(headers=bearer(tokens["a"]))
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} {case.body!r} -> {response.status_code}: "
            f"{response.text[:300]}"
        )

    run()
