"""Find my neighbourhood: postcodes and today's wards reach the right area of every edition.

Expected answers are worked out here from the pinned postcode files in the mirror and the
store's own lookups (LSOA 2021 -> 2011 -> ward 2017 / MSOA 2011, LSOA 2021 -> ward 2024,
boundaries), never written down by hand.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import warnings
from functools import cache
from pathlib import Path

import pytest

from leftbehind.errors import InvalidInput, PostcodeNotFound
from leftbehind.places.postcodes import PostcodeLookup, looks_like_postcode, parse_postcode
from leftbehind.sources.registry import source_by_id

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

POSTCODES = ["RM9 4UN", "SR2 8RP", "DT1 1XJ", "CO15 2AE", "CF24 4HQ", "EH1 1YZ", "BT1 5GS"]
TODAY_WARDS = ["Barking Riverside", "Northbury", "West Clacton & Jaywick Sands"]


def spellings(postcode: str) -> list[str]:
    out, inward = postcode.split()
    return [
        postcode,
        postcode.lower().replace(" ", ""),
        f"{out}  {inward}",
        f"{out.lower()}-{inward.lower()}",
        f" {postcode.lower()} ",
    ]


@cache
def _area_file(mirror: str, area: str) -> dict:
    source = source_by_id(f"postcodes24_{area.lower()}")
    return json.loads((Path(mirror) / source.mirror_path).read_text())


def from_mirror(mirror_dir: Path, postcode: str) -> list[str]:
    """[ladcd, ward24, small area] of the postcode, read from its pinned JSON file."""
    out, inward = postcode.split()
    area = re.match(r"[A-Z]+", out).group()
    return _area_file(str(mirror_dir), area)[out][inward]


def ward17_weights(con, lsoa21: str) -> list[tuple[str, float]]:
    """LSOA21 -> its LSOA11s -> their best-fit 2017 wards, weighted by 2019 residents."""
    return con.execute(
        """
        WITH n AS (SELECT lsoa11_code, count(*) AS n FROM lookup_lsoa11_lsoa21_ltla22 GROUP BY 1)
        SELECT w.ward17_code, sum((coalesce(p.total_population, 0) + 1) / n.n) AS weight
        FROM lookup_lsoa11_lsoa21_ltla22 l JOIN n USING (lsoa11_code)
        JOIN lookup_lsoa11_ward17 w USING (lsoa11_code)
        LEFT JOIN population19_lsoa11 p USING (lsoa11_code)
        WHERE l.lsoa21_code = ? GROUP BY 1 ORDER BY weight DESC
        """,
        [lsoa21],
    ).fetchall()


def best_fit_ward17(con, lsoa21: str) -> str:
    return ward17_weights(con, lsoa21)[0][0]


@pytest.fixture(scope="module")
def lookup():
    return PostcodeLookup()


@pytest.mark.parametrize("postcode", POSTCODES)
def test_postcode_in_any_spelling_reaches_its_area_in_every_edition(
    con, mirror_dir, lookup, postcode
):
    ladcd, ward, small = from_mirror(mirror_dir, postcode)
    answers = [lookup.lookup(con, text) for text in spellings(postcode)]
    assert all(a == answers[0] for a in answers), "every spelling gives the same answer"
    answer = answers[0]
    assert answer["postcode"] == postcode
    assert answer["local_authority"]["code"] == ladcd
    assert answer["ward"]["code"] == ward
    assert answer["local_authority"]["name"] and answer["ward"]["name"]
    editions = {e["edition"]: e for e in answer["editions"]}
    nation = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}[ladcd[0]]
    assert answer["nation"] == nation
    assert editions, "every nation has an edition"
    for entry in editions.values():
        assert abs(sum(c["share"] for c in entry["candidates"]) - 1) < 0.01
        assert entry["method"] in ("exact", "best_fit_population", "area_overlap")
        assert entry["method_text"]
    if ladcd.startswith("E"):
        assert answer["lsoa21"]["code"] == small
        for eid in ("england-2023-lsoa", "england-2025-lsoa"):
            assert editions[eid]["area"]["code"] == small
            assert editions[eid]["method"] == "exact"
        ward17 = editions["england-2019-ward"]
        unchanged = con.execute(
            "SELECT count(*) FROM identification WHERE edition = 'england-2019-ward' AND code = ?",
            [ward],
        ).fetchone()[0]
        if unchanged:
            assert (ward17["area"]["code"], ward17["method"]) == (ward, "exact")
        else:
            assert ward17["area"]["code"] == best_fit_ward17(con, small)
            assert ward17["method"] == "best_fit_population"
    elif ladcd.startswith("W"):
        assert answer["lsoa21"]["code"] == small
        msoas = con.execute(
            "SELECT DISTINCT m.msoa11_code FROM lookup_lsoa11_lsoa21_ltla22 l "
            "JOIN lookup_lsoa11_msoa11 m USING (lsoa11_code) WHERE l.lsoa21_code = ?",
            [small],
        ).fetchall()
        assert editions["wales-2022-msoa"]["area"]["code"] in {m for (m,) in msoas}
    else:  # Scotland, Northern Ireland: areas the postcode's ward overlaps
        import shapely

        eid = "scotland-2022-iz" if ladcd.startswith("S") else "northern-ireland-2022-soa"
        geography = "iz11" if ladcd.startswith("S") else "soa11"
        entry = editions[eid]
        assert entry["method"] == "area_overlap"
        (ward_geom,) = con.execute(
            "SELECT geometry FROM boundaries WHERE type = 'ward22' AND code = ?", [ward]
        ).fetchone()
        ward_shape = shapely.from_wkb(bytes(ward_geom))
        for cand in entry["candidates"]:
            (geom,) = con.execute(
                "SELECT geometry FROM boundaries WHERE type = ? AND code = ?",
                [geography, cand["code"]],
            ).fetchone()
            assert shapely.from_wkb(bytes(geom)).intersects(ward_shape)
        if ladcd.startswith("N"):
            assert answer["sdz21"]["code"] == small


def test_missing_unknown_and_malformed_postcodes_each_say_why(con, mirror_dir, lookup):
    assert "SW1A" not in _area_file(str(mirror_dir), "SW")
    with pytest.raises(PostcodeNotFound) as info:
        lookup.lookup(con, "SW1A 0AA")
    assert info.value.reason == "unsupported_district"
    assert "ends in a letter" in str(info.value) and "SW1A" in str(info.value)
    sr9 = _area_file(str(mirror_dir), "SR").get("SR9", {})
    unused = next(f"{a}{b}{c}" for a in "9" for b in "ABDEFGHJLNPQRSTUWXYZ" for c in "XYZ"
                  if f"{a}{b}{c}" not in sr9)  # fmt: skip
    with pytest.raises(PostcodeNotFound) as info:
        lookup.lookup(con, f"SR9 {unused}")
    assert info.value.reason == "unknown" and "not in the postcode lookup" in str(info.value)
    for bad in ["", "   ", "hello", "x" * 500, "ÄÖ1 1AA", "' OR 1=1 --", "<b>RM9</b>", "E05000028"]:
        with pytest.raises(InvalidInput) as info:
            lookup.lookup(con, bad)
        assert "\n" not in str(info.value)


def test_postcode_parsing():
    assert parse_postcode("co152ae").formatted == "CO15 2AE"
    assert parse_postcode("RM9\t4un").key == "RM94UN"
    assert looks_like_postcode("bt1 5gs") and not looks_like_postcode("Barking Riverside")


def test_store_holds_every_postcode_of_an_area_file(con, mirror_dir):
    for area in ("DT", "EH", "BT"):
        data = _area_file(str(mirror_dir), area)
        expected = sum(len(v) for v in data.values())
        stored = con.execute(
            "SELECT count(*) FROM postcodes24 WHERE regexp_matches(postcode_key, ?)",
            [f"^{area}[0-9]"],
        ).fetchone()[0]
        assert stored == expected


@pytest.fixture(scope="module")
def obs(store_path):
    from leftbehind.observatory import Observatory

    o = Observatory(store_path, "england-2019-ward")
    yield o
    o.close()


@pytest.mark.parametrize("name", TODAY_WARDS)
def test_todays_wards_find_their_2017_wards_and_2021_lsoas(con, obs, name):
    (code,) = con.execute(
        "SELECT wdcd FROM ward_codes_2016_2026 WHERE wdnm = ? ORDER BY sourcefile DESC LIMIT 1",
        [name],
    ).fetchone()
    items = obs.search("england-2019-ward", name)
    assert items[0]["code"] == code and items[0]["kind"] == "ward"
    ward = obs.ward(code)
    editions = {e["edition"]: e for e in ward["editions"]}
    lsoas = {
        c for (c,) in con.execute(
            "SELECT lsoa21_code FROM lookup_lsoa21_ward24_ltla24 WHERE ward24_code = ?", [code]
        ).fetchall()
    }  # fmt: skip
    assert lsoas and {a["code"] for a in editions["england-2023-lsoa"]["areas"]} == lsoas
    # The 2017 ward holding most of the ward's residents, through its LSOAs.
    weights: dict[str, float] = {}
    for lsoa in lsoas:
        (residents,) = con.execute(
            "SELECT residents FROM population21_lsoa21 WHERE lsoa21_code = ?", [lsoa]
        ).fetchone()
        links = ward17_weights(con, lsoa)
        total = sum(w for _, w in links)
        for ward17, weight in links:
            weights[ward17] = weights.get(ward17, 0) + (residents + 1) * weight / total
    entry = editions["england-2019-ward"]
    if entry["method"] == "exact":
        assert entry["areas"] == [{**entry["areas"][0], "code": code, "share": 1.0}]
    else:
        assert entry["method"] == "best_fit_population"
        assert entry["areas"][0]["code"] == max(weights, key=weights.get)
    assert ward["change"] and name in ward["change"]


@pytest.fixture(scope="module")
def client(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition="england-2019-ward"))
    with TestClient(app) as c:
        yield c


def test_postcode_api_statuses_and_messages(client, mirror_dir):
    r = client.get("/api/postcodes/rm9-4un")
    assert r.status_code == 200
    body = r.json()
    assert body["lsoa21"]["code"] == from_mirror(mirror_dir, "RM9 4UN")[2]
    assert all(c["url"].startswith("/areas/") for e in body["editions"] for c in e["candidates"])
    r = client.get("/api/postcodes/SW1A%200AA")
    assert r.status_code == 404 and r.json()["error"]["reason"] == "unsupported_district"
    r = client.get("/api/postcodes/SR9%209ZZ")
    assert r.status_code == 404 and r.json()["error"]["message"]
    for bad in ["hello", "%3Cscript%3E", "%27%20OR%201%3D1", "%C3%84%C3%961"]:
        r = client.get(f"/api/postcodes/{bad}")
        assert r.status_code == 422, bad
        assert "not a UK postcode" in r.json()["error"]["message"]


def test_search_goes_to_the_postcodes_area(client, mirror_dir):
    lsoa = from_mirror(mirror_dir, "SR2 8RP")[2]
    r = client.get("/search", params={"q": "sr28rp", "edition": "england-2023-lsoa"},
                   follow_redirects=False)  # fmt: skip
    assert r.status_code == 303 and r.headers["location"].startswith(f"/areas/{lsoa}?")
    # A Scottish postcode from an English edition: the candidate areas of Scotland's edition.
    r = client.get("/api/search", params={"q": "EH1 1YZ"})
    items = r.json()["items"]
    assert items and {i["edition"] for i in items} == {"scotland-2022-iz"}
    page = client.get("/search", params={"q": "EH1 1YZ"})
    assert page.status_code == 200 and "City Centre" in page.text
    page = client.get("/search", params={"q": "SW1A 0AA"})
    assert page.status_code == 200 and "ends in a letter" in page.text
    r = client.get("/search", params={"q": "Barking Riverside"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/wards/")
    ward = client.get(r.headers["location"])
    assert ward.status_code == 200 and "Barking Riverside" in ward.text
    assert client.get("/api/wards/nonsense").status_code == 404


def test_cli_profile_and_postcode(store_home, mirror_dir):
    env = {**os.environ, "LEFTBEHIND_HOME": str(store_home)}
    run = [sys.executable, "-m", "leftbehind"]
    out = subprocess.run(
        [*run, "profile", "dt1 1xj", "--edition", "england-2023-lsoa", "--json"],
        capture_output=True, text=True, env=env, check=True,
    )  # fmt: skip
    assert json.loads(out.stdout)["code"] == from_mirror(mirror_dir, "DT1 1XJ")[2]
    out = subprocess.run(
        [*run, "postcode", "CO15-2AE", "--json"], capture_output=True, text=True, env=env,
        check=True,
    )  # fmt: skip
    assert json.loads(out.stdout)["ward"]["code"] == from_mirror(mirror_dir, "CO15 2AE")[1]
    bad = subprocess.run([*run, "postcode", "SW1A 0AA"], capture_output=True, text=True, env=env)
    assert bad.returncode == 2 and "ends in a letter" in bad.stderr


def test_area_page_names_the_wards_of_today(client, con):
    rows = con.execute(
        "SELECT from_code FROM place_crosswalk WHERE from_type = 'ward' "
        "AND edition = 'england-2019-ward' AND area_code = 'E05000028'"
    ).fetchall()
    page = client.get("/areas/E05000028")
    assert page.status_code == 200 and "Wards of today" in page.text
    assert rows and all(f"/wards/{code}" in page.text for (code,) in rows)
