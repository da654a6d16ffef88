"""Profiles end to end on the real store: shape, values, name resolution and bad input."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from typer.testing import CliRunner

from leftbehind.errors import UnknownName
from leftbehind.profiles import values
from leftbehind.profiles.profile import AmbiguousName, custom_area, normalise, profile, resolve

pytestmark = pytest.mark.integration
W19 = "england-2019-ward"
L23 = "england-2023-lsoa"


@pytest.fixture()
def cli(store_home):
    from leftbehind.cli.main import app

    os.environ["LEFTBEHIND_HOME"] = str(store_home)
    from leftbehind.settings import fresh_settings

    fresh_settings()
    runner = CliRunner()
    return lambda *args: runner.invoke(app, list(args))


def test_becontree_json_has_nine_dimensions(cli):
    result = cli("profile", "E05000028", "--json", "--edition", W19)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {"code", "name", "type", "edition", "group", "dimensions", "summary"} <= set(data)
    assert data["code"] == "E05000028" and data["name"] == "Becontree"
    assert data["group"] == "left_behind"
    assert [d["id"] for d in data["dimensions"]][-1] == "funding"
    assert len(data["dimensions"]) == 9
    numeric = 0
    for dim in data["dimensions"]:
        assert {"id", "label", "indicators"} <= set(dim)
        for ind in dim["indicators"]:
            assert {"id", "label", "value", "unit", "percentile", "comparators", "source"} <= set(
                ind
            )
            assert set(ind["comparators"]) == {"left_behind", "other_deprived", "nation"}
        if dim["id"] == "funding":
            assert dim["status"] == "no_data"
            assert all(i["value"] is None for i in dim["indicators"])
            assert "grant" in dim["note"]
            continue
        ok = [i for i in dim["indicators"] if isinstance(i["value"], float)]
        assert ok, dim["id"]
        for ind in ok:
            assert 0 <= ind["percentile"] <= 100
            assert all(isinstance(v, float) for v in ind["comparators"].values())
        numeric += 1
    assert numeric == 8
    assert isinstance(data["summary"], str) and "Becontree" in data["summary"]


def test_ward_values_equal_the_sum_over_its_lsoas(con):
    result = profile(con, "E05000028", W19)
    data = values.edition_data(con, W19)
    lsoas = con.execute(
        "select lsoa11_code from lookup_lsoa11_ward17 where ward17_code = 'E05000028'"
    ).df()["lsoa11_code"]
    income = con.execute(
        "select sum(i.income_domain_numerator) / sum(p.total_population) from "
        "imd2019_england_lsoa11_indicators i join population17_lsoa11 p using (lsoa11_code) "
        "where lsoa11_code in (select * from lsoas) and i.income_domain_numerator is not null"
    ).fetchone()[0]
    value = next(
        i["value"] for d in result["dimensions"] for i in d["indicators"] if i["id"] == "e19_income"
    )
    assert value == pytest.approx(income, abs=1e-4)
    assert result["small_areas"] == len(lsoas)
    assert result["population"] == pytest.approx(
        data.population[resolve(con, "E05000028", W19).rows].sum(), abs=1
    )


def test_names_resolve_ignoring_case_and_punctuation(con):
    assert resolve(con, "becontree", W19).code == "E05000028"
    assert resolve(con, "  BECONTREE. ", W19).code == "E05000028"
    assert normalise("St. Mary's & All-Saints") == normalise("st marys and all saints")


def test_a_shared_name_lists_candidates_with_their_council(con):
    data = values.edition_data(con, W19)
    wards = data.units["ward17"]
    names = [normalise(n) for n in wards.names]
    shared = next(n for n in sorted(set(names)) if names.count(n) > 1)
    original = wards.names[names.index(shared)]
    with pytest.raises(AmbiguousName) as info:
        resolve(con, original.upper(), W19)
    assert len(info.value.candidates) >= 2
    listed = info.value.candidates[:10]
    assert all(c["code"] in str(info.value) for c in listed)
    assert all(c["local_authority"] in str(info.value) for c in listed if c["local_authority"])
    assert any(c["local_authority"] for c in listed)


def test_unknown_name_suggests_close_matches(cli):
    result = cli("profile", "Becontre", "--edition", W19)
    assert result.exit_code == 2
    assert "Becontree" in result.output
    assert "Traceback" not in result.output


def test_code_from_another_edition_names_the_editions(con):
    ward24 = str(values.edition_data(con, L23).units["ward24"].codes[0])
    with pytest.raises(UnknownName, match=L23):
        resolve(con, ward24, W19)
    with pytest.raises(UnknownName, match=W19):
        resolve(con, "E05000028", L23)


def test_unknown_codes_in_a_custom_list_are_named(con, cli):
    with pytest.raises(UnknownName, match="E01999998, E01999999"):
        custom_area(con, ["E01000001", "E01999998", "E01999999"], L23)
    result = cli("profile", "E01000001,E01999999", "--edition", L23)
    assert result.exit_code == 2 and "E01999999" in result.output


def test_custom_area_pools_numerators(con):
    codes = ["E01000001", "E01000002", "E01000003"]
    result = profile(con, codes, L23)
    assert result["type"] == "custom" and result["members"] == codes
    data = values.edition_data(con, L23)
    rows = data.base.get_indexer(codes)
    j = list(data.indicators["id"]).index("e23_income")
    expected = data.num[rows, j].sum() / data.den[rows, j].sum()
    got = next(i for d in result["dimensions"] for i in d["indicators"] if i["id"] == "e23_income")
    assert got["value"] == pytest.approx(expected, abs=1e-4)
    rates = data.num[rows, j] / data.den[rows, j]
    if not np.isclose(rates.mean(), expected):
        assert got["value"] != pytest.approx(rates.mean(), abs=1e-6)


def test_local_authority_and_group_by_edition(con):
    result = profile(con, "Barking and Dagenham", W19)
    assert result["type"] == "ltla19"
    assert result["group"] in {"mixed", "left_behind", "other_deprived", "rest"}
    assert sum(result["group_shares"].values()) == pytest.approx(1.0, abs=1e-3)
    lsoa = profile(con, "E01000027", W19)
    assert set(lsoa["groups_by_edition"]) == {W19, L23, "england-2025-lsoa"}
    assert lsoa["groups_by_edition"][L23] in {"left_behind", "other_deprived", "rest"}


def test_empty_query_and_conflicting_formats(cli):
    assert cli("profile", " ", "--edition", W19).exit_code == 2
    result = cli("profile", "E05000028", "--json", "--html")
    assert result.exit_code == 2 and "one output format" in result.output


def test_markdown_and_html_outputs(cli):
    md = cli("profile", "E05000028", "--edition", W19)
    assert md.exit_code == 0 and "| Money and poverty |" in md.stdout
    html = cli("profile", "E05000028", "--html", "--edition", W19)
    assert html.exit_code == 0 and "<svg" in html.stdout and "<title" in html.stdout


def test_chart_is_accessible(con):
    from xml.etree import ElementTree

    from leftbehind.profiles.charts import profile_svg

    svg = profile_svg(profile(con, "E05000028", W19))
    root = ElementTree.fromstring(svg)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.get("role") == "img"
    assert root.find(f"{ns}title").text.startswith("How Becontree")
    desc = root.find(f"{ns}desc").text
    assert "Funding and investment: no data yet" in desc


def test_profile_says_how_sure_the_classification_is(con):
    from leftbehind.profiles.profile import profile
    from leftbehind.profiles.render import profile_markdown

    becontree = profile(con, "E05000028", "england-2019-ward")
    robustness = becontree["robustness"]
    assert 0.0 <= robustness["p_left_behind"] <= 1.0
    assert robustness["robustness_class"] in {"robust", "likely", "borderline", "unlikely"}
    k = round(robustness["p_left_behind"] * 100)
    assert f"Left behind in {k} of 100 plausible ways of measuring" in robustness["sentence"]
    assert robustness["sentence"] in profile_markdown(becontree)
    low, high = robustness["imd_rank"]["p05"], robustness["imd_rank"]["p95"]
    assert low <= robustness["imd_rank"]["median"] <= high
    assert (
        f"deprivation rank is between {low:,.0f} and {high:,.0f}"
        in (robustness["interval_sentence"])
    )
    council = profile(con, "E09000002", "england-2019-ward")
    assert council["robustness"] is None  # no uncertainty analysis for local authorities


def test_custom_list_names_every_unknown_entry(con):
    from leftbehind.errors import UnknownName
    from leftbehind.profiles.profile import profile

    with pytest.raises(UnknownName, match=r"not areas of edition england-2019-ward: XYZ"):
        profile(con, "E05000028, e05000027, XYZ", "england-2019-ward")
    # ten thousand unknown codes: one short line that counts them all and shows the first few
    many = ",".join(f"X{i:05d}" for i in range(10_000))
    with pytest.raises(UnknownName) as caught:
        profile(con, f"E05000028,{many}", "england-2019-ward")
    message = str(caught.value)
    assert "\n" not in message and len(message) < 300, len(message)
    assert message.startswith("10,000 code(s) are not areas") and "X00000, X00001" in message
    assert "and 9,990 more" in message
    both = profile(con, "e05000028, E05000027", "england-2019-ward")
    assert both["population"] == sum(
        profile(con, code, "england-2019-ward")["population"] for code in ("E05000028", "E05000027")
    )
