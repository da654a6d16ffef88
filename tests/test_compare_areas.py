"""Compare areas (issue 17): two to four areas side by side on every indicator with the
comparators; the page's URL is shareable and its CSV download matches it."""

from __future__ import annotations

import csv
import io
import re
import warnings
from html import unescape
from pathlib import Path

import pytest

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

pytestmark = pytest.mark.integration
W19 = "england-2019-ward"
A, B = "E05000028", "E05001536"  # Becontree; Hardwick and Salters Lane


@pytest.fixture(scope="module")
def client(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition=W19))
    with TestClient(app) as c:
        yield c


def _cells(html: str) -> dict[tuple[str, str], str]:
    """(indicator id, area code) -> the text of the page's cell."""
    out = {}
    for ind, row in re.findall(r'<tr data-indicator="([^"]+)">(.*?)</tr>', html, flags=re.S):
        for code, text in re.findall(r'<td data-code="([^"]+)">(.*?)</td>', row, flags=re.S):
            out[(ind, code)] = unescape(text.strip())
    return out


def _framework_ids(con) -> set[str]:
    from leftbehind.profiles import framework

    return set(framework.for_edition(W19)["id"])


def test_page_shows_both_areas_on_every_indicator(client, con):
    r = client.get(f"/compare-areas?areas={A},{B}")
    assert r.status_code == 200
    cells = _cells(r.text)
    indicators = {ind for ind, _ in cells}
    expected = _framework_ids(con)
    assert indicators == expected
    for ind in indicators:
        assert (ind, A) in cells and (ind, B) in cells, ind
    assert "Becontree" in r.text and "Hardwick and Salters Lane" in r.text
    for n in range(1, 11):  # the nine dimensions and the supporting indicators
        assert f'id="cmp-dim-{n}"' in r.text
    # the comparators are on the page too, and the download link keeps the areas
    assert "'Left behind' areas</th>" in unescape(r.text) and "Whole country</th>" in r.text
    assert f"/api/compare-areas.csv?edition={W19}&amp;areas={A},{B}" in r.text


def test_csv_download_matches_the_page(client):
    from leftbehind.wording import fmt_value

    page = _cells(client.get(f"/compare-areas?areas={A},{B}").text)
    r = client.get(f"/api/compare-areas.csv?areas={A},{B}")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert {(row["indicator_id"], row["code"]) for row in rows} == set(page)
    for row in rows:
        value = float(row["value"]) if row["value"] not in ("", None) else None
        assert fmt_value(value, row["unit"]) == page[(row["indicator_id"], row["code"])], row


def test_values_are_each_areas_own_profile(client):
    data = client.get(f"/api/compare-areas?areas={A},{B}").json()
    assert [a["code"] for a in data["areas"]] == [A, B]
    for code in (A, B):
        prof = client.get(f"/api/areas/{code}/profile").json()
        own = {i["id"]: i for d in prof["dimensions"] for i in d["indicators"]}
        own.update({i["id"]: i for i in prof["supporting"]})
        for dim in data["dimensions"]:
            for ind in dim["indicators"]:
                assert ind["values"][code] == own[ind["id"]]["value"]
                assert ind["comparators"] == own[ind["id"]]["comparators"]


def test_local_authorities_and_mixes_of_one_nation(client):
    r = client.get(f"/api/compare-areas?areas={A},E07000114,E09000002")
    assert r.status_code == 200
    kinds = [a["kind"] for a in r.json()["areas"]]
    assert kinds == ["area", "local_authority", "local_authority"]


@pytest.mark.parametrize(
    ("areas", "status"),
    [(A, 422), (f"{A},{A}", 422), (f"{A},{B},E05000029,E05000030,E05000031", 422),
     (f"{A},NOWHERE9", 404)],
)  # fmt: skip
def test_bad_choices_say_what_is_wrong(client, areas, status):
    r = client.get(f"/api/compare-areas?areas={areas}")
    assert r.status_code == status
    assert "areas" in r.json()["error"]["message"]
    page = client.get(f"/compare-areas?areas={areas}")
    if areas == A:  # one area: the form, with it filled in, to add others
        assert page.status_code == 200 and f'value="{A}"' in page.text
    else:
        assert page.status_code == status and 'role="alert"' in page.text


def test_empty_page_is_the_form(client):
    r = client.get("/compare-areas")
    assert r.status_code == 200 and 'name="areas"' in r.text
