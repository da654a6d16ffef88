"""The asset map over HTTP on the real store, with the community database on SQLite and on a
real PostgreSQL server: official assets by area and local authority (Barking and Dagenham's
libraries), an editor's Asset of Community Value on the area page, the map data, the CSV and the
history; another area's editor gets 403; the public sees published assets only; the forms."""

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
from leftbehind.sources.registry import source_by_id

A, B = "E05000028", "E05000029"  # Becontree and a neighbouring ward (England 2019 wards)
LA = "E09000002"  # Barking and Dagenham
PASSWORD = "correct horse battery"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def site(request, store_path: Path, tmp_path_factory):
    from leftbehind.community.schema import upgrade
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('assets') / 'community.sqlite3'}"
        cleanup = None
    else:
        server = request.getfixturevalue("pg_server")
        name = f"assets_{os.getpid()}"
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


ACV = {
    "category": "pub",
    "name": "The Royal Oak <b>",
    "description": "The last pub on the estate.",
    "address": "1 Example Road, Dagenham",
    "postcode": "RM9 4UN",
    "status": "threatened",
    "ownership": "private",
    "evidence_url": "https://example.org/acv-register",
    "acv_nominating_group": "Becontree Big Local",
    "acv_nomination_date": "2024-01-15",
    "acv_decision": "listed",
    "acv_decision_date": "2024-03-01",
    "acv_notification_to_sell_date": "2024-09-01",
    "acv_protected_period_start_date": "2024-09-01",
    "acv_protected_period_end_date": "2026-03-01",
    "publication": "draft",
}


def _open_libraries_of_barking(mirror_dir: Path) -> list[str]:
    path = mirror_dir / source_by_id("libraries_england_2023").mirror_path
    with open(path, encoding="utf-8-sig", newline="") as f:
        return sorted(
            r["name"].strip()
            for r in csv.DictReader(f)
            if r["authority"] == "Barking and Dagenham" and r["operation_23"].lower() != "closed"
        )


def test_geojson_of_barking_and_dagenhams_libraries(site, mirror_dir):
    client, _ = site
    r = client.get(f"/api/assets.geojson?local_authority={LA}&category=library")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/geo+json")
    data = r.json()
    names = sorted(f["properties"]["name"] for f in data["features"])
    assert names == _open_libraries_of_barking(mirror_dir)
    for f in data["features"]:
        p = f["properties"]
        assert p["ltla_code"] == LA and p["lsoa21_code"].startswith("E01")
        assert p["category"] == "library" and p["status"] == "open"
        lon, lat = f["geometry"]["coordinates"]
        assert 0.0 < lon < 0.25 and 51.45 < lat < 51.62  # inside Barking and Dagenham
    closed = client.get(f"/api/assets.geojson?local_authority={LA}&category=library&status=closed")
    assert closed.json()["features"] and all(
        f["properties"]["status"] == "closed" for f in closed.json()["features"]
    )


def test_bad_filters_are_422_naming_the_parameter(site):
    client, _ = site
    r = client.get("/api/assets.geojson?category=castle")
    assert r.status_code == 422 and "category" in r.json()["error"]["message"]
    r = client.get("/api/assets.geojson?status=maybe")
    assert r.status_code == 422 and "status" in r.json()["error"]["message"]
    r = client.get("/api/assets.geojson?local_authority=E09%3B000002")
    assert r.status_code == 422


def test_becontree_lists_its_gp_practices_and_its_libraries(site, con):
    client, _ = site
    want = con.execute(
        "SELECT a.category, a.name FROM assets a JOIN asset_areas x USING (asset_id) "
        "WHERE x.edition = 'england-2019-ward' AND x.area_code = ? ORDER BY 1, 2",
        [A],
    ).fetchall()
    assert any(c == "gp_practice" for c, _ in want)
    api = client.get(f"/api/areas/{A}/assets").json()
    assert sorted((a["category"], a["name"]) for a in api["assets"]) == want
    libs = api["libraries"]
    assert (
        libs["sentence"].startswith(f"This area had {libs['libraries_2010']} ")
        and f"has {libs['libraries_2023']} now" in libs["sentence"]
    )
    html = client.get(f"/areas/{A}").text
    section = html[html.index('id="assets"') : html.index('id="local-measures"')]
    for _, name in want:
        assert name.replace("'", "&#39;") in section
    assert 'id="library-change"' in section
    # counts and rates per 10,000 with comparators, in the Civic Assets dimension
    fabric = html[html.index("Community life and places to meet") : html.index('id="assets"')]
    assert 'id="civic-asset-counts"' in fabric
    counts = {c["category"]: c for c in api["counts"]}
    gp = counts["gp_practice"]
    assert gp["count"] == sum(1 for c, _ in want if c == "gp_practice") - sum(
        1 for a in api["assets"] if a["category"] == "gp_practice" and a["status"] != "open"
    )
    population = client.get(f"/api/areas/{A}").json()["population"]
    assert gp["per_10k"] == round(1e4 * gp["count"] / population, 2)
    assert gp["complete"] is True and gp["nation"] > 0


def test_local_authority_page_lists_and_counts_its_assets(site, con):
    client, _ = site
    html = client.get(f"/local-authorities/{LA}").text
    n_open = con.execute(
        "SELECT count(*) FROM assets WHERE ltla_code = ? AND category = 'library' "
        "AND status = 'open'",
        [LA],
    ).fetchone()[0]
    assert f"Library: <strong>{n_open}</strong> open" in html
    assert "Valence Library" in html


def test_summary_page_and_api_show_library_closures_by_group(site, con):
    client, _ = site
    api = client.get("/api/library-changes?edition=england-2019-ward").json()
    groups = [g["group"] for g in api["groups"]]
    assert groups == ["left_behind", "other_deprived", "rest", "nation"]
    lb = api["groups"][0]
    row = con.execute(
        "SELECT closed, population FROM library_changes WHERE edition = 'england-2019-ward' "
        "AND \"group\" = 'left_behind'"
    ).fetchone()
    assert lb["closed"] == row[0] and lb["closed_per_100k"] == round(1e5 * row[0] / row[1], 2)
    html = client.get("/summary?edition=england-2019-ward").text
    assert 'id="library-changes"' in html and "Libraries opened and closed" in html


def test_an_editor_adds_an_acv_and_it_shows_everywhere(site):
    client, tokens = site
    a, b = bearer(tokens["a"]), bearer(tokens["b"])
    r = client.post(f"/api/areas/{A}/assets", json=ACV, headers=a)
    assert r.status_code == 201, r.text
    made = r.json()
    assert {k: made[k] for k in ACV} == ACV and made["asset_of_community_value"] is True
    assert made["ltla_code"] == LA and made["lsoa21_code"] == "E01000096"  # RM9 4UN's LSOA
    aid = made["id"]
    # another area's editor: 403, for a new asset and for this one
    assert client.post(f"/api/areas/{A}/assets", json=ACV, headers=b).status_code == 403
    r = client.patch(f"/api/assets/{aid}", json={"status": "closed", "version": 1}, headers=b)
    assert r.status_code == 404  # a draft is not revealed to another area's editor
    # the public sees published assets only
    assert all(x["source"] != "community" for x in client.get(f"/api/areas/{A}/assets").json()[
        "assets"])  # fmt: skip
    assert client.get(f"/api/assets/{aid}").status_code == 404
    r = client.patch(f"/api/assets/{aid}", json={"publication": "published", "version": 1},
                     headers=a)  # fmt: skip
    assert r.status_code == 200 and r.json()["version"] == 2
    r = client.patch(f"/api/assets/{aid}", json={"status": "closed", "version": 2}, headers=b)
    assert r.status_code == 403  # published, but not theirs
    stale = client.patch(f"/api/assets/{aid}", json={"status": "open", "version": 1}, headers=a)
    assert stale.status_code == 409

    listed = client.get(f"/api/areas/{A}/assets").json()["assets"]
    assert [x["id"] for x in listed if x["source"] == "community"] == [aid]
    html = client.get(f"/areas/{A}").text
    assert "The Royal Oak &lt;b&gt;" in html and "Asset of Community Value" in html
    assert "The Royal Oak <b>" not in html  # escaped, never interpreted
    geo = client.get(f"/api/assets.geojson?local_authority={LA}&category=pub").json()
    feats = [f for f in geo["features"] if f["properties"]["asset_id"] == f"community-{aid}"]
    assert len(feats) == 1 and feats[0]["properties"]["asset_of_community_value"] is True
    assert feats[0]["properties"]["lsoa21_code"] == "E01000096"
    rows = list(csv.DictReader(io.StringIO(client.get(f"/api/assets.csv?local_authority={LA}")
                                           .text)))  # fmt: skip
    mine = [x for x in rows if x["asset_id"] == f"community-{aid}"]
    assert len(mine) == 1 and mine[0]["acv_decision"] == "listed"
    assert mine[0]["acv_nominating_group"] == "Becontree Big Local"
    assert mine[0]["name"] == "The Royal Oak <b>"
    history = client.get(f"/api/assets/{aid}/history").json()["history"]
    assert [h["action"] for h in history] == ["create", "publish"]
    assert all("by_email" not in h for h in history)
    # remove: soft, recorded, gone from the public views
    assert client.delete(f"/api/assets/{aid}", headers=b).status_code == 403
    assert client.delete(f"/api/assets/{aid}", headers=a).status_code == 204
    assert client.get(f"/api/assets/{aid}").status_code == 404
    geo = client.get(f"/api/assets.geojson?local_authority={LA}&category=pub").json()
    assert not [f for f in geo["features"] if f["properties"]["asset_id"] == f"community-{aid}"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"category": "castle"}, "category"),
        ({"evidence_url": ""}, "evidence_url"),
        ({"evidence_url": "javascript:alert(1)"}, "evidence_url"),
        ({"postcode": "<script>"}, "postcode"),
        ({"acv_decision_date": "2023-01-01"}, "acv_decision_date"),  # before the nomination
        ({"closed": "2100-12-31", "opened": "2101-01-01"}, "opened"),
    ],
)
def test_bad_assets_are_422_naming_the_field(site, change, field):
    client, tokens = site
    r = client.post(f"/api/areas/{A}/assets", json={**ACV, **change}, headers=bearer(tokens["a"]))
    assert r.status_code == 422 and field in r.text


def test_no_write_without_a_token(site):
    client, _ = site
    assert client.post(f"/api/areas/{A}/assets", json=ACV).status_code == 401
    assert client.post(f"/api/areas/{A}/assets", json=ACV,
                       headers=bearer("nope")).status_code == 401  # fmt: skip


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def test_forms_add_close_and_remove_an_asset(site):
    client, _ = site
    forms = TestClient(client.app)
    token = _csrf(forms.get("/login").text)
    forms.post("/login", data={"email": "a@example.org", "password": PASSWORD, "csrf": token})
    token = _csrf(forms.get("/account").text)
    assert forms.get(f"/areas/{B}/assets/new").status_code == 403
    page = forms.get(f"/areas/{A}/assets/new")
    assert page.status_code == 200 and 'name="acv_nominating_group"' in page.text
    fields = {k: v for k, v in ACV.items()}
    fields.update({"csrf": token, "name": "Parsloes Park", "category": "green_space",
                   "publication": "published"})  # fmt: skip
    bad = forms.post(f"/areas/{A}/assets", data={**fields, "evidence_url": ""})
    assert bad.status_code == 422 and 'id="evidence_url-error"' in bad.text
    no_csrf = forms.post(f"/areas/{A}/assets", data={**fields, "csrf": "x"})
    assert no_csrf.status_code == 403
    made = forms.post(f"/areas/{A}/assets", data=fields, follow_redirects=False)
    assert made.status_code == 303
    path = made.headers["location"]
    closed = forms.post(f"{path}/edit", data={**fields, "status": "closed", "version": "1"})
    assert closed.status_code == 200 and "closed" in closed.text
    stale = forms.post(f"{path}/edit", data={**fields, "status": "open", "version": "1"})
    assert stale.status_code == 409 and "changed by someone else" in stale.text.lower()
    history = client.get(f"/api/{path.lstrip('/')}/history").json()["history"]
    assert [h["action"] for h in history] == ["create", "close"]
    gone = forms.post(f"{path}/delete", data={"csrf": token}, follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"] == f"/areas/{A}"
    assert client.get(f"/api/{path.lstrip('/')}").status_code == 404
