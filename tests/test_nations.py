"""Wording per nation (issue 15, item 3): the Welsh, Scottish and Northern Irish editions name
their nation, its deprivation index and its published 'left behind' rule, on the real store."""

from __future__ import annotations

import html
import re
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette warns at import that it prefers httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from leftbehind.editions import EDITIONS
from leftbehind.wording import definition_sentence, rank_sentence, status_sentence

NATIONS = {
    "wales-2022-msoa": ("Wales", "Welsh Index of Multiple Deprivation 2019 (WIMD)"),
    "scotland-2022-iz": ("Scotland", "Scottish Index of Multiple Deprivation 2020 (SIMD)"),
    "northern-ireland-2022-soa": (
        "Northern Ireland",
        "Northern Ireland Multiple Deprivation Measure 2017 (NIMDM)",
    ),
}


@pytest.fixture(scope="module")
def client(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition="england-2019-ward"))
    with TestClient(app) as c:
        yield c


def _text(page: str) -> str:
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page)))


def test_definition_sentences_by_rule_known_answers():
    wales = EDITIONS["wales-2022-msoa"]
    assert definition_sentence(wales) == (
        "In Wales, neighbourhoods count as 'left behind' when they are among the 10% with the "
        "highest community need on the Community Needs Index 2022 for Wales and contain at "
        "least one LSOA among the most deprived 10% of Wales's LSOAs on the Welsh Index of "
        "Multiple Deprivation 2019 (WIMD)."
    )
    ni = EDITIONS["northern-ireland-2022-soa"]
    assert definition_sentence(ni).endswith(
        "among the most deprived 10% of Northern Ireland's super output areas on the Northern "
        "Ireland Multiple Deprivation Measure 2017 (NIMDM)."
    )
    ward = EDITIONS["england-2019-ward"]
    assert "weighted by population" in definition_sentence(ward)
    assert "In England, wards count" in definition_sentence(ward)


def test_status_and_rank_sentences_name_the_nation():
    scot = EDITIONS["scotland-2022-iz"]
    rec = {"code": "S02000001", "name": "Somewhere", "group": "left_behind"}
    assert status_sentence(scot, rec, 59).startswith(
        "Somewhere is one of the 59 intermediate zones of Scotland identified as 'left behind'"
    )
    assert rank_sentence(scot, 1234, 1279) == (
        "It ranks 1,234 of 1,279 intermediate zones in Scotland on deprivation "
        "(1 is most deprived)."
    )
    assert rank_sentence(scot, None, 1279) is None


@pytest.mark.parametrize("edition", sorted(NATIONS))
def test_home_page_names_its_nation_and_rule(client, edition):
    nation, index = NATIONS[edition]
    page = _text(client.get(f"/?edition={edition}").text)
    assert f"one of {nation}'s 'left behind' areas" in page
    assert f"In {nation}, " in page and index in page
    assert "England" not in page.split("Edition")[-1].split("Switch")[-1]


@pytest.mark.parametrize("edition", sorted(NATIONS))
def test_area_plain_words_name_nation_and_do_not_repeat_the_status(client, con, edition):
    nation, index = NATIONS[edition]
    code = con.execute(
        "SELECT min(code) FROM identification WHERE edition = ? AND \"group\" = 'left_behind'",
        [edition],
    ).fetchone()[0]
    r = client.get(f"/areas/{code}?edition={edition}")
    assert r.status_code == 200
    m = re.search(r'<section aria-labelledby="summary-heading".*?</section>', r.text, re.S)
    plain = _text(m.group(0))
    assert f"in {nation} on deprivation" in plain
    assert f"In {nation}, " in plain and index in plain
    assert "no data for this nation yet" in plain
    assert "England" not in plain
    assert "identified as 'left behind'" not in plain  # the status is not repeated
    assert f"of {nation} identified as 'left behind'" in _text(r.text)


def test_welsh_msoa_names_from_the_commons_library(client):
    """The Commons Library names (msoa11_names_hcl) on the area and profile payloads:
    W02000259 is 'Penrhiw-ceibr' in both languages; W02000314 (Blaenau Gwent 001) is
    'Rasa a Chendl' in Welsh, 'Rassau & Beaufort' in English."""
    area = client.get("/api/areas/W02000259?edition=wales-2022-msoa").json()
    assert area["name_cy"] == "Penrhiw-ceibr" and area["name_hcl"] == "Penrhiw-ceibr"
    prof = client.get("/api/areas/W02000259/profile?edition=wales-2022-msoa").json()
    assert prof["name_cy"] == "Penrhiw-ceibr"
    other = client.get("/api/areas/W02000314?edition=wales-2022-msoa").json()
    assert (other["name_cy"], other["name_hcl"]) == ("Rasa a Chendl", "Rassau & Beaufort")
    england = client.get("/api/areas/E05000028?edition=england-2019-ward").json()
    assert "name_cy" not in england
