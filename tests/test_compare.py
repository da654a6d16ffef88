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
    assert checks["social_fabric"]["status"] == "agrees"
    assert checks["connectivity"]["status"] == "agrees"
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
