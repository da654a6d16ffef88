"""Validation report: reasons for disagreements and the reproduction figures."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from leftbehind.validate import disagreement_reasons, render_validation, validate


def test_reason_for_a_missed_area_names_the_failing_rank():
    row = pd.Series({"cni_rank": 149, "imd_rank": 787, "left_behind": False})
    assert disagreement_reasons(row, 743, 743, "IMD rank") == ["IMD rank 787, threshold 743"]
    row = pd.Series({"cni_rank": 800, "imd_rank": 900, "left_behind": False})
    assert disagreement_reasons(row, 743, 743, "IMD rank") == [
        "CNI rank 800, threshold 743",
        "IMD rank 900, threshold 743",
    ]


def test_reason_for_an_extra_area_says_it_meets_both():
    row = pd.Series({"cni_rank": 740, "imd_rank": 456, "left_behind": True})
    (reason,) = disagreement_reasons(row, 743, 743, "IMD rank")
    assert "CNI rank 740, threshold 743" in reason and "not in the published list" in reason


def test_missing_rank_is_a_reason():
    row = pd.Series({"cni_rank": 10, "imd_rank": pd.NA, "left_behind": False})
    assert disagreement_reasons(row, 743, 743, "IMD rank") == ["IMD rank missing"]


@pytest.mark.integration
def test_england_2019_validation_report(con):
    report = validate(con, "england-2019-ward")
    ident = report["identification"]
    assert ident["published"] == 225
    assert ident["found"] >= 219 and ident["extra"] <= 8
    assert ident["found"] + ident["missed"] == 225
    assert len(ident["disagreements"]) == ident["missed"] + ident["extra"]
    longdendale = next(d for d in ident["disagreements"] if d["name"] == "Longdendale")
    assert longdendale["status"] == "missed"
    assert longdendale["reasons"] == [f"IMD rank {longdendale['imd_rank']}, threshold 743"]
    imd = report["imd"]
    assert imd["ranks_equal_share"] >= 0.995 and imd["max_rank_difference"] <= 2
    la = report["local_authorities"]
    assert la["proportion_identical_share"] >= 0.99
    assert la["average_score_median_relative_error"] <= 0.01
    assert la["extent_median_absolute_error"] <= 0.002
    text = render_validation(report)
    assert "IMD rank 787, threshold 743" in text or "Longdendale" in text


@pytest.mark.integration
def test_england_2023_validation_report(con):
    report = validate(con, "england-2023-lsoa")
    assert report["identification"]["exact"]
    assert report["imd"]["score_correlation"] >= 0.9999
    assert report["local_authorities"]["local_concentration_median_relative_error"] < 0.02


@pytest.mark.integration
@pytest.mark.parametrize(
    "edition", ["wales-2022-msoa", "scotland-2022-iz", "northern-ireland-2022-soa"]
)
def test_devolved_nations_report_their_agreement(con, edition):
    ident = validate(con, edition)["identification"]
    assert ident["missed"] == 0 and ident["extra"] == 0
    assert "imd" not in validate(con, edition)


@pytest.mark.integration
def test_cli_validate_json(store_home):
    from leftbehind.cli.main import app
    from leftbehind.settings import fresh_settings

    fresh_settings()
    result = CliRunner().invoke(app, ["validate", "northern-ireland-2022-soa", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["identification"]["found"] == 16
    bad = CliRunner().invoke(app, ["validate", "atlantis"])
    assert bad.exit_code == 2
