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
