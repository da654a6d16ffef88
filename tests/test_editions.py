"""Editions as data: every edition works end to end from its declaration, and the library
reads the declarations instead of testing edition ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from leftbehind.editions import EDITIONS, get_edition
from leftbehind.identify import OUTPUT_COLUMNS, identify

NEW = "england-2025-lsoa"
SAME_INPUTS = "england-2023-lsoa"
LIBRARY = Path(__file__).resolve().parents[1] / "src" / "leftbehind"
NOT_LIBRARY = ("web", "cli", "observatory")


def test_every_edition_declares_its_words():
    words = {e.geography: (e.area_word, e.area_words) for e in EDITIONS.values()}
    assert words == {
        "ward17": ("ward", "wards"),
        "lsoa21": ("neighbourhood", "neighbourhoods"),
        "msoa11": ("neighbourhood", "neighbourhoods"),
        "iz11": ("intermediate zone", "intermediate zones"),
        "soa11": ("super output area", "super output areas"),
    }
    assert get_edition("england-2019-ward").nation_wording == "England's"
    assert get_edition("wales-2022-msoa").nation_wording == "Wales's"


def test_the_new_edition_has_no_published_list():
    new = get_edition(NEW)
    assert new.published_count is None and not new.has_published_list
    assert all(e.has_published_list for e in EDITIONS.values() if e.id != NEW)
    old = get_edition(SAME_INPUTS)
    for field in ("geography", "cni_table", "imd_method", "imd_sql", "population_sql"):
        assert getattr(new, field) == getattr(old, field)
    assert new.profile == old.profile and new.robustness == old.robustness


@pytest.mark.integration
@pytest.mark.parametrize("edition", list(EDITIONS))
def test_every_declared_edition_identifies_end_to_end(con, edition):
    df = identify(con, edition)
    assert list(df.columns) == OUTPUT_COLUMNS and len(df) > 0
    assert df["code"].is_unique and df["left_behind"].any()
    assert df["published_left_behind"].dtype == bool
    expected = get_edition(edition).published_count
    assert df["published_left_behind"].sum() == (0 if expected is None else expected)


@pytest.mark.integration
def test_the_new_edition_finds_the_same_areas_as_its_inputs_twin(con):
    new = identify(con, NEW)
    old = identify(con, SAME_INPUTS)
    new_set = set(new.loc[new["left_behind"], "code"])
    assert new_set == set(old.loc[old["left_behind"], "code"])
    assert len(new_set) == 1262
    assert not new["published_left_behind"].any()
    stored = con.execute(
        "SELECT count(*), sum(left_behind::INT), sum(published_left_behind::INT) "
        "FROM identification WHERE edition = ?",
        [NEW],
    ).fetchone()
    assert stored == (33755, 1262, 0)


@pytest.mark.integration
def test_validation_says_there_is_no_published_list(con):
    from leftbehind.validate import render_validation, validate

    report = validate(con, NEW)
    ident = report["identification"]
    assert ident["has_published_list"] is False
    assert ident["published"] is None and ident["exact"] is None
    assert ident["ours"] == 1262
    assert "no published list" in ident["note"] and "no published list" in report["note"]
    assert report["imd"]["index"] == "imd-2025"
    assert report["local_authorities"]["geography"] == "ltla24"
    assert "No published list to validate against" in render_validation(report)


@pytest.mark.integration
def test_profile_of_the_new_edition_has_nine_dimensions(con):
    from leftbehind.profiles.profile import profile

    code = identify(con, NEW)["code"].iloc[0]
    result = profile(con, code, NEW)
    assert result["edition"] == NEW and result["type"] == "lsoa21"
    assert len(result["dimensions"]) == 9
    assert result["robustness"] is not None
    assert result["robustness"]["edition"] == NEW


@pytest.mark.integration
def test_robustness_of_the_new_edition_from_its_declaration(con):
    from leftbehind.robustness.results import stored_result

    result = stored_result(con, NEW)
    assert result is not None and len(result.areas) == 33755
    assert result.summary["nominal_count"] == 1262
    assert result.summary["published_count"] == 0


@pytest.mark.integration
def test_warm_area_robustness_makes_no_query(con):
    from leftbehind.profiles.profile import area_robustness
    from leftbehind.robustness.results import robustness_for_area

    code = identify(con, SAME_INPUTS)["code"].iloc[0]
    expected = robustness_for_area(con, SAME_INPUTS, code)
    assert area_robustness(con, SAME_INPUTS, code) == expected  # loads once

    class NoQuery:
        def __getattr__(self, name):
            return getattr(con, name)

        def execute(self, *args, **kwargs):
            raise AssertionError("a warm area_robustness queried DuckDB")

    from leftbehind.profiles import values

    key = values._cached_store_key(con)
    guard = NoQuery()
    values._KEYS[id(guard)] = (guard, key)
    assert area_robustness(guard, SAME_INPUTS, code) == expected
    assert area_robustness(guard, SAME_INPUTS, "E99999999") is None


def test_library_does_not_branch_on_edition_ids():
    pattern = re.compile(r"""[!=]=\s*["']england-""")
    hits = []
    for path in sorted(LIBRARY.rglob("*.py")):
        rel = path.relative_to(LIBRARY)
        if rel.parts[0] in NOT_LIBRARY or rel.name == "editions.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if pattern.search(line) or re.search(r"""["']england-\d{4}-\w+["']\s*[!=]=""", line):
                hits.append(f"{rel}:{number}: {line.strip()}")
    assert hits == [], "edition ids used as branch conditions:\n" + "\n".join(hits)
