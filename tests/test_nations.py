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
    assert "It ranks " in plain and f"in {nation} on deprivation" in plain
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


# -- profiles for every nation (issue 15, item 1) ---------------------------------------------


def _left_behind_code(con, edition: str) -> str:
    return con.execute(
        "SELECT min(code) FROM identification WHERE edition = ? AND \"group\" = 'left_behind'",
        [edition],
    ).fetchone()[0]


@pytest.mark.parametrize("edition", sorted(NATIONS))
def test_left_behind_area_has_a_profile_with_comparators_within_its_nation(client, con, edition):
    nation, _ = NATIONS[edition]
    code = _left_behind_code(con, edition)
    prof = client.get(f"/api/areas/{code}/profile?edition={edition}").json()
    assert prof["nation"] == nation and prof["group"] == "left_behind"
    shown = [i for d in prof["dimensions"] for i in d["indicators"] if i["value"] is not None]
    assert len(shown) >= 8  # the IMD's domains and the CNI's three domains
    for ind in shown:
        assert None not in ind["comparators"].values(), ind["id"]
        assert ind["source"]
    # Comparators are the nation's own groups: 'left behind' areas fare worse than the nation
    # on the income domain (about 10% of any nation's residents live in its most deprived tenth).
    income = next(i for i in shown if i["id"].endswith("_income_domain"))
    assert income["comparators"]["left_behind"] > income["comparators"]["nation"]
    assert income["comparators"]["nation"] == pytest.approx(0.1, abs=0.01)
    lacking = {d["id"]: d for d in prof["dimensions"] if not d["indicators"]}
    assert set(lacking) == {"skills", "disability"}
    assert {d["note"] for d in lacking.values()} == {f"No data for {nation} yet."}
    page = _text(client.get(f"/areas/{code}?edition={edition}").text)
    assert f"No data for {nation} yet." in page
    assert "Need for places to meet" in page
    assert "England" not in page.split("In plain words")[-1].split("Supporting")[0]


def test_welsh_profile_csv_has_values(client):
    """The issue's check: the profile CSV of W02000259 (Penrhiw-ceibr) is no longer blank."""
    import csv
    import io

    r = client.get("/api/areas/W02000259/profile.csv?edition=wales-2022-msoa")
    assert r.status_code == 200
    rows = list(csv.DictReader(io.StringIO(r.text)))
    filled = [row for row in rows if row["value"] not in ("", None)]
    assert len(filled) >= 8
    assert {"w19_income_domain", "w22_civic_assets", "w21_loneliness"} <= {
        row["indicator_id"] for row in filled
    }
    skills = next(row for row in rows if row["dimension_id"] == "skills")
    assert skills["indicator"] == "No data for Wales yet."


def test_welsh_and_scottish_values_known_answers(client, con):
    """Hand-worked from the store's own tables: the share of residents living in the nation's
    most deprived tenth for income = residents of decile-1 small areas / all residents."""
    wales = con.execute(
        """SELECT sum(CASE WHEN w.income_decile = 1 THEN p.total_population END)
                  / sum(p.total_population)
           FROM imd2019_wales_lsoa11 w JOIN lookup_lsoa11_msoa11 m USING (lsoa11_code)
           JOIN population19_lsoa11 p USING (lsoa11_code) WHERE m.msoa11_code = 'W02000259'"""
    ).fetchone()[0]
    prof = client.get("/api/areas/W02000259/profile?edition=wales-2022-msoa").json()
    value = {i["id"]: i for d in prof["dimensions"] for i in d["indicators"]}
    assert value["w19_income_domain"]["value"] == pytest.approx(wales, abs=1e-4)
    assert (
        prof["population"]
        == con.execute(
            """SELECT sum(total_population) FROM population19_lsoa11 JOIN lookup_lsoa11_msoa11
           USING (lsoa11_code) WHERE msoa11_code = 'W02000259'"""
        ).fetchone()[0]
    )
    civic = con.execute(
        "SELECT civic_assets_score FROM cni2022_wales_msoa11 WHERE msoa11_code = 'W02000259'"
    ).fetchone()[0]
    assert value["w22_civic_assets"]["value"] == pytest.approx(civic, abs=1e-3)

    scot = con.execute(
        """SELECT sum(CASE WHEN d.income_decile = 1 THEN p.total_population END)
                  / sum(p.total_population)
           FROM imd2020_scotland_dz11 d JOIN lookup_dz11_iz11_ltla20 l USING (dz11_code)
           JOIN population20_dz11 p USING (dz11_code)
           WHERE p.sex = 'All' AND l.iz11_code = 'S02001393'"""
    ).fetchone()[0]
    prof = client.get("/api/areas/S02001393/profile?edition=scotland-2022-iz").json()
    value = {i["id"]: i for d in prof["dimensions"] for i in d["indicators"]}
    assert value["s20_income_domain"]["value"] == pytest.approx(scot, abs=1e-4)


def test_northern_ireland_counts_each_soa_once(client, con):
    """No small-area population is mirrored for Northern Ireland: each SOA counts once, the
    labels say so, and no population is claimed. Belfast's value = its SOAs in the most
    deprived tenth for income / all its SOAs."""
    share = con.execute(
        """SELECT avg(CASE WHEN i.income_decile = 1 THEN 1.0 ELSE 0.0 END)
           FROM cni2022_northern_ireland_soa11 c
           JOIN imd2017_northern_ireland_soa01 i ON i.soa01_code = c.soa11_code
           WHERE c.lgd14_code = 'N09000003'"""
    ).fetchone()[0]
    prof = client.get("/api/areas/95GG02S2/profile?edition=northern-ireland-2022-soa").json()
    assert prof["population"] is None and prof["name"] == "Ardoyne_2"
    assert prof["summary_sentences"][0]["text"] == "Ardoyne_2 is a super output area in Belfast."
    income = next(i for d in prof["dimensions"] for i in d["indicators"]
                  if i["id"] == "n17_income_domain")  # fmt: skip
    assert income["label"].startswith("Super output areas among the 10% most deprived")
    from leftbehind.profiles.profile import profile

    belfast = profile(con, "N09000003", "northern-ireland-2022-soa")
    value = {i["id"]: i["value"] for d in belfast["dimensions"] for i in d["indicators"]}
    assert value["n17_income_domain"] == pytest.approx(share, abs=1e-4)


def test_profile_and_comparison_markdown_name_the_nation(con):
    """The CLI's Markdown (profile --markdown, compare) names the area's nation in its headings
    and, for Northern Ireland, claims no population."""
    from leftbehind.profiles.compare import compare
    from leftbehind.profiles.compare import markdown as compare_markdown
    from leftbehind.profiles.profile import profile
    from leftbehind.profiles.render import profile_markdown

    wales = profile_markdown(profile(con, "W02000259", "wales-2022-msoa"))
    assert "| other deprived | Wales |" in wales and "England" not in wales
    assert "Neighbourhood (MSOA 2011)" in wales and "Population 5,950." in wales
    ni = profile_markdown(profile(con, "95GG02S2", "northern-ireland-2022-soa"))
    assert "No population estimate (each small area counts once)." in ni
    doc = compare_markdown(compare(con, "northern-ireland-2022-soa"))
    assert doc.startswith("# 'Left behind' vs other deprived areas vs Northern Ireland")
    assert "'Left behind': 16 areas." in doc and "each small area counts once" in doc
    assert "England" not in doc
