"""Amounts as people write them: `£`, commas between thousands, pence, k/m/bn, on the CLI, the
API and the form (the form is driven in tests/test_browser.py)."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from leftbehind.errors import InvalidInput
from leftbehind.funding.request import AllocationRequest
from leftbehind.money import parse_amount

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient


@pytest.mark.parametrize(
    ("text", "pounds"),
    [
        ("2000000", 2_000_000), ("£2,000,000", 2_000_000), (" £ 2,000,000.50 ", 2_000_000.5),
        ("250k", 250_000), ("250K", 250_000), ("£1.5m", 1_500_000), ("2bn", 2_000_000_000),
        (".5", 0.5), (12, 12),
    ],
)  # fmt: skip
def test_accepted_amounts(text, pounds):
    assert parse_amount(text) == pounds


@pytest.mark.parametrize("text", ["", "£", "-5", "£-5", "2,00,000", "1,5m", "2 m m", "1e6", "five"])
def test_refused_amounts_say_how_to_write_one(text):
    with pytest.raises(ValueError, match=r"write e\.g\. 2000000, £2,000,000, 250k or 1\.5m"):
        parse_amount(text)


@given(st.integers(1, 10**12))
def test_thousands_with_commas_and_pound_sign_round_trip(pence):
    text = f"£{pence // 100:,}.{pence % 100:02d}"
    assert round(parse_amount(text) * 100) == pence


def test_the_request_names_the_bad_amount():
    with pytest.raises(InvalidInput, match=r"^allocation parameter budget: '2,00' is not an"):
        AllocationRequest.parse(budget="2,00")
    assert AllocationRequest.parse(budget="£2,000,000", floor="50k", cap="£1.5m").cap == 1.5e6


def test_cli_budget_with_pound_sign_and_commas(store_path: Path):
    from typer.testing import CliRunner

    from leftbehind.cli.main import app

    env = {"LEFTBEHIND_HOME": str(store_path.parent), "LEFTBEHIND_DATABASE_URL": None}
    args = ["allocate", "--edition", "england-2019-ward", "--format", "json"]
    result = CliRunner().invoke(app, [*args, "--budget", "£2,000,000"], env=env)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["total"] == "2000000.00" and doc["parameters"]["need"] == "exponential"
    assert sum(round(float(a["capital"]) * 100) for a in doc["areas"]) == 54_000_000
    assert doc["sensitivity"]["options"][0]["ratio_top_to_bottom"] >= 1.5
    assert doc["social_return"]["high_pence"] == round(200_000_000 * 3.2)
    bad = CliRunner().invoke(app, [*args, "--budget", "2,00"], env=env)
    assert bad.exit_code == 2 and "not an amount of money" in bad.output
    assert "Traceback" not in bad.output


def test_api_budget_with_pound_sign_and_commas(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=store_path.parent, edition="england-2019-ward"))
    with TestClient(app) as client:
        r = client.get("/api/allocations", params={"budget": "£2,000,000", "years": 5})
        assert r.status_code == 200 and r.json()["total"] == "2000000.00"
        bad = client.get("/api/allocations", params={"budget": "2,00"})
        assert bad.status_code == 422
        assert "not an amount of money" in bad.json()["error"]["message"]
