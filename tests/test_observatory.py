"""The observatory layer: one document and one search for the CLI and the web, views prepared
by the build."""

from __future__ import annotations

import html
import json
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

with warnings.catch_warnings():  # starlette warns at import that it prefers httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from leftbehind.editions import EDITIONS
from leftbehind.observatory import Observatory
from leftbehind.observatory.views import VIEWS_TABLE, load_view

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    with TestClient(create_app(fresh_settings(home=store_path.parent))) as c:
        yield c


@pytest.fixture(scope="module")
def runner(store_path: Path) -> CliRunner:
    return CliRunner(env={"LEFTBEHIND_HOME": str(store_path.parent)})


@pytest.mark.parametrize("edition", list(EDITIONS))
def test_cli_summary_json_is_the_api_document(client, runner, edition):
    from leftbehind.cli.main import app

    result = runner.invoke(app, ["summary", "--edition", edition, "--json"])
    assert result.exit_code == 0, result.output
    api = client.get("/api/summary", params={"edition": edition})
    assert api.status_code == 200
    assert json.loads(result.stdout) == api.json()
    assert api.json()["edition"] == edition


def test_summary_at_other_thresholds_is_computed_in_the_same_shape(client, runner):
    from leftbehind.cli.main import app

    wide = runner.invoke(app, ["summary", "--cni-threshold", "0.2", "--json"])
    assert wide.exit_code == 0, wide.output
    wide_doc = json.loads(wide.stdout)
    default = client.get("/api/summary").json()
    assert set(wide_doc) == set(default)
    assert wide_doc["cni_threshold"] == 0.2
    assert wide_doc["headline"]["left_behind"] > default["headline"]["left_behind"]


@pytest.mark.parametrize(
    "query", ["Becontree", "becontre", "E05000028", "Barking", "St Marys", "E0500002"]
)
def test_cli_and_web_search_return_the_same_areas(client, runner, query):
    from leftbehind.cli.main import app

    result = runner.invoke(app, ["search", query, "--json", "--limit", "10"])
    assert result.exit_code == 0, result.output
    cli = [(i["code"], i["kind"]) for i in json.loads(result.stdout)["items"]]
    web = [(i["code"], i["kind"]) for i in client.get(
        "/api/search", params={"q": query, "limit": 10}).json()["items"]]  # fmt: skip
    assert cli == web and cli


def test_every_edition_has_every_view_prepared(con):
    keys = {
        r[0]: r[1]
        for r in con.execute(
            f"SELECT edition, list(key ORDER BY key) FROM {VIEWS_TABLE} GROUP BY edition"
        ).fetchall()
    }
    assert set(keys) == set(EDITIONS)
    for edition, names in keys.items():
        assert {"edition", "areas", "local_authorities", "summary", "compare", "robustness",
                "validation", "geojson:map:all", "geojson:full:all", "geojson:la",
                "geojson:map:left_behind"} <= set(names), edition  # fmt: skip


def test_prepared_views_match_the_identification(con):
    for edition in EDITIONS:
        n, lb = con.execute(
            "SELECT count(*), sum(left_behind::INT) FROM identification WHERE edition = ?",
            [edition],
        ).fetchone()
        summary = json.loads(load_view(con, edition, "summary").body)
        areas = json.loads(load_view(con, edition, "areas").body)
        assert summary["headline"]["areas"] == n == len(areas)
        assert summary["headline"]["left_behind"] == lb
        assert sum(a["group"] == "left_behind" for a in areas) == lb
        assert sum(r["left_behind"] for r in summary["by_local_authority"]) == lb
        layer = json.loads(load_view(con, edition, "geojson:map:left_behind").body)
        assert {f["properties"]["g"] for f in layer["features"]} <= {"left_behind"}


def test_a_fresh_observatory_reads_views_without_computing(store_path):
    obs = Observatory(store_path, "england-2019-ward")
    try:
        data = obs.edition(None)
        assert data.id == "england-2019-ward" and data.count == 7433
        payload = obs.geojson("england-2023-lsoa", None, "map")
        assert payload.gzipped is not None and payload.etag.startswith('"')
        assert obs.map_bounds("england-2023-lsoa")[0] < -5
        sentence = obs.robustness(data, "E05000028")
        assert sentence and "plausible" in sentence
    finally:
        obs.close()


def test_new_edition_pages_say_there_is_no_published_list(client):
    r = client.get("/methods", params={"edition": "england-2025-lsoa"})
    assert r.status_code == 200
    assert "no published list" in r.text.lower()
    home = client.get("/", params={"edition": "england-2025-lsoa"})
    assert home.status_code == 200 and "one of England's 'left behind'" in html.unescape(home.text)
    geo = client.get("/api/areas.geojson", params={"edition": "england-2025-lsoa", "detail": "map"})
    assert geo.status_code == 200 and len(geo.json()["features"]) == 33755


def _tile_xy(lon: float, lat: float, z: int) -> tuple[int, int]:
    """The XYZ tile holding a point (Web Mercator)."""
    import math

    n = 2**z
    x = int((lon + 180) / 360 * n)
    y = int((1 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2 * n)
    return x, y


def test_vector_tiles_carry_codes_and_each_editions_group(client, con):
    import gzip

    import mapbox_vector_tile

    # Becontree ward (Barking and Dagenham, about 0.13 E 51.55 N) at zoom 10
    x, y = _tile_xy(0.13, 51.55, 10)
    r = client.get(f"/tiles/ward17/10/{x}/{y}.mvt", headers={"Accept-Encoding": "gzip"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/vnd.mapbox-vector-tile"
    assert "max-age=86400" in r.headers["cache-control"] and r.headers["etag"]
    layer = mapbox_vector_tile.decode(r.content)["areas"]
    props = {f["properties"]["c"]: f["properties"] for f in layer["features"]}
    group = con.execute(
        "SELECT \"group\" FROM identification WHERE edition = 'england-2019-ward' AND code = ?",
        ["E05000028"],
    ).fetchone()[0]
    assert props["E05000028"]["g:england-2019-ward"] == group
    # the two LSOA editions share one tileset, with a group property for each
    lx, ly = _tile_xy(0.13, 51.55, 12)
    raw = client.get(f"/tiles/lsoa21/12/{lx}/{ly}.mvt").content
    lsoa = mapbox_vector_tile.decode(raw if raw[:2] != b"\x1f\x8b" else gzip.decompress(raw))
    first = lsoa["areas"]["features"][0]["properties"]
    assert {"c", "n", "g:england-2023-lsoa", "g:england-2025-lsoa"} <= set(first)
    # open sea: no tile; an unknown geography: 404 naming the valid ones
    assert client.get("/tiles/ward17/10/0/0.mvt").status_code == 204
    bad = client.get("/tiles/nowhere/0/0/0.mvt")
    assert bad.status_code == 404 and "ward17" in bad.json()["error"]["message"]


def test_home_map_uses_the_tiles(client):
    page = client.get("/", params={"edition": "england-2023-lsoa"}).text
    assert 'data-tiles="/tiles/lsoa21/{z}/{x}/{y}.mvt"' in page
    assert 'data-group-key="g:england-2023-lsoa"' in page
