"""Charts to take away (issue 17): an area's chart as SVG and PNG (rendered on the server),
its data as CSV, a chart-only page to embed (the one page other sites may frame), and the
project's own favicon."""

from __future__ import annotations

import csv
import io
import re
import struct
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
BECONTREE = "E05000028"


@pytest.fixture(scope="module")
def client(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition="england-2019-ward"))
    with TestClient(app) as c:
        yield c


def test_chart_svg_is_the_area_pages_chart(client):
    r = client.get(f"/areas/{BECONTREE}/chart.svg")
    assert r.status_code == 200 and r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith('<?xml version="1.0"') and "<svg" in r.text
    page = client.get(f"/areas/{BECONTREE}").text
    svg = r.text.split("\n", 1)[1]
    assert svg in page  # the very chart the page shows


def test_chart_png_is_a_real_image_of_the_chart(client):
    r = client.get(f"/areas/{BECONTREE}/chart.png")
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    png = r.content
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", png[16:24])
    svg = client.get(f"/areas/{BECONTREE}/chart.svg").text
    w, h = (int(v) for v in re.search(r'width="(\d+)" height="(\d+)"', svg).groups())
    assert (width, height) == (2 * w, 2 * h)  # drawn at twice its size
    assert client.get(f"/areas/{BECONTREE}/chart.png").content == png  # kept once rendered


def test_chart_csv_is_the_charts_data(client):
    r = client.get(f"/areas/{BECONTREE}/chart.csv")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    prof = client.get(f"/api/areas/{BECONTREE}/profile").json()
    assert [row["dimension_id"] for row in rows] == [d["id"] for d in prof["dimensions"]]
    svg = client.get(f"/areas/{BECONTREE}/chart.svg").text
    for row, dim in zip(rows, prof["dimensions"], strict=True):
        if dim["need_percentile"] is None:
            assert row["area"] == ""
            continue
        assert float(row["area"]) == dim["need_percentile"]
        assert f"{dim['label']}: {dim['need_percentile']:.0f} for this area" in svg


def test_embed_page_may_be_framed_and_the_area_page_shows_the_snippet(client):
    r = client.get(f"/embed/areas/{BECONTREE}/chart")
    assert r.status_code == 200
    assert "frame-ancestors *" in r.headers["content-security-policy"]
    assert "x-frame-options" not in r.headers
    assert "<svg" in r.text and f"/areas/{BECONTREE}/chart.csv" in r.text
    page = client.get(f"/areas/{BECONTREE}")
    assert page.headers["x-frame-options"] == "DENY"  # other pages stay unframeable
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert (
        f"&lt;iframe src=&#34;http://testserver/embed/areas/{BECONTREE}/chart"
        in (page.text.replace('"', "&#34;"))
        or f'&lt;iframe src="http://testserver/embed/areas/{BECONTREE}/chart' in page.text
    )
    for ext in ("svg", "png", "csv"):
        assert f"/areas/{BECONTREE}/chart.{ext}?edition=england-2019-ward" in page.text


def test_no_chart_for_an_unknown_area(client):
    assert client.get("/areas/NOWHERE9/chart.png").status_code == 404
    assert client.get("/embed/areas/NOWHERE9/chart").status_code == 404


def test_favicon_is_an_ico_drawn_by_the_project(client):
    r = client.get("/favicon.ico")
    assert r.status_code == 200 and r.headers["content-type"] == "image/vnd.microsoft.icon"
    reserved, kind, count = struct.unpack("<HHH", r.content[:6])
    assert (reserved, kind, count) == (0, 1, 3)
    sizes = [r.content[6 + 16 * i] for i in range(count)]
    assert sizes == [16, 32, 48]
    offset = struct.unpack("<I", r.content[6 + 12 : 6 + 16])[0]
    assert r.content[offset : offset + 8] == b"\x89PNG\r\n\x1a\n"


# -- every chart of the site: trend, robustness, three futures ---------------------------------
def _svg_body(r) -> str:
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("image/svg+xml")
    assert r.text.startswith('<?xml version="1.0"')
    return r.text.split("\n", 1)[1]


def _png_size(r) -> tuple[int, int]:
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    assert r.content[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", r.content[16:24])


def _svg_size(svg: str) -> tuple[int, int]:
    w, h = re.search(r'width="(\d+)" height="(\d+)"', svg).groups()
    return int(w), int(h)


def test_the_area_trend_chart_is_the_pages_and_its_csv_the_trend_api(client):
    base = f"/areas/{BECONTREE}/charts/trend"
    svg = _svg_body(client.get(base + ".svg"))
    page = client.get(f"/areas/{BECONTREE}").text
    assert svg in page
    for ext in ("svg", "png", "csv"):
        assert f"{base}.{ext}?edition=england-2019-ward" in page
    assert f"/embed/areas/{BECONTREE}/charts/trend?edition=england-2019-ward" in page
    assert _png_size(client.get(base + ".png")) == tuple(2 * v for v in _svg_size(svg))
    r = client.get(base + ".csv")
    assert f"leftbehind-england-2019-ward-{BECONTREE}-trend.csv" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    series = client.get(f"/api/areas/{BECONTREE}/trend").json()["series"]
    assert [int(row["year"]) for row in rows] == [p["year"] for p in series]
    for row, point in zip(rows, series, strict=True):
        want = "" if point["percentile"] is None else point["percentile"]
        assert (row["percentile"] and float(row["percentile"])) == (want and float(want))
    assert client.get(f"/api/areas/{BECONTREE}/trend.csv").text == r.text  # one data, two doors


def test_the_robustness_chart_is_the_methods_pages_and_its_csv_every_area(client, con):
    from leftbehind.robustness.results import AREA_COLUMNS, stored_result

    svg = _svg_body(client.get("/charts/robustness.svg"))
    page = client.get("/methods").text
    assert svg in page and "/charts/robustness.csv?edition=england-2019-ward" in page
    assert _png_size(client.get("/charts/robustness.png")) == tuple(2 * v for v in _svg_size(svg))
    r = client.get("/charts/robustness.csv")
    assert "leftbehind-england-2019-ward-robustness.csv" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert list(rows[0]) == AREA_COLUMNS
    stored = stored_result(con, "england-2019-ward").areas.set_index("code")
    assert len(rows) == len(stored) == 7433  # every ward of 2017 (the edition's areas)
    becontree = next(row for row in rows if row["code"] == BECONTREE)
    assert float(becontree["p_left_behind"]) == pytest.approx(
        float(stored.loc[BECONTREE, "p_left_behind"])
    )


def test_the_futures_charts_are_the_summarys_and_their_csv_adds_up(client):
    futures = client.get("/api/futures").json()
    page = client.get("/summary").text
    for period in futures["periods"]:
        kind = f"futures-{period['start']}-{period['end']}"
        svg = _svg_body(client.get(f"/charts/{kind}.svg"))
        assert f"/charts/{kind}.png?edition=england-2019-ward" in page
        assert f"Where people live: IMD {period['start']} to {period['end']}" in svg
        rows = list(csv.DictReader(io.StringIO(client.get(f"/charts/{kind}.csv").text)))
        for group in period["groups"]:
            mine = [row for row in rows if row["group"] == group["group"]]
            assert len(mine) == 3  # three futures
            assert sum(int(row["population"]) for row in mine) <= group["population"]
            for row in mine:
                want = group["futures"][row["future"]]
                assert int(row["areas"]) == want["areas"]
                assert int(row["population"]) == want["population"]


def test_embed_pages_for_every_chart_may_be_framed(client):
    futures = client.get("/api/futures").json()["periods"][0]
    kind = f"futures-{futures['start']}-{futures['end']}"
    for path, data in [
        (f"/embed/areas/{BECONTREE}/charts/trend", f"/areas/{BECONTREE}/charts/trend.csv"),
        ("/embed/charts/robustness", "/charts/robustness.csv"),
        (f"/embed/charts/{kind}", f"/charts/{kind}.csv"),
    ]:
        r = client.get(path)
        assert r.status_code == 200, path
        assert "frame-ancestors *" in r.headers["content-security-policy"]
        assert "<svg" in r.text and f"{data}?edition=england-2019-ward" in r.text


def test_unknown_charts_are_a_404_naming_the_ones_there_are(client):
    r = client.get(f"/areas/{BECONTREE}/charts/pie.svg")
    assert r.status_code == 404 and "profile, trend" in r.text
    r = client.get("/charts/futures-1999-2000.csv")
    assert r.status_code == 404 and "futures-2004-" in r.text
    assert client.get("/charts/robustness.gif").status_code == 422
    r = client.get("/areas/W02000259/charts/trend.svg?edition=wales-2022-msoa")
    assert r.status_code == 404 and "England" in r.text
