"""The report's comparison table and the check against the report's findings."""

from __future__ import annotations

import io
import os

import pandas as pd
import pytest
from typer.testing import CliRunner

from leftbehind.profiles.compare import compare, compare_table

pytestmark = pytest.mark.integration
W19 = "england-2019-ward"


def test_left_behind_worse_on_social_fabric_and_connectivity(con):
    result = compare(con, W19)
    checks = {c["dimension"]: c for c in result["checks"]}
    # Social fabric is measured only by CNI domains, which define the groups: circular.
    assert checks["social_fabric"]["status"] == "circular"
    assert checks["social_fabric"]["circular"] is True
    assert all(i["defines_grouping"] for i in checks["social_fabric"]["indicators"])
    # Connectivity is tested on the road distances only (the CNI domain is set aside) ...
    conn = checks["connectivity"]
    assert conn["status"] == "agrees" and not conn["circular"]
    assert [i["defines_grouping"] for i in conn["indicators"]].count(True) == 1
    assert "circular" in conn["detail"]
    # ... and it says that against England 'left behind' areas are closer on all four.
    better = conn["against_nation"]["better_than_nation"]
    assert {b["id"] for b in better} == {
        f"e19_{k}_distance" for k in ("gp", "school", "post_office", "shop")
    }
    assert all(b["left_behind"] < b["nation"] for b in better)
    assert checks["funding"]["status"] == "no data"
    table = pd.DataFrame(result["indicators"])
    sub = table[table["dimension"].isin(["social_fabric", "connectivity"])]
    assert (sub["vs_other_deprived"] == "worse").all()
    from leftbehind.identify import identify

    ident = identify(con, W19)
    assert result["groups"]["left_behind"]["areas"] == int((ident["group"] == "left_behind").sum())
    assert result["groups"]["nation"]["areas"] == len(ident)


def test_disagreements_are_spelled_out(con):
    for check in compare(con, W19)["checks"]:
        if check["status"] in ("partly agrees", "disagrees"):
            assert "not on:" in check["detail"]


def test_group_values_match_an_independent_sql_computation(con):
    from leftbehind.identify import identify

    groups = identify(con, W19)[["code", "group"]]
    con.register("groups", groups)
    expected = (
        con.execute(
            """
        select g."group", sum(i.income_domain_numerator) / sum(p.total_population) as rate
        from imd2019_england_lsoa11_indicators i
        join population17_lsoa11 p using (lsoa11_code)
        join lookup_lsoa11_ward17 l using (lsoa11_code)
        join groups g on g.code = l.ward17_code
        where i.income_domain_numerator is not null
        group by 1
        """
        )
        .df()
        .set_index("group")["rate"]
    )
    con.unregister("groups")
    row = compare_table(con, W19).set_index("id").loc["e19_income"]
    assert row["left_behind"] == pytest.approx(expected["left_behind"], rel=1e-9)
    assert row["other_deprived"] == pytest.approx(expected["other_deprived"], rel=1e-9)


def test_cli_csv_and_markdown(store_home):
    from leftbehind.cli.main import app

    os.environ["LEFTBEHIND_HOME"] = str(store_home)
    runner = CliRunner()
    out = runner.invoke(app, ["compare", "--edition", W19, "--csv"])
    assert out.exit_code == 0, out.output
    frame = pd.read_csv(io.StringIO(out.stdout))
    assert {"left_behind", "other_deprived", "nation", "vs_other_deprived"} <= set(frame.columns)
    md = runner.invoke(app, ["compare", "--edition", W19])
    assert md.exit_code == 0 and "Does the data agree with the report?" in md.stdout
    bad = runner.invoke(app, ["compare", "--edition", "nowhere-2020"])
    assert bad.exit_code == 2


def test_checks_state_agreement_quantitatively(con):
    """Every tested indicator carries both values, their difference and ratio; the report's
    'nearly double' disability figure is set against ours (1.68, not 2)."""
    result = compare(con, W19)
    table = pd.DataFrame(result["indicators"]).set_index("id")
    for check in result["checks"]:
        for item in check["indicators"]:
            row = table.loc[item["id"]]
            if item["left_behind"] is None:
                continue
            comp = row[check["compared_with"]]
            assert item["comparator"] == pytest.approx(comp)
            assert item["difference"] == pytest.approx(row["left_behind"] - comp)
            assert item["ratio"] == pytest.approx(row["left_behind"] / comp)
    disability = next(c for c in result["checks"] if c["dimension"] == "disability")
    row = table.loc["e19_illness_disability"]
    ratio = row["left_behind"] / row["nation"]
    assert 1.6 < ratio < 1.75  # 196.5 / 117.0
    assert disability["report"]["report_value"] == 2.0
    assert disability["report"]["our_value"] == pytest.approx(ratio, abs=1e-3)
    assert disability["report"]["difference"] == pytest.approx(ratio - 2.0, abs=1e-3)
    assert f"{ratio:.2f}" in disability["detail"]


def test_headline_against_the_report_and_one_england_population(con):
    from leftbehind.identify import identify, summarise

    result = compare(con, W19)
    ident = identify(con, W19)
    head = result["headline"]
    assert head["report"] == {"areas": 225, "population": 2_396_610}
    assert head["ours"]["areas"] == int(ident["left_behind"].sum())
    assert head["difference"]["population"] == head["ours"]["population"] - 2_396_610
    # One England population: the comparison's nation is the edition's areas, as in summary.
    assert result["groups"]["nation"]["population"] == round(ident["population"].sum())
    assert result["groups"]["nation"]["population"] == summarise(ident)["headline"]["population"]
