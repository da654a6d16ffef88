"""Maps and filters that do what they say (issue 17): GeoJSON honours local_authority, group
and region; every API operation rejects query parameters it does not declare (422 naming
them, as /docs promises); the council page has a map of its areas."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

THANET = "E07000114"


@pytest.fixture(scope="module")
def client(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition="england-2019-ward"))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def thanet(store_path: Path) -> dict[str, str]:
    """Thanet's 2019 wards and their groups, straight from the identification table."""
    import duckdb

    con = duckdb.connect(str(store_path), read_only=True)
    try:
        rows = con.execute(
            "SELECT code, \"group\" FROM identification WHERE edition = 'england-2019-ward' "
            "AND local_authority_code = ?",
            [THANET],
        ).fetchall()
    finally:
        con.close()
    return dict(rows)


def test_areas_geojson_of_one_local_authority_is_only_its_areas(client, thanet):
    assert len(thanet) > 10
    r = client.get(f"/api/areas.geojson?local_authority={THANET}")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("application/geo+json")
    features = r.json()["features"]
    assert {f["properties"]["code"] for f in features} == set(thanet)
    assert {f["properties"]["local_authority_code"] for f in features} == {THANET}
    assert len(r.content) < 200_000  # not all of England (about 6.5 MB)


def test_areas_geojson_local_authority_by_name_with_group_and_map_detail(client, thanet):
    r = client.get("/api/areas.geojson?local_authority=thanet&group=left_behind&detail=map")
    assert r.status_code == 200
    codes = {f["properties"]["c"] for f in r.json()["features"]}
    assert codes == {c for c, g in thanet.items() if g == "left_behind"}
    assert codes  # Thanet has 'left behind' wards


def test_areas_geojson_region_filter(client):
    r = client.get("/api/areas.geojson?region=E12000008&detail=map&group=left_behind")
    assert r.status_code == 200
    codes = {f["properties"]["c"] for f in r.json()["features"]}
    rows = client.get("/api/areas?region=E12000008&group=left_behind&page_size=1000").json()[
        "items"
    ]
    assert codes == {r["code"] for r in rows}


def test_unknown_local_authority_is_404_with_the_parameter_named(client):
    r = client.get("/api/areas.geojson?local_authority=Nowhereshire")
    assert r.status_code == 404
    assert "local_authority" in r.json()["error"]["message"]


def test_local_authority_outline_geojson_filter(client):
    r = client.get(f"/api/local-authorities.geojson?local_authority={THANET}")
    assert r.status_code == 200
    assert [f["properties"]["c"] for f in r.json()["features"]] == [THANET]


@pytest.mark.parametrize(
    "url",
    [
        "/api/areas?bogus=1",
        "/api/areas.geojson?bogus=1",
        "/api/editions?x=",
        "/api/areas/E05000028?edition=england-2019-ward&colour=red",
        "/api/summary?bogus=1",
        "/api/search?q=becontree&bogus=1",
        "/api/allocations?budget=1000000&budjet=2",
        "/tiles/ward17/0/0/0.mvt?v=2",
    ],
)
def test_unknown_query_parameters_are_422_naming_them(client, url):
    r = client.get(url)
    assert r.status_code == 422, url
    body = r.json()["error"]
    unknown = url.rsplit("&", 1)[-1].split("?")[-1].split("=")[0]
    assert body["type"] == "InvalidInput"
    assert [p["parameter"] for p in body["problems"]] == [unknown]
    assert f"'{unknown}'" in body["message"]


def test_every_api_get_operation_rejects_an_unknown_parameter(client):
    """Every documented GET operation, by its schema: declared parameters pass, others 422."""
    schema = client.get("/openapi.json").json()
    checked = 0
    for path, methods in schema["paths"].items():
        if "get" not in methods or "{" in path:
            continue
        r = client.get(f"{path}?not_a_parameter=1")
        assert r.status_code == 422, path
        assert r.json()["error"]["problems"][0]["parameter"] == "not_a_parameter"
        checked += 1
    assert checked >= 10


def test_declared_parameters_and_pages_still_work(client):
    assert client.get("/api/areas?edition=england-2019-ward&page=2&page_size=5").status_code == 200
    assert client.get("/api/grants/summary?from=2019&to=2022").status_code == 200  # aliases
    assert client.get("/?utm_source=newsletter").status_code == 200  # pages take any query


def test_council_page_has_a_map_of_its_areas(client):
    r = client.get(f"/local-authorities/{THANET}")
    assert r.status_code == 200
    html = r.text
    assert 'id="map"' in html and "/static/map.js" in html
    wanted = "/api/areas.geojson?edition=england-2019-ward&amp;detail=map&amp;local_authority="
    assert wanted + THANET in html
    bounds = html.split('data-bounds="', 1)[1].split('"', 1)[0]
    west, south, east, north = (float(v) for v in bounds.strip("[]").split(","))
    assert 1.1 < west < east < 1.5 and 51.2 < south < north < 51.45  # Thanet, on the Kent coast
