"""Importing 360Giving files into the community database (SQLite and PostgreSQL), with the
evidence store only read; per-head summaries of what was imported."""

from __future__ import annotations

import pandas as pd
import pytest

from funding_fixtures import write_all
from leftbehind.community import grants as gdb
from leftbehind.funding import summary
from leftbehind.funding.grants_store import import_grants, parse_amount, parse_date

SAMPLE_POSTCODES = "nspl-2024-08-derived.csv.gz"


@pytest.fixture()
def files(tmp_path):
    return write_all(tmp_path)


def _table(community, name):
    with community.read_engine.connect() as conn:
        frame = pd.read_sql_table(name, conn)
    frame = frame.drop(columns=["id"], errors="ignore")
    return frame.sort_values(list(frame.columns[:3])).reset_index(drop=True)


def _grants(community):
    return gdb.load(community).set_index("identifier")


def test_parsers():
    assert parse_amount("£2,500.50") == 2500.5
    assert parse_amount(" 10 ") == 10.0
    assert parse_amount("lots") is None and parse_amount(None) is None
    assert parse_date("01/06/2018").isoformat() == "2018-06-01"
    assert parse_date("2015-06-01T00:00:00+00:00").isoformat() == "2015-06-01"
    assert parse_date(43831).isoformat() == "2020-01-01"
    assert parse_date("next tuesday") is None and parse_date("31/02/2020") is None


def test_import_fixture_both_layouts(files, tmp_path, community):
    rejects_csv = tmp_path / "rejects.csv"
    result = import_grants(
        community, None, [files["csv"], files["json"]], postcodes=files["lookup"],
        rejects_path=rejects_csv,
    )  # fmt: skip
    grants = _grants(community)
    # 14 flat rows + 5 JSON; rejected: duplicate, missing id/amount, bad date, bad amount
    assert result.rejected == 5 and result.inserted == 14
    assert len(grants) == 14
    rejects = pd.read_csv(rejects_csv)
    rejected = rejects[rejects["action"] == "rejected"].set_index("row_number")
    assert "duplicate Identifier 360G-T-1 (first at flat.csv row 2)" in rejected.loc[7, "reason"]
    assert rejected.loc[8, "reason"] == "missing Identifier"
    assert rejected.loc[9, "reason"] == "missing Amount Awarded"
    assert "Award Date 'next tuesday' is not a date" in rejected.loc[10, "reason"]
    assert "Amount Awarded 'lots' is not an amount" in rejected.loc[5, "reason"]
    # every locatable grant is located, each by the expected method
    expect = {
        "360G-T-1": ("beneficiary", "lsoa21"), "360G-T-2": ("beneficiary", "ward"),
        "360G-T-3": ("beneficiary", "ltla"), "360G-T-4": ("recipient_postcode", "lsoa21"),
        "360G-T-5": ("recipient_postcode", "lsoa21"), "360G-T-14": ("beneficiary", "lsoa21"),
        "360G-J-1": ("beneficiary", "lsoa21"), "360G-J-2": ("beneficiary", "ltla"),
        "360G-J-3": ("recipient_location", "ward"),
    }  # fmt: skip
    for ident, (method, geography) in expect.items():
        assert (grants.loc[ident, "location_method"], grants.loc[ident, "location_geography"]) == (
            method, geography
        ), ident  # fmt: skip
    assert grants.loc["360G-T-4", "recipient_postcode"] == "DT1 1AA"
    assert grants.loc["360G-T-2", "amount_gbp"] == 2500.5
    assert grants.loc["360G-T-2", "amount_gbp_pence"] == 250050  # exact, in integer pence
    # non-GBP kept, not summed, and reported
    assert grants.loc["360G-T-10", "currency"] == "USD"
    assert pd.isna(grants.loc["360G-T-10", "amount_gbp"])
    assert (
        "currency USD" in rejects.loc[rejects["action"] == "imported_not_summed", "reason"].item()
    )
    unlocated = rejects[rejects["action"] == "imported_unlocated"]
    # without a store every well-formed code is accepted; the store test checks unknown codes
    assert set(unlocated["identifier"]) == {"360G-T-11", "360G-T-13", "360G-J-4"}
    assert all(unlocated["reason"].str.startswith("not located: "))
    # the same rejects are kept in the database, with file, row and reason
    stored = gdb.rejects(community)
    assert set(stored["row_number"][stored["action"] == "rejected"]) == {5, 7, 8, 9, 10}
    assert stored["source_file"].isin(["flat.csv", "package.json"]).all()


def test_reimport_changes_nothing(files, community):
    import_grants(community, None, [files["csv"], files["json"]], postcodes=files["lookup"])
    tables = ("grants", "grant_rejects", "grant_imports")
    before = {t: _table(community, t) for t in tables}
    version = gdb.version(community)
    again = import_grants(community, None, [files["json"], files["csv"]], postcodes=files["lookup"])
    assert again.inserted == 0 and again.already_present == 14
    for name, frame in before.items():
        pd.testing.assert_frame_equal(_table(community, name), frame)
    assert gdb.version(community) == version  # nothing changed, so the site recomputes nothing


def test_rates_convert_non_gbp(files, community):
    import_grants(community, None, files["csv"], postcodes=files["lookup"], rates={"usd": 0.8})
    assert _grants(community).loc["360G-T-10", "amount_gbp_pence"] == 40000


def test_import_never_half_applies(files, monkeypatch, community, tmp_path):
    """A failure after the grants were written (storing the rejects) leaves nothing behind:
    one transaction, and the rejects file is not written either."""
    original = gdb._insert

    class Boom(RuntimeError):
        pass

    def failing(session, table, rows, keys):
        if table.name == "grant_rejects":
            raise Boom("disk full")
        return original(session, table, rows, keys)

    monkeypatch.setattr(gdb, "_insert", failing)
    with pytest.raises(Boom):
        import_grants(community, None, files["csv"], postcodes=files["lookup"],
                      rejects_path=tmp_path / "r.csv")  # fmt: skip
    assert gdb.version(community) == (0, 0, 0)
    assert gdb.rejects(community).empty and not (tmp_path / "r.csv").exists()


def test_import_into_store_copy_and_summary(files, con, community):
    result = import_grants(community, con, [files["csv"], files["json"]],
                           postcodes=files["lookup"], apportion=True)  # fmt: skip
    grants = gdb.load(community)
    # E01999999 is unknown to the store
    note = grants.set_index("identifier").loc["360G-T-12", "location_note"]
    assert "E01999999 is unknown" in note
    assert result.by_method["beneficiary"] >= 6
    totals = summary.grant_totals(con, "england-2023-lsoa", grants=grants)
    assert list(totals.columns) == ["code", "grants", "amount_gbp", "amount_per_head"]
    sunderland = totals.set_index("code").loc["E01008703"]
    # T-1 (1000), T-5 (99), T-14 (15) land in this LSOA, plus shares of ward/LA grants
    assert sunderland["amount_gbp"] >= 1114
    placed = summary.placed_grants(con, "lsoa21", grants=grants)
    shares = placed.groupby("identifier")["w"].sum()
    assert shares.round(9).eq(1).all()  # every placed grant is placed exactly once
    assert placed.loc[placed["identifier"] == "360G-T-3", "apportioned"].all()
    report = summary.summary(con, "england-2019-ward", grants=grants)
    groups = {row["group"]: row for row in report["groups"]}
    assert set(groups) == {"left_behind", "other_deprived", "England"}
    assert report["coverage"]["unlocated_grants"] == 4  # T-11, T-12, T-13, J-4
    assert report["coverage"]["not_gbp_grants"] == 1
    assert report["reconciliation"]["adds_up"]
    # the profile's dimension 9 uses the same per-head definition as the summary, unrounded
    from leftbehind.profiles import funding_link, values

    data = values.build(con, "england-2019-ward")
    con.register("grants", grants)  # as the observatory hands them to the profile
    comps = funding_link.grant_data(con, data).comparators
    totals_by_group = summary.group_totals(
        summary.area_grants(con, "england-2019-ward", grants=grants)
    )
    for name in ("left_behind", "other_deprived", "nation"):
        assert comps[name] == totals_by_group[name]["per_head"]
    assert round(comps["nation"], 2) == groups["England"]["per_head"]


def test_group_totals_hand_worked():
    per_area = pd.DataFrame(
        {
            "code": ["A", "B", "C", "D"],
            "group": ["left_behind", "left_behind", "other_deprived", "rest"],
            "population": [100.0, 300.0, 200.0, float("nan")],  # D: no population
            "grants": [1.0, 0.5, 2.0, 1.0],
            "amount_gbp": [100.0, 500.0, 50.0, 70.0],
        }
    )
    totals = summary.group_totals(per_area)
    # summed money over summed population, never a mean of the areas' per-head figures
    assert totals["left_behind"]["per_head"] == 600.0 / 400.0  # not (1 + 5/3) / 2
    assert totals["other_deprived"]["per_head"] == 0.25
    assert totals["nation"]["per_head"] == 720.0 / 600.0
    assert totals["nation"]["areas"] == 4 and totals["nation"]["grants"] == 4.5
    assert summary.per_head(10.0, 0.0) is None


@pytest.mark.integration
def test_real_samples_located_shares(samples_dir, con, tmp_path):
    from leftbehind.community import Community
    from leftbehind.community.schema import upgrade

    url = f"sqlite:///{tmp_path / 'community.sqlite3'}"
    upgrade(url)
    community = Community(url)
    grants_dir = samples_dir / "grants"
    files = sorted(grants_dir.iterdir())
    lookup = samples_dir / "postcodes" / SAMPLE_POSTCODES
    # (its speed, <= 10 s, is measured by bench/bench_funding.py, not asserted here)
    result = import_grants(community, con, files, postcodes=lookup, rejects_path=tmp_path / "r.csv")
    # One sample grant is of £0 (Lloyds Bank Foundation row 1608): amounts must be positive.
    assert result.rejected == 1 and result.inserted == 8221
    (reject,) = result.rejects[result.rejects["action"] == "rejected"].itertuples()
    assert reject.source_file == "lloyds-bank-foundation-2010-2015.xlsx"
    assert reject.row_number == 1608
    assert reject.reason == "Amount Awarded 0 is not positive (at least a penny)"
    grants = gdb.load(community)
    england = grants[
        (grants["country"] == "E")
        & (grants["recipient_postcode"].notna() | grants["beneficiary_codes"].notna())
    ]
    shares = (
        england.assign(located=england["location_method"] != "unlocated")
        .groupby("source_file")
        .agg(n=("identifier", "size"), located=("located", "sum"))
        .reset_index()
    )
    overall = shares["located"].sum() / shares["n"].sum()
    assert overall >= 0.95, shares
    # funders based in the lookup's covered areas are almost all located
    by_file = shares.set_index("source_file")
    for name in ("lloyds-bank-foundation-2010-2015.xlsx", "power-to-change-2015-2019.json",
                 "covid19-grants-2020.json"):  # fmt: skip
        assert by_file.loc[name, "located"] / by_file.loc[name, "n"] >= 0.95, name
    # every unlocated grant is reported with a reason
    rejects = pd.read_csv(tmp_path / "r.csv")
    assert len(rejects[rejects["action"] == "imported_unlocated"]) == result.unlocated
    report = summary.summary(con, "england-2019-ward", grants=grants)
    per_head = {row["group"]: row["per_head"] for row in report["groups"]}
    assert all(v > 0 for v in per_head.values())
    again = import_grants(community, con, files, postcodes=lookup)
    assert again.inserted == 0
    community.dispose()


def test_year_range_must_run_forwards():
    from leftbehind.errors import InvalidInput
    from leftbehind.funding.summary import check_years

    check_years(2015, 2015)
    check_years(None, 2010)
    with pytest.raises(InvalidInput, match="--from 2020 is after --to 2019") as info:
        check_years(2020, 2019)
    assert info.value.parameter == "from"
