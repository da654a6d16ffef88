"""The indicator framework table: complete, valid, and pointing at real store columns."""

from __future__ import annotations

import pandas as pd
import pytest

from leftbehind.errors import InvalidInput, UnknownName
from leftbehind.profiles import framework


def test_every_edition_maps_all_nine_dimensions():
    table = framework.load()
    assert set(framework.NINE_DIMENSION_FRAMEWORKS) == {"england-2019-ward", "england-2023-lsoa"}
    for edition in framework.NINE_DIMENSION_FRAMEWORKS:
        dims = set(table.loc[table["edition"] == edition, "dimension"])
        assert set(framework.DIMENSION_IDS) <= dims
        assert "supporting" in dims


def test_the_other_nations_map_what_their_data_supports():
    """Wales, Scotland and Northern Ireland: their IMD's domains, the CNI's three domains and
    grants; skills and disability have no source yet in those nations (the profile says so)."""
    table = framework.load()
    supported = {"poverty", "education", "economy", "health", "social_fabric", "connectivity"}
    for edition in ("wales-2022-msoa", "scotland-2022-iz", "northern-ireland-2022-soa"):
        rows = table[table["edition"] == edition]
        dims = set(rows["dimension"])
        assert supported | {"funding", "supporting"} <= dims, edition
        assert not {"skills", "disability"} & dims, edition
        assert {c for c in rows["source_column"] if c.endswith("_score")} == {
            "civic_assets_score",
            "engaged_community_score",
            "connectedness_score",
        }


def test_rates_use_the_right_age_bands():
    table = framework.load().set_index("id")
    assert table.loc["e19_idaci", "denominator"] == "ages:0-15"
    assert table.loc["e19_idaopi", "denominator"] == "ages:60+"
    assert table.loc["e23_employment", "denominator"] == "ages:18-66"
    assert set(table.loc[table["method"] == "rate", "unit"]) == {"share"}
    assert framework.parse_ages("ages:60+") == (60, None)
    assert framework.parse_ages("ages:18-66") == (18, 66)
    assert framework.parse_ages("ages:all") is None


def test_funding_is_a_placeholder_not_a_value():
    table = framework.load()
    funding = table[table["dimension"] == "funding"]
    assert set(funding["method"]) == {"grants"}
    assert len(funding) == len(framework.EDITIONS)


def _broken(**changes) -> pd.DataFrame:
    table = framework.load()
    for column, value in changes.items():
        table.loc[0, column] = value
    return table


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        ({"direction": "up"}, "direction"),
        ({"unit": "parsecs"}, "unit"),
        ({"method": "guess"}, "method"),
        ({"denominator": "everyone"}, "denominator"),
        ({"label": ""}, "label"),
        ({"edition": "england-1999"}, "edition"),
    ],
)
def test_validate_names_the_problem(changes, fragment):
    with pytest.raises(InvalidInput, match=fragment):
        framework.validate(_broken(**changes))


def test_validate_rejects_duplicates_missing_columns_and_gaps():
    table = framework.load()
    with pytest.raises(InvalidInput, match="repeat"):
        framework.validate(pd.concat([table, table.iloc[[0]]]))
    with pytest.raises(InvalidInput, match="lacks columns"):
        framework.validate(table.drop(columns=["source"]))
    with pytest.raises(InvalidInput, match="dimensions"):
        framework.validate(table[table["dimension"] != "health"])
    rate = table.index[table["method"] == "rate"][0]
    table.loc[rate, "unit"] = "index"
    with pytest.raises(InvalidInput, match="rate"):
        framework.validate(table)


def test_unknown_edition_is_an_unknown_name():
    with pytest.raises(UnknownName, match="england-2019-ward"):
        framework.for_edition("atlantis-2020")


@pytest.mark.integration
def test_sources_exist_in_the_store(con):
    tables = {
        r[0] for r in con.execute("select table_name from information_schema.tables").fetchall()
    }
    table = framework.load()
    for row in table[table["method"] != "grants"].itertuples():
        assert row.source_table in tables, row.id
        columns = set(con.table(row.source_table).columns)
        assert row.source_column in columns, row.id
        if row.method == "census":
            assert row.denominator in columns, row.id
