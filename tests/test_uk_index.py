"""Across the UK (issue 15, item 2): mySociety's composite UK index for every edition's areas,
on area pages of all four nations and in a UK summary, checked against the source table."""

from __future__ import annotations

import csv
import io
import warnings
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette warns at import that it prefers httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from leftbehind.editions import EDITIONS
from leftbehind.indices import uk


@pytest.fixture(scope="module")
def client(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition="england-2019-ward"))
    with TestClient(app) as c:
        yield c


def test_every_small_area_of_the_uk_once(con):
    rows = dict(con.execute(f"SELECT nation, count(*) FROM {uk.SMALL_TABLE} GROUP BY 1").fetchall())
    assert rows == {"E": 32844, "W": 1909, "S": 6976, "N": 890}
    ranks = con.execute(
        f"SELECT count(DISTINCT small_code), min(uk_rank), max(uk_rank) FROM {uk.SMALL_TABLE}"
    ).fetchone()
    assert ranks == (42619, 1, 42619)  # equal scores share a rank, as published


def test_every_area_of_every_edition_has_its_small_areas(con):
    for ed in EDITIONS.values():
        areas = con.execute(
            f"SELECT count(*) FROM {uk.AREAS_TABLE} WHERE edition = ?", [ed.id]
        ).fetchone()[0]
        identified = con.execute(
            "SELECT count(*) FROM identification WHERE edition = ?", [ed.id]
        ).fetchone()[0]
        # The ward edition's 12 wards without a best-fit LSOA have no small area.
        assert identified - areas == (12 if ed.id == "england-2019-ward" else 0), ed.id
    wales = con.execute(
        f"SELECT sum(small_areas) FROM {uk.AREAS_TABLE} WHERE edition = 'wales-2022-msoa'"
    ).fetchone()[0]
    assert wales == 1909


def test_area_known_answer_from_the_source_table(con):
    """W02000259 (Penrhiw-ceibr): its LSOAs through the ONS lookup, ranked in UK_IMD_E.csv."""
    expected = con.execute(
        """SELECT count(*), min(u.uk_imd_e_rank)::INTEGER,
                  count(*) FILTER (WHERE u.uk_imd_e_pop_decile = 1)
           FROM lookup_lsoa11_msoa11 m JOIN uk_imd_england u ON u.lsoa = m.lsoa11_code
           WHERE m.msoa11_code = 'W02000259'"""
    ).fetchone()
    got = con.execute(
        f"""SELECT small_areas, uk_rank, most_deprived_10 FROM {uk.AREAS_TABLE}
            WHERE edition = 'wales-2022-msoa' AND code = 'W02000259'"""
    ).fetchone()
    assert got == expected and expected[0] == 4


def test_summary_known_answer_wales_left_behind(con):
    """The share of the 18 'left behind' Welsh MSOAs' LSOAs in the UK's most deprived tenth,
    counted straight from the source and the identification."""
    n, k = con.execute(
        """SELECT count(*), count(*) FILTER (WHERE u.uk_imd_e_pop_decile = 1)
           FROM identification i
           JOIN lookup_lsoa11_msoa11 m ON m.msoa11_code = i.code
           JOIN uk_imd_england u ON u.lsoa = m.lsoa11_code
           WHERE i.edition = 'wales-2022-msoa' AND i."group" = 'left_behind'"""
    ).fetchone()
    row = con.execute(
        f"""SELECT small_areas, share_10, areas FROM {uk.SUMMARY_TABLE}
            WHERE edition = 'wales-2022-msoa' AND "group" = 'left_behind'"""
    ).fetchone()
    assert row[0] == n and row[1] == pytest.approx(k / n) and row[2] == 18


def test_sentences_hand_worked():
    ward = EDITIONS["england-2019-ward"]
    row = {"uk_rank": 6285, "uk_decile": 2, "small_areas": 8, "most_deprived_10": 0}
    assert uk.area_sentences(ward, "Becontree", row, 42619) == [
        "On one scale for the whole UK, the most deprived of Becontree's 8 LSOAs ranks 6,285 "
        "of 42,619 small areas (1 is most deprived): in the UK's 2nd most deprived tenth.",
        "None of its LSOAs is among the UK's most deprived tenth.",
    ]
    row = {"uk_rank": 490, "uk_decile": 1, "small_areas": 4, "most_deprived_10": 1}
    assert uk.area_sentences(EDITIONS["wales-2022-msoa"], "Penrhiw-ceibr", row, 42619)[1] == (
        "1 of its 4 LSOAs is among the UK's most deprived tenth."
    )
    row = {"uk_rank": 7, "uk_decile": 1, "small_areas": 1, "most_deprived_10": 1}
    assert uk.area_sentences(EDITIONS["northern-ireland-2022-soa"], "Ardoyne_2", row, 42619) == [
        "On one scale for the whole UK, Ardoyne_2 ranks 7 of 42,619 small areas "
        "(1 is most deprived): in the UK's most deprived tenth."
    ]
    row = {"uk_rank": 74, "uk_decile": 1, "small_areas": 3, "most_deprived_10": 3}
    assert uk.area_sentences(EDITIONS["scotland-2022-iz"], "X", row, 42619)[1] == (
        "All 3 of its data zones are among the UK's most deprived tenth."
    )
    assert [uk.ordinal_tenth(d) for d in (1, 2, 3, 4, 10)] == [
        "most deprived tenth",
        "2nd most deprived tenth",
        "3rd most deprived tenth",
        "4th most deprived tenth",
        "least deprived tenth",
    ]


@pytest.mark.parametrize(
    "edition",
    ["england-2019-ward", "england-2023-lsoa", "wales-2022-msoa", "scotland-2022-iz",
     "northern-ireland-2022-soa"],
)  # fmt: skip
def test_area_pages_of_every_nation_show_the_uk_index(client, con, edition):
    code = con.execute(
        "SELECT min(code) FROM identification WHERE edition = ? AND \"group\" = 'left_behind'",
        [edition],
    ).fetchone()[0]
    doc = client.get(f"/api/areas/{code}/uk-index?edition={edition}").json()
    stored = con.execute(
        f"SELECT uk_rank FROM {uk.AREAS_TABLE} WHERE edition = ? AND code = ?", [edition, code]
    ).fetchone()[0]
    assert doc["uk_rank"] == stored and doc["small_areas_in_uk"] == 42619
    assert doc["licence"] == "CC BY 4.0" and "mySociety" in doc["source"]
    page = client.get(f"/areas/{code}?edition={edition}").text
    assert 'id="uk-index"' in page and f"ranks {stored:,} of 42,619" in page
    assert "mySociety" in page and 'href="/uk"' in page


def test_uk_summary_page_json_and_csv(client, con):
    doc = client.get("/api/uk-summary").json()
    assert [n["nation"] for n in doc["nations"]] == [
        "England",
        "Wales",
        "Scotland",
        "Northern Ireland",
    ]
    wales = next(n for n in doc["nations"] if n["nation"] == "Wales")
    assert wales["left_behind"]["areas"] == 18
    assert wales["sentence"].startswith("In Wales, ")
    r = client.get("/api/uk-summary.csv")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert len(rows) == len(EDITIONS) * len(uk.SUMMARY_GROUPS)
    assert {row["group"] for row in rows} == set(uk.SUMMARY_GROUPS)
    page = client.get("/uk")
    assert page.status_code == 200
    for n in doc["nations"]:
        assert n["sentence"].replace("'", "&#39;") in page.text
    assert "CC BY 4.0" in page.text and "Abel, Barclay and Payne" in page.text
    assert client.get("/api/uk-summary?bogus=1").status_code == 422


def test_council_names_match_known_answers():
    assert uk.council_key("Thanet District Council") == uk.council_key("Thanet") == "thanet"
    assert uk.council_key("Bristol City Council") == uk.council_key("Bristol, City of")
    assert uk.council_key("Durham County Council") == uk.council_key("County Durham")
    assert uk.council_key("City of Bradford Metropolitan District Council") == "bradford"
    assert uk.council_key("Borough Council of King's Lynn and West Norfolk") == uk.council_key(
        "King's Lynn and West Norfolk"
    )
    assert uk.council_key("Council of the Isles of Scilly") == "isles of scilly"
    assert uk.council_key("Rhondda Cynon Taf County Borough Council") == "rhondda cynon taf"


def test_every_current_council_is_matched(con):
    """All 2024 districts of England and Wales, Scotland's councils and Northern Ireland's
    districts find their mySociety row; each mySociety council matches at most one of them."""
    for sql in (uk.LA_NAME_SQL[0], *uk.LA_NAME_SQL[2:4]):
        missing = con.execute(
            f"SELECT x.code FROM ({sql}) x(code, name) "
            f"WHERE x.code NOT IN (SELECT gss_code FROM {uk.LA_TABLE})"
        ).fetchall()
        assert missing == [], sql
    thanet = con.execute(
        f"SELECT mysociety_code, pop_decile FROM {uk.LA_TABLE} WHERE gss_code = 'E07000114'"
    ).fetchone()
    source = con.execute(
        f"SELECT la_imd_pop_decile::INTEGER FROM {uk.LA_SOURCE_TABLE} "
        "WHERE local_authority_code = 'THA'"
    ).fetchone()[0]
    assert thanet == ("THA", source)


def test_local_authority_page_and_api(client):
    doc = client.get("/api/local-authorities/E07000114/uk-index").json()
    assert doc["mysociety_code"] == "THA" and doc["sentence"].startswith(
        "On one scale for the whole UK, Thanet is in the"
    )
    page = client.get("/local-authorities/E07000114").text
    assert 'id="uk-index"' in page and "Thanet District Council" in page
    gone = client.get("/api/local-authorities/E07000007/uk-index").json()  # Wycombe, 2020
    assert gone["pop_decile"] is None and "does not list" in gone["note"]
