"""The open API on the real evidence store (FastAPI TestClient, no network)."""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette warns at import that it prefers httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BECONTREE = "E05000028"
EDITIONS = {
    "england-2019-ward",
    "england-2023-lsoa",
    "england-2025-lsoa",
    "wales-2022-msoa",
    "scotland-2022-iz",
    "northern-ireland-2022-soa",
}


@pytest.fixture(scope="module")
def client(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition="england-2019-ward"))
    with TestClient(app) as c:
        yield c


@pytest.fixture(scope="module")
def ident(store_path: Path):
    import duckdb

    con = duckdb.connect(str(store_path), read_only=True)
    try:
        yield con.execute("SELECT * FROM identification WHERE edition = 'england-2019-ward'").df()
    finally:
        con.close()


def test_editions_lists_every_edition_with_the_default(client):
    r = client.get("/api/editions")
    assert r.status_code == 200
    items = r.json()["editions"]
    assert {e["id"] for e in items} == EDITIONS
    default = [e for e in items if e["default"]]
    assert [e["id"] for e in default] == ["england-2019-ward"]
    assert all(e["label"] and e["geography"] for e in items)


def test_areas_filters_and_pages_match_the_store(client, ident):
    r = client.get("/api/areas", params={"group": "left_behind", "page_size": 50})
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == int(ident["left_behind"].sum())
    assert body["pages"] == -(-body["total"] // 50)
    assert len(body["items"]) == 50
    assert all(item["group"] == "left_behind" for item in body["items"])
    page2 = client.get("/api/areas", params={"group": "left_behind", "page_size": 50, "page": 2})
    assert {i["code"] for i in page2.json()["items"]}.isdisjoint({i["code"] for i in body["items"]})
    london = client.get("/api/areas", params={"region": "London", "page_size": 1000}).json()
    expected = int((ident["region"] == "London").sum())
    assert london["total"] == expected and all(i["region"] == "London" for i in london["items"])
    bd = client.get("/api/areas", params={"local_authority": "E09000002", "page_size": 100})
    codes = {i["code"] for i in bd.json()["items"]}
    assert BECONTREE in codes
    assert codes == set(ident.loc[ident["local_authority_code"] == "E09000002", "code"])


def test_area_becontree_is_left_behind(client):
    r = client.get(f"/api/areas/{BECONTREE}")
    assert r.status_code == 200
    area = r.json()
    assert area["name"] == "Becontree"
    assert area["group"] == "left_behind" and area["left_behind"] is True
    assert area["published_left_behind"] is True
    assert area["local_authority"] == "Barking and Dagenham"
    assert area["region"] == "London"
    assert area["edition"] == "england-2019-ward"


def test_area_code_from_another_edition_is_found_without_an_edition(client, ident):
    lsoa = client.get("/api/areas", params={"edition": "england-2023-lsoa", "page_size": 1})
    code = lsoa.json()["items"][0]["code"]
    r = client.get(f"/api/areas/{code}")
    assert r.status_code == 200 and r.json()["edition"] == "england-2023-lsoa"
    # ... but an explicit wrong edition is a 404 that says where the code is.
    r = client.get(f"/api/areas/{code}", params={"edition": "england-2019-ward"})
    assert r.status_code == 404
    assert r.json()["error"]["editions"] == ["england-2023-lsoa", "england-2025-lsoa"]


def test_profile_has_nine_dimensions_and_a_plain_summary(client):
    r = client.get(f"/api/areas/{BECONTREE}/profile")
    assert r.status_code == 200
    prof = r.json()
    assert prof["code"] == BECONTREE and prof["group"] == "left_behind"
    assert isinstance(prof["summary"], str) and "Becontree" in prof["summary"]
    assert len(prof["dimensions"]) == 9
    numeric = [
        d for d in prof["dimensions"] if any(i["value"] is not None for i in d["indicators"])
    ]
    assert len(numeric) >= 8


def test_profile_csv_download(client):
    r = client.get(f"/api/areas/{BECONTREE}/profile.csv")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and all(row["code"] == BECONTREE for row in rows)
    assert {"indicator", "value", "percentile", "left_behind", "nation", "source"} <= set(rows[0])


def test_areas_csv_download(client, ident):
    r = client.get("/api/areas.csv", params={"group": "left_behind"})
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == int(ident["left_behind"].sum())
    assert {row["group"] for row in rows} == {"left_behind"}


def test_summary_adds_up(client, ident):
    r = client.get("/api/summary")
    assert r.status_code == 200
    body = r.json()
    total_lb = int(ident["left_behind"].sum())
    assert body["headline"]["left_behind"] == total_lb
    assert sum(row["left_behind"] for row in body["by_region"]) == total_lb
    assert sum(row["left_behind"] for row in body["by_local_authority"]) == total_lb
    assert sum(row["areas"] for row in body["by_rural_urban"]) == len(ident)
    csv_r = client.get("/api/summary.csv")
    assert csv_r.status_code == 200 and "local_authority" in csv_r.text.splitlines()[0]


def test_compare_covers_the_three_groups(client):
    r = client.get("/api/compare", params={"edition": "england-2019-ward"})
    assert r.status_code == 200
    body = r.json()
    assert body["edition"] == "england-2019-ward"
    assert body["comparison"]
    text = json.dumps(body["comparison"])
    assert "left_behind" in text and "other_deprived" in text


def test_local_authorities(client):
    r = client.get("/api/local-authorities")
    assert r.status_code == 200
    las = {la["code"]: la for la in r.json()["items"]}
    assert las["E09000002"]["name"] == "Barking and Dagenham"
    one = client.get("/api/local-authorities/E09000002").json()
    assert BECONTREE in {a["code"] for a in one["areas_list"]}


def test_search_is_typo_tolerant(client):
    for query in ("Becontree", "becontre", "Becontrea", "BECONTREE", BECONTREE):
        items = client.get("/api/search", params={"q": query}).json()["items"]
        assert items and items[0]["code"] == BECONTREE, query
        assert items[0]["url"].startswith(f"/areas/{BECONTREE}")
    councils = client.get("/api/search", params={"q": "barking and dagenam"}).json()["items"]
    assert any(i["kind"] == "la" and i["code"] == "E09000002" for i in councils)
    assert client.get("/api/search", params={"q": ""}).json()["items"] == []


def test_unknown_code_is_404_with_close_matches(client):
    r = client.get("/api/areas/E0500002")
    assert r.status_code == 404
    err = r.json()["error"]
    assert err["type"] == "AreaNotFound"
    codes = [m["code"] for m in err["matches"]]
    assert codes and all(c.startswith("E0500002") for c in codes)
    r = client.get(f"/api/areas/{BECONTREE}X")  # a mistyped code: the nearest codes
    assert r.status_code == 404
    assert BECONTREE in [m["code"] for m in r.json()["error"]["matches"]]
    r = client.get("/api/areas/Becontre/profile")
    assert r.status_code == 404
    assert r.json()["error"]["matches"][0]["code"] == BECONTREE
    r = client.get("/api/local-authorities/E0900000X")
    assert r.status_code == 404 and "no local authority" in r.json()["error"]["message"]


@pytest.mark.parametrize(
    ("url", "params", "parameter"),
    [
        ("/api/areas", {"page": "0"}, "page"),
        ("/api/areas", {"page": "two"}, "page"),
        ("/api/areas", {"page_size": "5000"}, "page_size"),
        ("/api/areas", {"group": "poor"}, "group"),
        ("/api/areas", {"edition": "england-1999"}, "edition"),
        ("/api/summary", {"edition": "nope"}, "edition"),
        ("/api/areas.geojson", {"detail": "huge"}, "detail"),
        ("/api/search", {"limit": "0"}, "limit"),
        (f"/api/areas/{BECONTREE}/profile", {"edition": "x" * 100}, "edition"),
    ],
)
def test_bad_parameters_are_422_naming_the_parameter(client, url, params, parameter):
    r = client.get(url, params=params)
    assert r.status_code == 422, r.text
    message = r.json()["error"]["message"]
    assert f"'{parameter}'" in message
    assert "Traceback" not in r.text


@pytest.mark.parametrize(
    ("params", "parameter", "hint"),
    [
        ({"region": "Atlantis"}, "region", "E12000007"),
        ({"local_authority": "Barking and Dagenhm"}, "local_authority", "E09000002"),
    ],
)
def test_filters_naming_nothing_are_404_with_the_valid_names(client, params, parameter, hint):
    """A filter naming no region or council of the edition is 'not found' (as an unknown area
    code is), so every schema-valid request is answered 2xx or 404."""
    for url in ("/api/areas", "/api/areas.csv"):
        r = client.get(url, params=params)
        assert r.status_code == 404, r.text
        message = r.json()["error"]["message"]
        assert f"'{parameter}'" in message and hint in message


def test_etag_gives_304(client):
    for url in (f"/api/areas/{BECONTREE}/profile", "/api/editions", "/api/areas.geojson"):
        first = client.get(url)
        etag = first.headers["etag"]
        assert "max-age" in first.headers["cache-control"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.content == b""
        changed = client.get(url, headers={"If-None-Match": '"other"'})
        assert changed.status_code == 200
        # The gzip copy is another representation with its own tag; either tag validates.
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        gzipped = first.headers.get("content-encoding") == "gzip"
        assert (plain.headers["etag"] != etag) == gzipped
        both = client.get(url, headers={"If-None-Match": plain.headers["etag"]})
        assert both.status_code == 304 and both.headers["etag"] == etag


def test_gzip_when_accepted(client):
    for url in ("/api/areas.geojson?detail=map", "/", f"/api/areas/{BECONTREE}/profile"):
        r = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert r.headers.get("content-encoding") == "gzip", url
        plain = client.get(url, headers={"Accept-Encoding": "identity"})
        assert "content-encoding" not in plain.headers
        assert plain.content == r.content  # httpx decoded the gzip copy


def _raw_size(client, url: str) -> tuple[int, bytes]:
    with client.stream("GET", url, headers={"Accept-Encoding": "gzip"}) as r:
        assert r.status_code == 200
        assert r.headers["content-encoding"] == "gzip"
        raw = b"".join(r.iter_raw())
    return len(raw), gzip.decompress(raw)


def test_geojson_for_the_map_is_small_and_complete(client, ident):
    size, body = _raw_size(client, "/api/areas.geojson?detail=map")
    assert size <= 2.5e6, f"map GeoJSON is {size / 1e6:.2f} MB gzipped"
    fc = json.loads(body)
    assert fc["type"] == "FeatureCollection"
    codes = {f["properties"]["c"] for f in fc["features"]}
    assert len(codes) >= 0.99 * len(ident)
    groups = {f["properties"]["g"] for f in fc["features"]}
    assert groups == {"left_behind", "other_deprived", "rest"}
    numbers = re.findall(r"-?\d+\.(\d+)", json.dumps(fc["features"][0]["geometry"]))
    assert numbers and max(len(n) for n in numbers) <= 4
    _, full = _raw_size(client, "/api/areas.geojson?group=left_behind")
    features = json.loads(full)["features"]
    assert len(features) == int(ident["left_behind"].sum())
    assert all(f["properties"]["group"] == "left_behind" for f in features)
    outlines = client.get("/api/local-authorities.geojson").json()
    assert len(outlines["features"]) >= 300


def test_openapi_documents_every_endpoint(client):
    paths = set(client.get("/openapi.json").json()["paths"])
    for path in (
        "/api/editions",
        "/api/areas",
        "/api/areas/{code}",
        "/api/areas/{code}/profile",
        "/api/areas/{code}/profile.csv",
        "/api/summary",
        "/api/compare",
        "/api/areas.geojson",
        "/api/areas.csv",
        "/api/search",
    ):
        assert path in paths
    docs = client.get("/docs")
    assert docs.status_code == 200
    assert "/api/areas/{code}/profile" in docs.text
    assert "cdn" not in docs.text.lower()


def test_maplibre_is_served_from_the_installed_package(client):
    r = client.get("/vendor/maplibre/maplibre-gl.js")
    assert r.status_code == 200 and len(r.content) > 100_000
    assert "max-age" in r.headers["cache-control"]


def test_missing_store_is_503_saying_how_to_build(tmp_path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=tmp_path))
    with TestClient(app) as c:
        r = c.get("/api/editions")
        assert r.status_code == 503
        assert "leftbehind build" in r.json()["error"]["message"]
        page = c.get("/")
        assert page.status_code == 503
        assert "leftbehind build" in page.text and "<h1>" in page.text
