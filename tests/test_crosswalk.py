"""Crosswalk downloads and the map's place names.

Expected answers come from the store's own tables (``place_crosswalk``, ``today_wards``,
``boundaries``), never written down by hand; the ward of today is checked against the ONS ward
lookup row the store was built from.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import warnings
from collections import defaultdict
from pathlib import Path

import pytest
import shapely

from leftbehind.errors import UnknownName
from leftbehind.places import crosswalk
from test_browser import ARTIFACTS, CHROMIUM, _axe, _shot, _wait_painted, browser, capture, server  # noqa: F401

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def client(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition="england-2019-ward"))
    with TestClient(app) as c:
        yield c


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# -- the library --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("edition", "from_type"),
    [
        ("england-2019-ward", "ward"),
        ("england-2019-ward", "lsoa21"),
        ("england-2023-lsoa", "ward"),
        ("wales-2022-msoa", "lsoa21"),
        ("scotland-2022-iz", "ward"),
        ("northern-ireland-2022-soa", "ward"),
    ],
)
def test_rows_are_the_stores_crosswalk_with_shares_adding_up(con, edition, from_type):
    rows = crosswalk.crosswalk_rows(con, edition, from_type)
    stored = con.execute(
        "SELECT count(*), count(DISTINCT from_code) FROM place_crosswalk "
        "WHERE edition = ? AND from_type = ?",
        [edition, from_type],
    ).fetchone()
    assert len(rows) == stored[0]
    totals: dict[str, float] = defaultdict(float)
    pieces: dict[str, int] = defaultdict(int)
    for r in rows:
        assert list(r) == crosswalk.COLUMNS
        assert 0 < r["share"] <= 1
        assert r["method_description"]
        totals[r["from_code"]] += r["share"]
        pieces[r["from_code"]] += 1
    assert len(totals) == stored[1]
    # each ward's or LSOA's residents are all placed: the shares (stored to 4 decimals) add up
    # to 1 within half a unit of the 4th decimal per piece
    off = {c: t for c, t in totals.items() if abs(t - 1) > pieces[c] * 0.5e-4 + 1e-12}
    assert not off, list(off.items())[:5]
    # every area named: all areas of the edition's geography are in the store's areas table
    assert all(r["area_name"] for r in rows)


def test_unchanged_ward_is_exact_and_a_new_ward_is_carried_by_residents(con):
    rows = crosswalk.crosswalk_rows(con, "england-2019-ward", "ward")
    by_code = defaultdict(list)
    for r in rows:
        by_code[r["from_code"]].append(r)
    # a 2017 ward still in use is its own area, whole
    exact = [rs for code, rs in by_code.items() if rs[0]["method"] == "exact"]
    assert exact and all(
        len(rs) == 1 and rs[0]["area_code"] == rs[0]["from_code"] and rs[0]["share"] == 1
        for rs in exact
    )
    # Barking Riverside (a ward of 2022) did not exist in 2017: carried by its residents
    (code,) = con.execute(
        "SELECT code FROM today_wards WHERE name = 'Barking Riverside'"
    ).fetchone()
    got = by_code[code]
    assert got and all(r["method"] == "best_fit_population" for r in got)
    assert {r["from_name"] for r in got} == {"Barking Riverside"}
    expected = con.execute(
        "SELECT area_code, share FROM place_crosswalk WHERE edition = 'england-2019-ward' "
        "AND from_type = 'ward' AND from_code = ? ORDER BY share DESC",
        [code],
    ).fetchall()
    assert [(r["area_code"], r["share"]) for r in got] == [(a, round(s, 6)) for a, s in expected]


def test_unknown_crosswalks_say_what_exists(con):
    with pytest.raises(UnknownName, match="choose one of: ward, lsoa21"):
        crosswalk.crosswalk_rows(con, "england-2019-ward", "msoa")
    with pytest.raises(UnknownName, match="a postcode's LSOA is the area itself"):
        crosswalk.crosswalk_rows(con, "england-2023-lsoa", "lsoa21")
    with pytest.raises(UnknownName, match="unknown edition"):
        crosswalk.crosswalk_rows(con, "england-1066", "ward")


# -- the API, the CLI and the methods page -------------------------------------------------------
def test_crosswalk_csv_download_matches_the_library(client, con):
    r = client.get("/api/crosswalks/ward.csv?edition=england-2023-lsoa")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/csv")
    assert "leftbehind-england-2023-lsoa-crosswalk-ward.csv" in r.headers["content-disposition"]
    got = _rows(r.text)
    want = crosswalk.crosswalk_rows(con, "england-2023-lsoa", "ward")
    assert len(got) == len(want)
    assert got[0].keys() == set(crosswalk.COLUMNS)
    for g, w in zip(got[:500], want[:500], strict=True):
        assert g["from_code"] == w["from_code"] and g["area_code"] == w["area_code"]
        assert float(g["share"]) == pytest.approx(w["share"])
    # a second request revalidates
    again = client.get(
        "/api/crosswalks/ward.csv?edition=england-2023-lsoa",
        headers={"If-None-Match": r.headers["etag"]},
    )
    assert again.status_code == 304


def test_crosswalk_api_errors(client):
    r = client.get("/api/crosswalks/lsoa21.csv?edition=england-2023-lsoa")
    assert r.status_code == 404
    assert "a postcode's LSOA is the area itself" in r.text
    assert client.get("/api/crosswalks/msoa.csv").status_code == 422
    assert client.get("/api/crosswalks/ward.csv?edition=nowhere").status_code in (404, 422)


def test_cli_writes_the_same_csv(client, store_path, tmp_path):
    out = tmp_path / "x.csv"
    env = {"LEFTBEHIND_HOME": str(store_path.parent), "PATH": "/usr/bin:/bin"}
    import os

    env["PYTHONPATH"] = os.environ.get("PYTHONPATH", "")
    done = subprocess.run(
        [sys.executable, "-m", "leftbehind", "crosswalk", "lsoa21", "--edition",
         "wales-2022-msoa", "-o", str(out)],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    api = client.get("/api/crosswalks/lsoa21.csv?edition=wales-2022-msoa")
    assert out.read_text() == api.text
    bad = subprocess.run(
        [sys.executable, "-m", "leftbehind", "crosswalk", "lsoa21", "--edition",
         "england-2023-lsoa"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr
    assert "area itself" in bad.stderr


def test_methods_page_links_the_editions_crosswalks(client):
    page = client.get("/methods?edition=england-2019-ward").text
    assert 'href="/api/crosswalks/ward.csv?edition=england-2019-ward"' in page
    assert 'href="/api/crosswalks/lsoa21.csv?edition=england-2019-ward"' in page
    lsoa = client.get("/methods?edition=england-2023-lsoa").text
    assert 'href="/api/crosswalks/ward.csv?edition=england-2023-lsoa"' in lsoa
    assert "/api/crosswalks/lsoa21.csv?edition=england-2023-lsoa" not in lsoa


# -- place names --------------------------------------------------------------------------------
@pytest.mark.parametrize("edition", ["england-2019-ward", "scotland-2022-iz"])
def test_map_labels_name_every_council_at_a_point_inside_it(client, con, edition):
    r = client.get(f"/api/map-labels?edition={edition}")
    assert r.status_code == 200
    items = r.json()["local_authorities"]
    listed = client.get(f"/api/local-authorities?edition={edition}").json()["items"]
    las = {la["code"]: la for la in listed}
    assert {i["c"] for i in items} <= set(las)
    assert len(items) == len({i["c"] for i in items})
    drawn = json.loads(client.get(f"/api/local-authorities.geojson?edition={edition}").text)
    assert len(items) == len(drawn["features"])  # every outline drawn is named
    for item in items[:40]:
        assert item["n"] == las[item["c"]]["name"]
        assert item["lb"] == las[item["c"]]["left_behind"]
        blob = con.execute(
            "SELECT geometry FROM boundaries WHERE code = ? LIMIT 1", [item["c"]]
        ).fetchone()[0]
        shape = shapely.from_wkb(bytes(blob))
        assert shape.buffer(1e-3).contains(shapely.Point(item["x"], item["y"]))
    counts = [i["lb"] for i in items]
    assert counts == sorted(counts, reverse=True)  # councils with most left-behind areas first


@pytest.mark.browser
def test_home_map_names_councils_then_areas_when_zoomed_in(server, browser):  # noqa: F811
    for width, height in ((1280, 900), (375, 740)):
        context = browser.new_context(viewport={"width": width, "height": height})
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        pg.goto(server + "/")
        _wait_painted(pg)
        pg.wait_for_function(
            "() => Number(document.getElementById('map').getAttribute('data-labels-shown')) > 0",
            timeout=20000,
        )
        _shot(pg, f"home-labels-councils-{width}")
        names = pg.locator(".map-label-council").all_text_contents()
        assert 3 <= len(names) <= 80
        labels = json.loads(pg.evaluate("() => fetch('/api/map-labels').then(r => r.text())"))
        known = {i["n"] for i in labels["local_authorities"]}
        assert set(names) <= known
        # no two labels overlap on screen
        boxes = pg.evaluate(
            "() => [...document.querySelectorAll('.map-label')].map(e => {"
            "const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; })"
        )
        for i, a in enumerate(boxes):
            for b in boxes[i + 1 :]:
                apart_x = a[2] - 1 <= b[0] or b[2] - 1 <= a[0]
                apart_y = a[3] - 1 <= b[1] or b[3] - 1 <= a[1]
                assert apart_x or apart_y, (a, b)
        # zoom in on Becontree: areas are named, and the names are of areas drawn there
        pg.evaluate("() => __map.jumpTo({center: [0.125, 51.545], zoom: 13})")
        pg.wait_for_function(
            "() => document.getElementById('map').getAttribute('data-labels-kind') === 'area'"
            " && Number(document.getElementById('map').getAttribute('data-labels-shown')) > 0",
            timeout=20000,
        )
        _shot(pg, f"home-labels-areas-{width}")
        areas = set(pg.locator(".map-label-area").all_text_contents())
        drawn = set(
            pg.evaluate(
                "() => __map.queryRenderedFeatures({layers: ['areas-fill']})"
                ".map(f => f.properties.n)"
            )
        )
        assert areas and areas <= drawn
        size = pg.evaluate(
            "() => parseFloat(getComputedStyle(document.querySelector('.map-label')).fontSize)"
        )
        assert size >= 12
        assert errors == []
        if width == 375:
            assert _axe(pg, "home-labels-phone") == []
        context.close()


# -- the area page's small map ------------------------------------------------------------------
def test_area_map_bounds_hold_the_area_and_room_for_its_neighbours(client, con):
    from leftbehind.observatory import Observatory

    obs = client.app.state.observatory
    assert isinstance(obs, Observatory)
    box = obs.area_map_bounds("england-2019-ward", "E05000028")
    blob = con.execute(
        "SELECT geometry FROM boundaries WHERE code = 'E05000028' AND type = 'ward17'"
    ).fetchone()[0]
    w, s, e, n = shapely.bounds(shapely.from_wkb(bytes(blob))).tolist()
    assert box[0] < w and box[1] < s and box[2] > e and box[3] > n
    # widened by 0.8 of the area's size on each side (to the stored 4 decimals)
    assert box[2] - box[0] == pytest.approx((e - w) * 2.6, abs=1e-3)
    assert obs.area_map_bounds("england-2019-ward", "E05999999") is None
    page = client.get("/areas/E05000028").text
    assert 'data-highlight="E05000028"' in page and "Where Becontree is" in page


@pytest.mark.browser
def test_area_page_map_outlines_the_area_among_its_neighbours(server, browser):  # noqa: F811
    for width, height in ((1280, 900), (375, 740)):
        context = browser.new_context(viewport={"width": width, "height": height})
        pg = context.new_page()
        errors: list[str] = []
        pg.on("pageerror", lambda exc, errors=errors: errors.append(str(exc)))
        pg.goto(server + "/areas/E05000028")
        _wait_painted(pg)
        drawn = pg.evaluate(
            "() => [...new Set(__map.queryRenderedFeatures({layers: ['areas-fill']})"
            ".map(f => f.properties.c))]"
        )
        assert "E05000028" in drawn and len(drawn) >= 5  # the area and its neighbours
        selected = pg.evaluate(
            "() => __map.queryRenderedFeatures({layers: ['areas-selected']})"
            ".map(f => f.properties.c)"
        )
        assert selected and set(selected) == {"E05000028"}
        capture(pg.locator("#map"), path=str(ARTIFACTS / f"area-map-{width}.png"))
        assert errors == []
        if width == 375:
            assert _axe(pg, "area-map-phone") == []
        context.close()
