"""Printable briefings (issue 17): the area and local-authority briefing as HTML (with a print
stylesheet) and as PDF, parsed back with pypdf; the CLI writes the same document."""

from __future__ import annotations

import io
import os
import re
import warnings
from pathlib import Path

import pytest
from typer.testing import CliRunner

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
W19 = "england-2019-ward"
BECONTREE = "E05000028"
THANET = "E07000114"


@pytest.fixture(scope="module")
def client(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition=W19))
    with TestClient(app) as c:
        yield c


def _pdf_text(data: bytes) -> tuple[int, str]:
    import pypdf

    assert data.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(data))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return len(reader.pages), " ".join(text.split())


def _dimension_labels() -> list[str]:
    from leftbehind.profiles import framework

    labels = [d.label for d in framework.DIMENSIONS]
    assert len(labels) == 9
    return labels


def test_area_briefing_pdf_has_name_status_and_nine_dimensions(client):
    r = client.get(f"/areas/{BECONTREE}/briefing.pdf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert "leftbehind-briefing-england-2019-ward-E05000028.pdf" in r.headers["content-disposition"]
    pages, text = _pdf_text(r.content)
    assert pages >= 2
    assert "Becontree" in text and BECONTREE in text
    assert "Status and why" in text and "'Left behind'" in text
    assert "is one of the 226 wards of England identified as 'left behind'" in text
    for n, label in enumerate(_dimension_labels(), start=1):
        assert f"{n}. {label}" in text, label
    assert "How sure we are" in text and "Sources and licences" in text
    assert "ratio, England = 118.7" in text and "ratio_100" not in text
    assert re.search(r"Prepared on \d{4}-\d\d-\d\d from edition", text)


def test_local_authority_briefing_pdf_likewise(client, con):
    lb, areas = con.execute(
        "SELECT count(*) FILTER (WHERE \"group\" = 'left_behind'), count(*) FROM "
        "identification WHERE edition = ? AND local_authority_code = ?",
        [W19, THANET],
    ).fetchone()
    r = client.get(f"/local-authorities/{THANET}/briefing.pdf")
    assert r.status_code == 200 and r.headers["content-type"] == "application/pdf"
    _, text = _pdf_text(r.content)
    assert "Thanet" in text and THANET in text
    assert f"{lb} of the {areas} wards of Thanet are 'left behind'" in text
    for n, label in enumerate(_dimension_labels(), start=1):
        assert f"{n}. {label}" in text, label
    names = [n for (n,) in con.execute(
        "SELECT name FROM identification WHERE edition = ? AND local_authority_code = ?",
        [W19, THANET],
    ).fetchall()]  # fmt: skip
    assert all(name in text for name in names)  # every ward of Thanet is listed


def test_html_briefing_links_a_print_stylesheet(client):
    r = client.get(f"/areas/{BECONTREE}/briefing")
    assert r.status_code == 200
    html = r.text
    assert '<link rel="stylesheet" href="/briefing.css">' in html
    assert "<style" not in html  # the site's CSP allows only its own stylesheets
    assert f'href="/areas/{BECONTREE}/briefing.pdf?edition={W19}"' in html
    css = client.get("/briefing.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "@media print" in css.text and "@page" in css.text
    la = client.get(f"/local-authorities/{THANET}/briefing")
    assert la.status_code == 200 and "Its wards" in la.text


def test_unknown_area_briefing_is_404(client):
    r = client.get("/areas/NOWHERE1/briefing.pdf")
    assert r.status_code == 404
    assert client.get("/local-authorities/NOWHERE1/briefing").status_code == 404


def test_pdf_renderer_fetches_nothing_from_outside():
    from leftbehind.observatory.briefing import to_pdf, url_fetcher

    fetcher = url_fetcher()
    for url in ("https://example.com/tracker.png", "file:///etc/passwd"):
        with pytest.raises(ValueError, match="disallowed protocol"):
            fetcher.fetch(url)
    assert fetcher.fetch("data:text/plain,hello").read() == b"hello"
    pdf = to_pdf('<p>x</p><img src="https://example.com/x.png" alt="">')
    assert pdf.startswith(b"%PDF-")  # rendered without fetching the image


def test_cli_briefing_writes_the_same_pdf_content(store_home, tmp_path):
    from leftbehind.cli.main import app

    os.environ["LEFTBEHIND_HOME"] = str(store_home)
    runner = CliRunner()
    out = tmp_path / "becontree.pdf"
    result = runner.invoke(app, ["briefing", BECONTREE, "-o", str(out)])
    assert result.exit_code == 0, result.output
    _, text = _pdf_text(out.read_bytes())
    assert "Becontree" in text and "1. " + _dimension_labels()[0] in text
    la = tmp_path / "thanet.html"
    result = runner.invoke(app, ["briefing", THANET, "-o", str(la)])
    assert result.exit_code == 0, result.output
    html = la.read_text()
    assert "<style>" in html and "@media print" in html and "Thanet" in html
    bad = runner.invoke(app, ["briefing", BECONTREE, "-o", str(tmp_path / "x.docx")])
    assert bad.exit_code == 2 and ".pdf" in bad.output
    missing = runner.invoke(app, ["briefing", "NOWHERE1", "-o", str(tmp_path / "x.pdf")])
    assert missing.exit_code == 2 and "NOWHERE1" in missing.output
