"""Server-rendered pages: complete and readable without JavaScript."""

from __future__ import annotations

import re
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette warns at import that it prefers httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

BECONTREE = "E05000028"


@pytest.fixture(scope="module")
def client(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition="england-2019-ward"))
    with TestClient(app) as c:
        yield c


class _Text(HTMLParser):
    """Visible text (scripts and styles dropped), and every external resource reference."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skip = 0
        self.external: list[str] = []
        self.ids: list[str] = []
        self.h1 = 0

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in ("script", "style"):
            self.skip += 1
        if tag == "h1":
            self.h1 += 1
        if attrs.get("id"):
            self.ids.append(attrs["id"])
        for key in ("src", "href"):
            value = attrs.get(key) or ""
            if tag in ("script", "link", "img") and value.startswith(("http:", "https:", "//")):
                self.external.append(value)

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1

    def handle_data(self, data):
        if not self.skip:
            self.parts.append(data)

    @property
    def text(self) -> str:
        return re.sub(r"\s+", " ", " ".join(self.parts))


def parse(html: str) -> _Text:
    parser = _Text()
    parser.feed(html)
    return parser


def check_page(html: str) -> _Text:
    page = parse(html)
    assert page.external == [], "pages must not load scripts or styles from other servers"
    assert page.h1 == 1
    assert len(page.ids) == len(set(page.ids)), "duplicate ids"
    assert '<html lang="en-GB">' in html
    assert 'name="viewport"' in html
    return page


def test_home_shows_numbers_search_legend_and_list(client):
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = check_page(r.text)
    assert "Find your neighbourhood" in page.text
    assert re.search(r"226 'left behind' wards out of 7,433", page.text)
    assert '<form class="search" role="search" action="/search" method="get"' in r.text
    assert "'Left behind': most deprived 10%" in page.text  # legend
    assert f'href="/areas/{BECONTREE}"' in r.text  # keyboard/no-JS alternative to the map
    assert "/vendor/maplibre/maplibre-gl.js" in r.text
    assert "The interactive map needs JavaScript" in page.text


def test_area_page_shows_status_summary_profile_and_downloads(client):
    r = client.get(f"/areas/{BECONTREE}")
    assert r.status_code == 200
    page = check_page(r.text)
    text = page.text
    assert "Becontree" in text and BECONTREE in text
    assert "Status: 'Left behind'" in text
    assert "It is on the published list of 'left behind' areas" in text
    assert "In plain words" in text
    assert re.search(r"Becontree is (a ward|one of)", text)
    assert "Barking and Dagenham" in text and "London" in text
    assert 'href="/local-authorities/E09000002"' in r.text
    assert f"/api/areas/{BECONTREE}/profile.csv?edition=england-2019-ward" in r.text
    assert "Nine dimensions of disadvantage" in text
    if "not available" not in text:
        for label in ("Skills and qualifications", "Getting around", "Funding and investment"):
            assert label in text
        assert "Whole country" in text


def test_area_page_edition_switch_goes_to_the_local_authority(client):
    r = client.get(
        f"/areas/{BECONTREE}", params={"edition": "england-2023-lsoa"}, follow_redirects=False
    )
    assert r.status_code == 303
    assert r.headers["location"].startswith(
        "/local-authorities/E09000002?edition=england-2023-lsoa"
    )
    page = client.get(r.headers["location"])
    assert page.status_code == 200
    assert "Becontree is not an area in" in parse(page.text).text


def test_local_authority_table_sorts_without_javascript(client):
    r = client.get("/local-authorities/E09000002", params={"sort": "name", "order": "asc"})
    assert r.status_code == 200
    page = check_page(r.text)
    names = re.findall(r'<td data-value="([^"]*)"><a href="/areas/', r.text)
    assert names == sorted(names) and len(names) >= 15
    assert 'aria-sort="ascending"' in r.text
    desc = client.get("/local-authorities/E09000002", params={"sort": "name", "order": "desc"})
    names_desc = re.findall(r'<td data-value="([^"]*)"><a href="/areas/', desc.text)
    assert names_desc == sorted(names, reverse=True)
    assert "'left behind'" in page.text
    bad = client.get("/local-authorities/E09000002", params={"sort": "evil"})
    assert bad.status_code == 422 and "'sort'" in parse(bad.text).text


def test_summary_page(client):
    r = client.get("/summary")
    assert r.status_code == 200
    text = check_page(r.text).text
    for word in ("By region", "London", "Rural and urban", "By local authority", "Urban"):
        assert word in text


def test_methods_page_lists_sources_licences_and_validation(client):
    from leftbehind.sources.registry import load_registry

    r = client.get("/methods")
    assert r.status_code == 200
    text = check_page(r.text).text
    for source in load_registry():
        assert source.id in text
    assert "Open Government Licence" in text
    assert "Validation report" in text
    assert "could not be produced" not in text


def test_search_page_redirects_exact_and_lists_fuzzy(client):
    exact = client.get("/search", params={"q": "Becontree"}, follow_redirects=False)
    assert exact.status_code == 303 and exact.headers["location"].startswith(f"/areas/{BECONTREE}")
    fuzzy = client.get("/search", params={"q": "becontre"})
    assert fuzzy.status_code == 200
    assert f'href="/areas/{BECONTREE}' in fuzzy.text


@pytest.mark.parametrize(
    "edition",
    [
        "england-2019-ward",
        "england-2023-lsoa",
        "wales-2022-msoa",
        "scotland-2022-iz",
        "northern-ireland-2022-soa",
    ],
)
def test_every_edition_renders(client, edition):
    r = client.get("/", params={"edition": edition})
    assert r.status_code == 200
    assert f'<option value="{edition}" selected>' in r.text
    assert f"edition={edition}" in r.text
    s = client.get("/summary", params={"edition": edition})
    assert s.status_code == 200


def test_error_pages_are_friendly(client):
    r = client.get("/areas/E0500002")
    assert r.status_code == 404
    text = check_page(r.text).text
    assert "Did you mean" in text and "Traceback" not in r.text
    bad = client.get("/", params={"edition": "england-1066"})
    assert bad.status_code == 422
    assert "'edition'" in parse(bad.text).text
    missing = client.get("/no/such/page")
    assert missing.status_code == 404 and "no page at" in missing.text


def test_methods_page_reports_robustness_classes_and_chart(client, con):
    from leftbehind.robustness.results import stored_result

    result = stored_result(con, "england-2019-ward")
    assert result is not None
    html = client.get("/methods", params={"edition": "england-2019-ward"}).text
    section = html[html.index('id="robustness"') : html.index('id="sources"')]
    counts = result.summary["classes_of_nominal"]
    row = re.search(r"Our headline list</th>(.*?)</tr>", section).group(1)
    cells = [int(c.replace(",", "")) for c in re.findall(r"<td>([\d,]+)</td>", row)]
    assert cells == [counts[c] for c in ("robust", "likely", "borderline", "unlikely")]
    assert sum(cells) == result.summary["nominal_count"]
    assert "<svg" in section and "How robust is each area" in section
    wales = client.get("/methods", params={"edition": "wales-2022-msoa"}).text
    assert "No uncertainty analysis is stored for this edition" in wales


def test_area_page_says_how_sure_in_plain_words(client, con):
    from leftbehind.profiles.profile import area_robustness

    robustness = area_robustness(con, "england-2019-ward", BECONTREE)
    html = client.get(f"/areas/{BECONTREE}").text
    k = round(robustness["p_left_behind"] * 100)
    assert f"Left behind in {k} of 100 plausible ways of measuring" in html
    assert "its deprivation rank is between" in html
