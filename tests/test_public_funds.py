"""Public funding flows: the Levelling Up Fund split by population (totals exact), core spending
power by 2024 district, the group comparison, users' funding files in the community database
(SQLite and PostgreSQL), and the CLI, API and pages."""

from __future__ import annotations

import csv
import json
import warnings
from decimal import Decimal
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leftbehind.errors import Conflict, Forbidden, InvalidInput, NotAuthenticated, UnknownName
from leftbehind.funding import public as pf

with warnings.catch_warnings():  # starlette warns at import that it prefers httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

EDITION = "england-2019-ward"


def _mirror_rows(mirror_dir: Path, source_id: str) -> list[dict[str, str]]:
    from leftbehind.sources.registry import source_by_id

    path = mirror_dir / source_by_id(source_id).mirror_path
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


# -- hand-worked known answers ------------------------------------------------------------------


def test_a_bid_over_two_authorities_is_split_by_population_in_exact_pence():
    # £100.00 over A (1,000 people) and B (2,000): 3,333.33p and 6,666.67p -> 3333 + 6667
    bids = pd.DataFrame(
        [{"fund": "x", "bid": 1, "amount_pence": 10_000, "lads": "E0700000A;E0700000B"}]
    )
    to24 = {"E0700000A": "E0700000A", "E0700000B": "E0700000B"}
    out = pf.split_bids(bids, to24, {"E0700000A": 1000, "E0700000B": 2000})
    assert out["amount_pence"].tolist() == [3333, 6667]
    assert out["method"].tolist() == ["population", "population"]


def test_old_codes_are_carried_to_2024_and_merged():
    # Allerdale and Copeland (2019) are both Cumberland (2024): one share, the whole bid
    bids = pd.DataFrame([{"fund": "x", "bid": 1, "amount_pence": 999, "lads": "OLD1;OLD2"}])
    out = pf.split_bids(bids, {"OLD1": "NEW", "OLD2": "NEW"}, {"NEW": 5})
    assert out.to_dict("records") == [
        {"fund": "x", "bid": 1, "ltla24_code": "NEW", "amount_pence": 999, "method": "single"}
    ]


def test_without_population_a_bid_is_split_equally():
    bids = pd.DataFrame([{"fund": "x", "bid": 1, "amount_pence": 100, "lads": "N1;N2;N3"}])
    out = pf.split_bids(bids, {c: c for c in ("N1", "N2", "N3")}, {})
    assert out["amount_pence"].tolist() == [34, 33, 33] and set(out["method"]) == {"equal"}


def test_unknown_code_is_a_clear_error():
    bids = pd.DataFrame([{"fund": "x", "bid": 7, "amount_pence": 1, "lads": "E99999999"}])
    with pytest.raises(InvalidInput, match=r"bid 7: unknown local authority code 'E99999999'"):
        pf.split_bids(bids, {}, {})


@settings(max_examples=150, deadline=None)
@given(
    amount=st.integers(1, 10**12),
    pops=st.lists(st.none() | st.integers(0, 10**7), min_size=1, max_size=15),
)
def test_split_always_adds_up_to_the_bid(amount, pops):
    codes = [f"C{i}" for i in range(len(pops))]
    bids = pd.DataFrame([{"fund": "x", "bid": 1, "amount_pence": amount, "lads": ";".join(codes)}])
    out = pf.split_bids(bids, {c: c for c in codes}, dict(zip(codes, pops, strict=True)))
    assert int(out["amount_pence"].sum()) == amount
    assert (out["amount_pence"] >= 0).all()


def test_group_comparison_known_answer():
    groups = pd.DataFrame(
        {"edition": "e", "ltla24_code": ["A", "B", "C"], "group": ["left_behind", "rest", "rest"]}
    )
    denoms = pd.DataFrame(
        {"ltla24_code": ["A", "B", "C"], "population": [100, 200, 300], "households": [40, 80, 0]}
    )
    money = pd.DataFrame(
        {"ltla24_code": ["A", "C"], "year": [2021, 2021], "amount_pence": [500, 250]}
    )
    rows = {r["group"]: r for r in pf.comparison_records(pf.compare(money, groups, denoms, "f"))}
    assert rows["left_behind"]["per_head"] == 0.05  # £5 / 100 people
    assert rows["left_behind"]["per_household"] == 0.13  # £5 / 40 households = 0.125 -> 0.13
    assert rows["rest"]["authorities"] == 2 and rows["rest"]["amount_pence"] == 250
    assert rows["rest"]["per_head"] == 0.01  # £2.50 / 500 people = 0.005 -> 0.01 (half up)
    assert rows["other_deprived"]["authorities"] == 0 and rows["other_deprived"]["per_head"] is None
    assert rows["england"]["amount_pence"] == 750 and rows["england"]["population"] == 600


def test_pence_of_accepts_money_and_refuses_the_rest():
    assert pf.pence_of("£1,234.50") == 123_450
    assert pf.pence_of("289.93", scale=10**8) == 28_993_000_000
    for bad in ("-5", "1e6", "12.345", "abc", ""):
        with pytest.raises(InvalidInput):
            pf.pence_of(bad)


# -- the real files ------------------------------------------------------------------------------


@pytest.mark.parametrize("fund", ["luf1", "luf2"])
def test_levelling_up_fund_totals_by_authority_add_up_to_the_file(con, mirror_dir, fund):
    """Done when: totals by local authority add up exactly to the bid totals of the files."""
    rows = _mirror_rows(mirror_dir, pf.FUNDS[fund].source)
    file_total = sum(Decimal(r["Bid Value"]) * 100 for r in rows)
    assert file_total == file_total.to_integral_value()
    by_la = con.execute(
        "SELECT sum(amount_pence), count(DISTINCT bid) FROM public_fund_las WHERE fund = ?", [fund]
    ).fetchone()
    assert by_la == (int(file_total), len(rows))
    # and bid by bid
    per_bid = dict(
        con.execute(
            "SELECT bid, sum(amount_pence) FROM public_fund_las WHERE fund = ? GROUP BY 1", [fund]
        ).fetchall()
    )
    for i, r in enumerate(rows, start=1):
        assert per_bid[i] == int(Decimal(r["Bid Value"]) * 100), r["Bid Name"]


def test_a_multi_authority_bid_follows_census_population(con, mirror_dir):
    # Round 1: the Derby / South Derbyshire bid
    rows = _mirror_rows(mirror_dir, "levelling_up_fund_round1")
    i = next(n for n, r in enumerate(rows, start=1) if r["LADs"] == "E06000015;E07000039")
    shares = dict(
        con.execute(
            "SELECT ltla24_code, amount_pence FROM public_fund_las WHERE fund='luf1' AND bid=?", [i]
        ).fetchall()
    )
    pops = dict(
        con.execute(
            "SELECT l.ltla24_code, sum(p.residents) FROM population21_lsoa21 p JOIN "
            "(SELECT DISTINCT lsoa21_code, ltla24_code FROM lookup_lsoa21_ward24_ltla24) l "
            "USING (lsoa21_code) WHERE l.ltla24_code IN ('E06000015', 'E07000039') GROUP BY 1"
        ).fetchall()
    )
    total = int(Decimal(rows[i - 1]["Bid Value"]) * 100)
    expected = total * pops["E06000015"] / (pops["E06000015"] + pops["E07000039"])
    assert abs(shares["E06000015"] - expected) <= 1
    assert shares["E06000015"] + shares["E07000039"] == total


def test_core_spending_power_years_add_up_to_the_file(con, mirror_dir):
    rows = _mirror_rows(mirror_dir, pf.CSP_SOURCE)
    got = dict(
        con.execute(
            "SELECT year, sum(amount_pence) FROM core_spending_power_las GROUP BY 1"
        ).fetchall()
    )
    for year in pf.CSP_YEARS:
        want = sum(Decimal(r[str(year)]) * 10**8 for r in rows if r[str(year)] != "..")
        assert got[year] == int(want), year
    # a two-tier district gets its own spending power plus a households share of its county
    tendring = con.execute(
        "SELECT amount_pence, county_pence FROM core_spending_power_las "
        "WHERE ltla24_code = 'E07000076' AND year = 2021"
    ).fetchone()
    own = next(Decimal(r["2021"]) for r in rows if r["ons_code"] == "E07000076") * 10**8
    assert tendring[0] - tendring[1] == int(own) and tendring[1] > 0


def test_groups_follow_the_identification(con):
    groups = (
        con.execute(
            'SELECT ltla24_code, "group" FROM public_fund_la_groups WHERE edition = ?', [EDITION]
        )
        .df()
        .set_index("ltla24_code")["group"]
    )
    ident = con.execute(
        'SELECT local_authority_code, "group" FROM identification WHERE edition = ?', [EDITION]
    ).df()
    with_lb = set(ident.loc[ident["group"] == "left_behind", "local_authority_code"])
    assert "E07000076" in with_lb and groups["E07000076"] == "left_behind"  # Tendring (Jaywick)
    assert groups.value_counts().to_dict().keys() == {"left_behind", "other_deprived", "rest"}
    # every England row sums the three groups
    comp = (
        con.execute(
            'SELECT fund, "group", amount_pence, population FROM public_fund_comparison '
            "WHERE edition = ? AND fund = 'luf1'",
            [EDITION],
        )
        .df()
        .set_index("group")
    )
    parts = comp.loc[["left_behind", "other_deprived", "rest"]]
    assert parts["amount_pence"].sum() == comp.loc["england", "amount_pence"]
    assert parts["population"].sum() == comp.loc["england", "population"]


# -- serving: the observatory, the community database, CLI and web ------------------------------


@pytest.fixture()
def service(store_path: Path, community):
    from leftbehind.observatory.public_funds import PublicFunds
    from leftbehind.observatory.service import Observatory

    obs = Observatory(store_path, EDITION)
    yield PublicFunds(obs, community)
    obs.close()


def _admin(community):
    from leftbehind.community.accounts import add_user

    return add_user(community, "admin@example.org", "a long enough password", "admin")


USER_CSV = (
    "Lead applicant,Bid Name,Bid Value,LADs\n"
    'Tendring,Clacton,"£1,000,000.01",E07000076\n'
    "Thanet,Margate and Clacton,200000,E07000114;E07000076\n"
).encode()


def test_users_fund_is_stored_split_and_shown_beside_the_official(service, community):
    admin = _admin(community)
    result = service.import_csv(USER_CSV, "ukspf-demo", year=2023, label="UKSPF demo",
                                principal=admin, filename="demo.csv")  # fmt: skip
    assert (result["bids"], result["amount_pence"]) == (2, 120_000_001)
    doc = service.summary(EDITION)
    ids = [f["id"] for f in doc["funds"]]
    assert ids[:2] == ["luf1", "luf2"] and "ukspf-demo" in ids
    mine = next(f for f in doc["funds"] if f["id"] == "ukspf-demo")
    assert mine["kind"] == "imported" and mine["england_pence"] == 120_000_001
    lb = next(g for g in mine["groups"] if g["group"] == "left_behind")
    assert lb["amount_pence"] == 120_000_001  # Tendring and Thanet both have left-behind wards
    detail = service.fund("ukspf-demo", EDITION)
    assert sum(r["amount_pence"] for r in detail["local_authorities"]) == 120_000_001
    la = service.local_authority("E07000076", EDITION)
    amount = next(f["amount_pence"] for f in la["funds"] if f["id"] == "ukspf-demo")
    assert 100_000_001 < amount < 120_000_001
    # a re-import needs --replace; then it replaces whole
    with pytest.raises(Conflict, match="--replace"):
        service.import_csv(USER_CSV, "ukspf-demo", principal=admin)
    service.import_csv(USER_CSV.split(b"\n", 2)[0] + b"\n" + USER_CSV.split(b"\n")[1] + b"\n",
                       "ukspf-demo", principal=admin, replace=True)  # fmt: skip
    again = next(f for f in service.summary(EDITION)["funds"] if f["id"] == "ukspf-demo")
    assert again["total_pence"] == 100_000_001


def test_only_admins_or_the_operator_import(service, community):
    from leftbehind.community.accounts import add_user

    editor = add_user(community, "ed@example.org", "a long enough password", "editor",
                      areas=["E05000028"])  # fmt: skip
    with pytest.raises(NotAuthenticated):
        service.import_csv(USER_CSV, "x")
    with pytest.raises(Forbidden):
        service.import_csv(USER_CSV, "x", principal=editor)
    assert service.import_csv(USER_CSV, "x", local=True)["imported_by"] == "local operator"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"Bid Name,LADs\nx,E07000076\n", "lacks column"),
        (b"Bid Name,Bid Value,LADs\nx,12.345,E07000076\n", "fractions of a penny"),
        (b"Bid Name,Bid Value,LADs\nx,10,\n", "lists no local authority codes"),
        (b"Bid Name,Bid Value,LADs\nx,10,E99999999\n", "unknown local authority code"),
        (b'Bid Name,Bid Value,LADs\n"x,10,E07000076\n', "not valid CSV"),
        (b"\xff\xfe", "not UTF-8"),
    ],
)
def test_bad_files_are_one_line_errors_and_change_nothing(service, community, data, message):
    with pytest.raises(InvalidInput, match=message) as info:
        service.import_csv(data, "bad", local=True)
    assert "\n" not in str(info.value)
    from leftbehind.community.public_funds import list_funds

    assert list_funds(community) == []


def test_fund_names_are_checked(service):
    with pytest.raises(InvalidInput, match="official fund"):
        service.import_csv(USER_CSV, "luf1", local=True)
    with pytest.raises(InvalidInput, match="lower-case"):
        service.import_csv(USER_CSV, "Bad Name!", local=True)
    with pytest.raises(UnknownName, match="choose one of: luf1, luf2, core_spending_power"):
        service.fund("nope", EDITION)
    with pytest.raises(UnknownName, match="English editions only"):
        service.summary("wales-2022-msoa")


def test_template_is_importable_and_documented(service):
    template = pf.template_csv()
    assert template.splitlines()[0] == ",".join(pf.TEMPLATE_HEADER)
    result = service.import_csv(template.encode(), "template-check", local=True)
    assert result["amount_pence"] == 125_000_000
    assert "Bid Value" in pf.SCHEMA_TEXT and "LADs" in pf.SCHEMA_TEXT


def _cli(args: list[str], home: Path):
    from typer.testing import CliRunner

    from leftbehind.cli.main import app

    env = {"LEFTBEHIND_HOME": str(home), "LEFTBEHIND_DATABASE_URL": None}
    return CliRunner().invoke(app, args, env=env)


def test_cli_funds_summary_import_and_template(store_path: Path, tmp_path: Path):
    import shutil

    home = tmp_path / "home"
    home.mkdir()
    (home / "leftbehind.duckdb").symlink_to(store_path)
    shutil.rmtree(home / "cache", ignore_errors=True)
    from leftbehind.community.schema import upgrade

    upgrade(f"sqlite:///{home / 'community.sqlite3'}")
    template = tmp_path / "template.csv"
    assert _cli(["funds", "template", "-o", str(template)], home).exit_code == 0
    done = _cli(["funds", "import", str(template), "--fund", "demo", "--year", "2024"], home)
    assert done.exit_code == 0, done.output
    result = _cli(["funds", "summary", "--json", "--edition", EDITION], home)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert [f["id"] for f in doc["funds"]] == ["luf1", "luf2", "demo"]
    assert doc["not_covered"] == ["UK Shared Prosperity Fund (UKSPF)", "Towns Fund",
                                  "Community Ownership Fund"]  # fmt: skip
    assert "split between them in proportion to their Census 2021" in doc["method"]
    bad = _cli(["funds", "import", str(template), "--fund", "demo"], home)
    assert bad.exit_code != 0 and "--replace" in bad.output and "Traceback" not in bad.output


def test_api_and_pages(store_path: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    with TestClient(create_app(fresh_settings(home=store_path.parent, edition=EDITION))) as c:
        summary = c.get("/api/funds", params={"edition": EDITION}).json()
        luf1 = next(f for f in summary["funds"] if f["id"] == "luf1")
        groups = {g["group"]: g for g in luf1["groups"]}
        assert set(groups) == {"left_behind", "other_deprived", "rest", "england"}
        lb = groups["left_behind"]
        exact = Decimal(lb["amount_pence"]) / 100 / lb["population"]
        assert abs(Decimal(str(lb["per_head"])) - exact) <= Decimal("0.005")
        assert summary["method"].startswith("A bid covering several local authorities")
        detail = c.get("/api/funds/luf2", params={"format": "csv"})
        assert detail.status_code == 200 and detail.text.startswith("code,name,year,group")
        total = sum(Decimal(r["amount_gbp"]) for r in csv.DictReader(detail.text.splitlines()))
        luf2 = next(f for f in summary["funds"] if f["id"] == "luf2")
        assert int(total * 100) == luf2["total_pence"]  # every authority, every nation
        assert c.get("/api/funds/nope").status_code == 404
        assert c.get("/api/funds/template.csv").text.startswith("Lead applicant,Bid Name")
        la = c.get("/api/local-authorities/E07000026/funds").json()  # Allerdale -> Cumberland
        assert la["code_2024"] == "E06000063" and len(la["core_spending_power"]) == 10
        html = c.get("/funding/public").text
        assert "Authorities with &#39;left behind&#39; areas" in html or "left behind" in html
        assert "UK Shared Prosperity Fund" in html and "Census 2021" in html
        page = c.get("/local-authorities/E07000076").text
        assert 'id="la-funds"' in page and "Levelling Up Fund round 1" in page
        wales = c.get("/local-authorities/W06000001", params={"edition": "wales-2022-msoa"})
        assert wales.status_code == 200 and 'id="la-funds"' not in wales.text


def test_the_group_comparison_per_head_is_the_money_over_the_people(con):
    comp = con.execute(
        'SELECT "group", amount_pence, population FROM public_fund_comparison '
        "WHERE edition = 'england-2023-lsoa' AND fund = 'luf2'"
    ).df()
    las = (
        con.execute(
            'SELECT g."group", sum(s.amount_pence) AS amount FROM public_fund_las s JOIN '
            "public_fund_la_groups g USING (ltla24_code) WHERE s.fund = 'luf2' AND "
            "g.edition = 'england-2023-lsoa' GROUP BY 1"
        )
        .df()
        .set_index("group")["amount"]
    )
    for rec in comp.to_dict("records"):
        if rec["group"] != "england":
            assert rec["amount_pence"] == las[rec["group"]]
    assert np.all(comp["population"] > 0)


def test_official_funds_are_served_while_the_community_database_is_unavailable(
    store_path: Path, tmp_path: Path
):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    empty = tmp_path / "never-migrated.sqlite3"  # no tables at all
    settings = fresh_settings(
        home=store_path.parent, edition=EDITION, database_url=f"sqlite:///{empty}"
    )
    with TestClient(create_app(settings)) as c:
        summary = c.get("/api/funds", params={"edition": EDITION})
        assert summary.status_code == 200
        assert {f["id"] for f in summary.json()["funds"]} >= {"luf1", "luf2"}
        assert all(f["kind"] == "official" for f in summary.json()["funds"])
        assert c.get("/funding/public").status_code == 200
        assert c.get("/local-authorities/E07000076").status_code == 200
