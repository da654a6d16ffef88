"""The official asset inventory: hand-worked placement and library-change answers on tiny stores,
then the real data (every open 2023 library and every active GP practice placed in a 2021 LSOA
and each English edition's areas, except those the postcode lookup lacks)."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from leftbehind.assets import stage
from leftbehind.community.inputs import AssetIn
from leftbehind.editions import EDITIONS
from leftbehind.sources.registry import source_by_id

ENGLISH = [e.id for e in EDITIONS.values() if e.country_code == "E92000001"]


# -- hand-worked answers ----------------------------------------------------------------------
def test_words_and_dates_of_ods_records():
    assert stage._words("DR A MOGHAL'S PRACTICE") == "Dr A Moghal's Practice"
    assert stage._date(pd.Series(["19740401", "", None, "2017"])).tolist() == [
        "1974-04-01", None, None, None,
    ]  # fmt: skip


def test_categories_agree_with_the_api_contract():
    literal = AssetIn.model_fields["category"].annotation.__args__
    assert tuple(literal) == tuple(stage.CATEGORIES)


@given(st.lists(st.sampled_from(["a", "b", "c"]), min_size=1, max_size=30))
def test_deduped_ids_are_unique_and_keep_the_first(ids):
    out = stage._dedupe(pd.Series(ids))
    assert out.is_unique
    firsts = {v: i for i, v in reversed(list(enumerate(ids)))}
    assert all(out[i] == v for v, i in firsts.items())


def _tiny_postcodes() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE postcodes24 AS SELECT * FROM (VALUES "
        "('RM94UN', 'E09000002', 'E05014060', 'E01000096', NULL), "
        "('BT414AE', 'N09000001', 'N08000101', NULL, 'N21000001'), "
        "('ZZ11ZZ', NULL, NULL, NULL, NULL)) "
        "t(postcode_key, ltla24_code, ward24_code, lsoa21_code, sdz21_code)"
    )
    return con


def test_every_reason_for_not_placing_by_postcode():
    frame = pd.DataFrame(
        {
            "asset_id": list("abcdefg"),
            "postcode": [
                "rm9 4un",  # placed
                "BT41 4AE",  # Northern Ireland: placed without an LSOA
                "[Unknown]",  # no postcode
                "RM9 4U",  # not written as a postcode
                "EC2Y 8DS",  # district ending in a letter: the lookup leaves it out
                "RM9 9ZZ",  # well formed, not in the lookup
                "ZZ1 1ZZ",  # in the lookup without a local authority
            ],
        }
    )
    placed = stage._place_by_postcode(_tiny_postcodes(), frame).set_index("asset_id")
    assert placed["unplaced_reason"].to_dict() == {
        "a": None, "b": None, "c": "no_postcode", "d": "not_a_postcode",
        "e": "unsupported_district", "f": "not_in_lookup", "g": "no_small_area",
    }  # fmt: skip
    assert placed.loc["a", "postcode"] == "RM9 4UN"
    assert placed.loc["a", "lsoa21_code"] == "E01000096"
    assert set(placed["unplaced_reason"].dropna()) <= set(stage.UNPLACED_REASONS)


def test_library_changes_by_group_worked_by_hand():
    """Four libraries in two areas: L1 open 2010 only (closed), L2 both years, L3 2023 only
    (opened) in the left-behind area of 2,000 people; L4 open both years in the rest (8,000)."""
    con = duckdb.connect()
    con.execute(
        "CREATE TABLE assets AS SELECT * FROM (VALUES "
        "('L1', 'libraries_england_2023', 'Static Library', true, false), "
        "('L2', 'libraries_england_2023', 'Static Library', true, true), "
        "('L3', 'libraries_england_2023', 'Static Library; community run', false, true), "
        "('L4', 'libraries_england_2023', 'Static Library', true, true), "
        "('M1', 'libraries_england_2023', 'Mobile Library', true, false)) "
        "t(asset_id, source, detail, open_2010, open_2023)"
    )
    eid = ENGLISH[0]
    con.execute(
        "CREATE TABLE asset_areas AS SELECT * FROM (VALUES "
        f"('L1', '{eid}', 'A'), ('L2', '{eid}', 'A'), ('L3', '{eid}', 'A'), ('L4', '{eid}', 'B'),"
        f" ('M1', '{eid}', 'B')) t(asset_id, edition, area_code)"
    )
    con.execute(
        "CREATE TABLE identification AS SELECT * FROM (VALUES "
        f"('{eid}', 'A', 'left_behind', 2000), ('{eid}', 'B', 'rest', 8000)) "
        't(edition, code, "group", population)'
    )
    stage._build_library_changes(con)
    rows = con.execute(
        'SELECT "group", libraries_2010, libraries_2023, opened, closed, closed_per_100k, '
        "opened_per_100k, per_100k_2023 FROM library_changes WHERE edition = ?",
        [eid],
    ).fetchall()
    got = {r[0]: r[1:] for r in rows}
    # left behind: 2 in 2010 (L1, L2), 2 in 2023 (L2, L3), 1 opened, 1 closed; 1 per 2,000
    # people = 50 per 100,000; 2 per 2,000 = 100 per 100,000. The mobile library is not counted.
    assert got["left_behind"] == (2, 2, 1, 1, 50.0, 50.0, 100.0)
    assert got["rest"] == (1, 1, 0, 0, 0.0, 0.0, 12.5)
    assert got["nation"] == (3, 3, 1, 1, 10.0, 10.0, 30.0)
    assert "other_deprived" not in got  # no area of that group, so no row


# -- the real data ----------------------------------------------------------------------------
def _raw(mirror_dir: Path, source_id: str, header: bool = True) -> list:
    path = mirror_dir / source_by_id(source_id).mirror_path
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f) if header else csv.reader(f))


def _key(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def _expected_placement(con, keys: list[str]) -> dict[str, bool]:
    """Independently of the stage: a postcode is placeable iff the lookup holds it with a 2021
    LSOA (England)."""
    found = {
        k
        for (k,) in con.execute(
            "SELECT postcode_key FROM postcodes24 WHERE lsoa21_code IS NOT NULL "
            "AND postcode_key IN (SELECT unnest(?))",
            [keys],
        ).fetchall()
    }
    return {k: k in found for k in keys}


def _check_placed(con, source: str, want: dict[str, bool], open_only: str) -> dict[str, int]:
    rows = con.execute(
        f"SELECT asset_id, postcode, placed, lsoa21_code, unplaced_reason FROM assets "
        f"WHERE source = ? AND {open_only}",
        [source],
    ).fetchall()
    placed = {r[0] for r in rows if r[2]}
    by_key = {}
    for asset_id, postcode, is_placed, lsoa, reason in rows:
        k = _key(postcode or "")
        by_key.setdefault(k, []).append((asset_id, is_placed, lsoa, reason))
    for k, ok in want.items():
        for _asset, is_placed, lsoa, reason in by_key.get(k, []):
            assert is_placed == ok, (k, reason)
            assert (lsoa is not None) == ok
            if not ok:
                assert reason in ("no_postcode", "not_a_postcode", "unsupported_district",
                                  "not_in_lookup", "no_small_area")  # fmt: skip
    # every placed one has an area in each English edition, unless that edition has no area
    # for its LSOA at all (City of London and the Isles of Scilly are not in the 2019 wards)
    for eid in ENGLISH:
        missing = con.execute(
            "SELECT a.asset_id, a.lsoa21_code FROM assets a WHERE a.source = ? AND a.placed "
            f"AND a.country_code = 'E92000001' AND {open_only} AND NOT EXISTS (SELECT 1 "
            "FROM asset_areas x WHERE x.asset_id = a.asset_id AND x.edition = ?)",
            [source, eid],
        ).fetchall()
        for _asset, lsoa in missing:
            linked = con.execute(
                "SELECT count(*) FROM place_crosswalk WHERE edition = ? AND from_code = ?",
                [eid, lsoa],
            ).fetchone()[0]
            in_edition = con.execute(
                "SELECT count(*) FROM identification WHERE edition = ? AND code = ?", [eid, lsoa]
            ).fetchone()[0]
            assert linked == 0 and in_edition == 0, (eid, lsoa)
        assert len(missing) <= 2
    # the Welsh ones (GP practices) are in the Welsh edition's areas
    welsh = [e.id for e in EDITIONS.values() if e.country_code == "W92000004"]
    for eid in welsh:
        unlinked = con.execute(
            "SELECT count(*) FROM assets a WHERE a.source = ? AND a.placed "
            f"AND a.country_code = 'W92000004' AND {open_only} AND NOT EXISTS (SELECT 1 "
            "FROM asset_areas x WHERE x.asset_id = a.asset_id AND x.edition = ?)",
            [source, eid],
        ).fetchone()[0]
        assert unlinked == 0
    return {"open": len(rows), "placed": len(placed)}


def test_every_open_2023_library_is_placed_unless_the_lookup_lacks_it(con, mirror_dir):
    raw = _raw(mirror_dir, "libraries_england_2023")
    open_rows = [r for r in raw if r["operation_23"].strip().lower() != "closed"]
    keys = [_key(r["postcode"]) for r in open_rows]
    want = _expected_placement(con, keys)
    counts = _check_placed(con, "libraries_england_2023", want, "open_2023")
    assert counts["open"] == len(open_rows)
    assert counts["placed"] == sum(want[k] for k in keys)
    assert counts["open"] - counts["placed"] == sum(not want[k] for k in keys) > 0


def test_every_active_gp_practice_is_placed_unless_the_lookup_lacks_it(con, mirror_dir):
    raw = _raw(mirror_dir, "gp_practices_epraccur_2023_02", header=False)
    active = [r for r in raw if r[12] == "A" and r[25] == "4" and r[9][:1] != ""]
    english = [r for r in active if not r[2].startswith("W")]  # national grouping W = Wales
    keys = [_key(r[9]) for r in active]
    want = _expected_placement(con, keys)
    counts = _check_placed(con, "gp_practices_epraccur_2023_02", want, "status = 'open'")
    assert counts["open"] == len(active) and len(english) < len(active)
    assert counts["placed"] == sum(want[k] for k in keys)


def test_unplaced_are_counted_and_listed_with_a_reason(store_path):
    from leftbehind.observatory import Observatory
    from leftbehind.observatory.assets import AssetMap

    obs = Observatory(store_path, "england-2019-ward")
    try:
        report = AssetMap(obs).unplaced()
    finally:
        obs.close()
    total_unplaced = sum(c["n"] for c in report["counts"])
    assert total_unplaced == len(report["unplaced"]) > 0
    assert all(i["reason"] == stage.UNPLACED_REASONS[i["unplaced_reason"]]
               for i in report["unplaced"])  # fmt: skip
    totals = {t["source"]: t for t in report["totals"]}
    assert set(totals) == set(stage.SOURCES)
    assert sum(t["assets"] - t["placed"] for t in totals.values()) == total_unplaced
    gaps = {g["edition"]: g for g in report["edition_gaps"]}
    assert "england-2019-ward" in gaps  # the City of London and Scilly are not 2019 wards


def test_hospitals_are_placed_by_their_point(con):
    rows = con.execute(
        "SELECT count(*), count(*) FILTER (placed), count(*) FILTER (point_method = 'source') "
        "FROM assets WHERE category = 'hospital'"
    ).fetchone()
    assert rows[0] == 1061 and rows[2] == 1061 and rows[1] >= 1000


def test_library_changes_add_up_on_the_real_data(con):
    for eid in ENGLISH:
        rows = {
            r[0]: r[1:]
            for r in con.execute(
                'SELECT "group", libraries_2010, libraries_2023, opened, closed, unplaced '
                "FROM library_changes WHERE edition = ?",
                [eid],
            ).fetchall()
        }
        groups = [rows[g] for g in ("left_behind", "other_deprived", "rest")]
        nation = rows["nation"]
        for i in range(4):  # the groups add up to the nation less the unplaced libraries
            assert sum(g[i] for g in groups) <= nation[i]
        assert nation[0] - sum(g[0] for g in groups) <= nation[4]
        # a library open in both years is neither opened nor closed
        assert nation[1] - nation[0] == nation[2] - nation[3]


@pytest.mark.parametrize("la", ["E09000002"])
def test_barking_and_dagenhams_open_libraries_are_those_of_the_file(con, mirror_dir, la):
    raw = _raw(mirror_dir, "libraries_england_2023")
    want = sorted(
        r["name"].strip()
        for r in raw
        if r["authority"] == "Barking and Dagenham" and r["operation_23"].lower() != "closed"
    )
    got = sorted(
        n
        for (n,) in con.execute(
            "SELECT name FROM assets WHERE ltla_code = ? AND category = 'library' "
            "AND status = 'open'",
            [la],
        ).fetchall()
    )
    assert got == want and len(want) >= 5


def test_cli_counts_lists_and_explains(store_path, con, mirror_dir):
    import json

    from typer.testing import CliRunner

    from leftbehind.cli.main import app

    env = {"LEFTBEHIND_HOME": str(store_path.parent), "LEFTBEHIND_DATABASE_URL": None}
    runner = CliRunner()
    r = runner.invoke(app, ["assets", "unplaced", "--json"], env=env)
    assert r.exit_code == 0, r.output
    report = json.loads(r.stdout)
    (n,) = con.execute("SELECT count(*) FROM assets WHERE NOT placed").fetchone()
    assert len(report["unplaced"]) == n
    r = runner.invoke(app, ["assets", "list", "--local-authority", "E09000002", "--category",
                            "library"], env=env)  # fmt: skip
    assert r.exit_code == 0
    rows = list(csv.DictReader(r.stdout.splitlines()))
    assert {x["ltla_code"] for x in rows} == {"E09000002"} and len(rows) >= 5
    r = runner.invoke(app, ["assets", "changes", "--json"], env=env)
    assert r.exit_code == 0
    assert [g["group"] for g in json.loads(r.stdout)["groups"]][-1] == "nation"
    r = runner.invoke(app, ["assets", "list", "--local-authority", "E09000002", "--category",
                            "castle"], env=env)  # fmt: skip
    assert r.exit_code == 2 and "not an asset category" in r.output and "Traceback" not in r.output
