"""Grants in the community database (issues 12 and 19): moved once from an old store, money
that reconciles to the penny (hand-worked and as an invariant), filters, lists with links, an
import while ``serve`` runs, an admin's upload, and sign-in limits per client address."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import socket
import subprocess
import sys
import time
import warnings
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leftbehind.community import grants as gdb
from leftbehind.errors import InvalidInput, TooManyAttempts
from leftbehind.funding import reconcile as rc
from leftbehind.funding.summary import GrantFilters

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

EDITION = "england-2019-ward"
PASSWORD = "correct horse battery"

# The grants tables of a store built before grants moved to the community database.
OLD_GRANTS = """CREATE TABLE grants (identifier VARCHAR PRIMARY KEY, source_file VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL, row_number INTEGER NOT NULL, title VARCHAR, funder_id VARCHAR,
    funder_name VARCHAR, recipient_id VARCHAR, recipient_name VARCHAR, recipient_postcode VARCHAR,
    award_date DATE NOT NULL, award_year INTEGER NOT NULL, amount DOUBLE NOT NULL,
    currency VARCHAR NOT NULL, amount_gbp DOUBLE, beneficiary_codes VARCHAR,
    recipient_location_codes VARCHAR, location_method VARCHAR NOT NULL, location_geography VARCHAR,
    location_code VARCHAR, lsoa21_code VARCHAR, lsoa11_code VARCHAR, ward_code VARCHAR,
    ltla_code VARCHAR, country VARCHAR, location_note VARCHAR, apportioned BOOLEAN NOT NULL)"""
OLD_REJECTS = """CREATE TABLE grant_rejects (source_file VARCHAR NOT NULL,
    source_sha256 VARCHAR NOT NULL, row_number INTEGER NOT NULL, identifier VARCHAR,
    action VARCHAR NOT NULL, reason VARCHAR NOT NULL)"""
OLD_IMPORTS = """CREATE TABLE grant_imports (source_file VARCHAR NOT NULL,
    source_sha256 VARCHAR PRIMARY KEY, rows INTEGER NOT NULL,
    first_imported_at TIMESTAMP NOT NULL)"""


def old_store(path: Path) -> Path:
    con = duckdb.connect(str(path))
    for ddl in (OLD_GRANTS, OLD_REJECTS, OLD_IMPORTS):
        con.execute(ddl)
    con.execute(
        "INSERT INTO grants VALUES ('G-1', 'a.csv', 'sha-a', 2, 'Hall roof', 'GB-F-1', 'Funder', "
        "'GB-CHC-1', 'Hall', 'SR1 1AA', DATE '2019-05-01', 2019, 1234.56, 'GBP', 1234.56, "
        "'E01008703', NULL, 'beneficiary', 'lsoa21', 'E01008703', 'E01008703', NULL, NULL, NULL, "
        "'E', NULL, false), ('G-2', 'a.csv', 'sha-a', 3, 'Trip', 'GB-F-1', 'Funder', NULL, "
        "'Club', NULL, DATE '2020-01-02', 2020, 500, 'USD', NULL, NULL, NULL, 'unlocated', NULL, "
        "NULL, NULL, NULL, NULL, NULL, NULL, 'no beneficiary code, recipient location code or "
        "postcode', false)"
    )
    con.execute(
        "INSERT INTO grant_rejects VALUES ('a.csv', 'sha-a', 4, NULL, 'rejected', "
        "'missing Identifier')"
    )
    con.execute("INSERT INTO grant_imports VALUES ('a.csv', 'sha-a', 3, TIMESTAMP '2025-01-01')")
    con.close()
    return path


def test_an_old_store_s_grants_are_moved_once(community, tmp_path):
    store = old_store(tmp_path / "old.duckdb")
    con = duckdb.connect(str(store), read_only=True)
    try:
        moved = gdb.move_from_store(community, con)
        assert (moved.grants, moved.rejects, moved.files) == (2, 1, 1)
        assert "Moved 2 grants" in moved.message()
        again = gdb.move_from_store(community, con)  # idempotent: the file is logged now
        assert not again and again.grants == 0
    finally:
        con.close()
    grants = gdb.load(community).set_index("identifier")
    assert grants.loc["G-1", "amount_gbp_pence"] == 123456  # 1234.56 exactly, in pence
    assert pd.isna(grants.loc["G-2", "amount_gbp_pence"]) and grants.loc["G-2", "currency"] == "USD"
    assert grants.loc["G-1", "award_date"] == dt.date(2019, 5, 1)
    (log,) = gdb.imports(community)
    assert (log["source_file"], log["via"], log["rows"]) == ("a.csv", "store", 3)
    rejects = gdb.rejects(community)
    assert rejects.to_dict("records") == [
        {"source_file": "a.csv", "source_sha256": "sha-a", "row_number": 4,
         "identifier": None, "action": "rejected", "reason": "missing Identifier"}
    ]  # fmt: skip
    assert gdb.version(community) == (2, log["id"], 0)


# -- reconciliation: hand-worked ---------------------------------------------------------------
def _frame(rows: list[tuple]) -> pd.DataFrame:
    columns = ["identifier", "amount_gbp_pence", "currency", "amount", "location_method",
               "location_geography", "apportioned", "country", "location_note"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)


def test_reconciliation_hand_worked():
    grants = _frame([
        # £100.00 wholly placed
        ("A", 10000, "GBP", 100.0, "beneficiary", "lsoa21", False, "E", None),
        # £10.01 split: a third placed, a third in an area with no residents, a third elsewhere
        ("B", 1001, "GBP", 10.01, "beneficiary", "ward", False, "E", None),
        # £50.00 in Wales: another nation
        ("C", 5000, "GBP", 50.0, "beneficiary", "ward", False, "W", None),
        # £7.00 only to a local authority, not apportioned
        ("D", 700, "GBP", 7.0, "beneficiary", "ltla", False, "E", None),
        # £3.33 unlocated: postcode not in the lookup
        ("E", 333, "GBP", 3.33, "unlocated", None, False, "E",
         "postcode SR1 9ZZ not in the lookup"),
        # $20 with no rate: no value in pounds
        ("F", None, "USD", 20.0, "beneficiary", "lsoa21", False, "E", None),
        # £1.00 in the City of London (England, not in the edition)
        ("G", 100, "GBP", 1.0, "beneficiary", "ward", False, "E", None),
    ])  # fmt: skip
    placed = pd.Series({"A": 1.0, "B": 1 / 3})
    empty = pd.Series({"B": 1 / 3})
    money = rc.reconcile(grants, placed, empty, set(), "E")
    # B: 1001 x 1/3 = 333.67 -> 334 placed; 334 without residents; 333 left, not covered
    assert money["placed"]["amount_pence"] == 10000 + 334
    outside = {r["reason"]: r for r in money["located_outside"]["reasons"]}
    assert outside["other_nation"]["amount_pence"] == 5000
    assert outside["local_authority_only"]["amount_pence"] == 700
    assert outside["no_population"]["amount_pence"] == 334
    assert outside["not_covered"]["amount_pence"] == 333 + 100
    (unloc,) = money["unlocated"]["reasons"]
    assert (unloc["reason"], unloc["grants"], unloc["amount_pence"]) == (
        "postcode_not_in_lookup", 1, 333,
    )  # fmt: skip
    assert money["total"] == {"grants": 7, "amount_pence": 17134, "amount_gbp": 171.34}
    assert money["not_in_gbp"]["grants"] == 1 and money["not_in_gbp"]["by_currency"] == {
        "USD": 20.0
    }
    # counts: B is counted once, where most of its money went (a tie: placed)
    assert money["placed"]["grants"] == 2
    assert outside["no_population"]["grants"] == 0 and outside["not_covered"]["grants"] == 1
    assert money["adds_up"] is True


def _parts_sum(money: dict) -> tuple[int, int]:
    pence = money["placed"]["amount_pence"] + sum(
        r["amount_pence"]
        for part in ("located_outside", "unlocated")
        for r in money[part]["reasons"]
    )
    grants = (
        money["placed"]["grants"]
        + sum(r["grants"] for part in ("located_outside", "unlocated")
              for r in money[part]["reasons"])
        + money["not_in_gbp"]["grants"]
    )  # fmt: skip
    return pence, grants


GRANT = st.tuples(
    st.one_of(st.none(), st.integers(1, 10**12)),  # pence (None: no GBP value)
    st.sampled_from(["beneficiary", "recipient_postcode", "unlocated"]),
    st.sampled_from(["lsoa21", "ward", "ltla", "utla", "msoa"]),
    st.booleans(),  # apportioned
    st.sampled_from(["E", "W", "S", ""]),
    st.floats(0, 1),  # placed share
    st.floats(0, 1),  # share in areas without residents
    st.booleans(),  # the code covers nobody
    st.sampled_from([None, "malformed postcode '7044'", "postcode X not in the lookup", "odd"]),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(GRANT, max_size=40))
def test_reconciliation_adds_up_to_the_penny(rows):
    """Whatever the grants and shares, the parts add up to the total exactly, in money and
    in grants, and no part is negative."""
    grants = _frame([
        (f"G{i}", p, "GBP" if p is not None else "EUR", 1.0, method, geo, app, country, note)
        for i, (p, method, geo, app, country, _, _, _, note) in enumerate(rows)
    ])  # fmt: skip
    placed = pd.Series({f"G{i}": r[5] for i, r in enumerate(rows)}, dtype=float)
    empty = pd.Series({f"G{i}": r[6] for i, r in enumerate(rows)}, dtype=float)
    nobody = {f"G{i}" for i, r in enumerate(rows) if r[7]}
    money = rc.reconcile(grants, placed, empty, nobody, "E")
    pence, count = _parts_sum(money)
    assert pence == money["total"]["amount_pence"] == sum(r[0] or 0 for r in rows)
    assert count == money["total"]["grants"] == len(rows)
    assert money["adds_up"]
    for part in ("located_outside", "unlocated"):
        assert all(r["amount_pence"] >= 0 and r["grants"] >= 0 for r in money[part]["reasons"])
    assert money["placed"]["amount_pence"] >= 0


def test_filters_select_by_size_funder_type_and_year():
    grants = pd.DataFrame({
        "award_year": [2015, 2019, 2020, 2021],
        "amount_gbp_pence": [100_000_000, 100_000_001, 50_00, None],
        "funder_id": ["GB-CHC-1", "GB-CHC-2", "GB-CHC-1", "GB-COH-9"],
        "funder_name": ["Lloyds Bank Foundation", "Power to Change", "Lloyds Bank Foundation",
                        None],
        "funder_type": [None, "Trust", None, "Company"],
    })  # fmt: skip
    pick = lambda f: list(grants.index[f.mask(grants)])  # noqa: E731
    assert pick(GrantFilters(max_grant=1_000_000)) == [0, 2, 3]  # £1m exactly is kept
    assert pick(GrantFilters(funder="lloyds")) == [0, 2]  # part of the name, any case
    assert pick(GrantFilters(funder="gb-coh-9")) == [3]  # the identifier
    assert pick(GrantFilters(funder_type="trust")) == [1]
    assert pick(GrantFilters(year_from=2019, year_to=2020)) == [1, 2]
    assert GrantFilters(max_grant=1e6).applied() == [
        "grants of at most £1,000,000.00 each (as the report did)"
    ]
    with pytest.raises(InvalidInput, match="--max-grant"):
        GrantFilters(max_grant=float("nan"))
    with pytest.raises(InvalidInput, match="--funder must be"):
        GrantFilters(funder=" ")


# -- the real samples --------------------------------------------------------------------------
@pytest.fixture(scope="module")
def sample_home(store_path: Path, samples_dir: Path, tmp_path_factory) -> Path:
    """A site home: the store (linked, only read) and a community database with every sample
    grant file imported by the CLI (postcodes from the store's own lookup)."""
    from leftbehind.community.schema import upgrade

    home = tmp_path_factory.mktemp("samples-home")
    (home / "leftbehind.duckdb").symlink_to(store_path)
    upgrade(f"sqlite:///{home / 'community.sqlite3'}")
    files = sorted((samples_dir / "grants").iterdir())
    result = run_cli(home, "grants", "import", *files, "--samples", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["inserted"] == 8221
    return home


def run_cli(home: Path, *args, timeout: int = 300) -> subprocess.CompletedProcess:
    env = {**os.environ, "LEFTBEHIND_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "leftbehind", *map(str, args)],
        capture_output=True, text=True, env=env, timeout=timeout,
    )  # fmt: skip


def _stored_pence(home: Path, max_pence: int | None = None) -> tuple[int, int]:
    import sqlite3

    db = sqlite3.connect(home / "community.sqlite3")
    try:
        where = "" if max_pence is None else f"WHERE amount_gbp_pence <= {max_pence}"
        total = db.execute(f"SELECT sum(amount_gbp_pence) FROM grants {where}").fetchone()[0]
        where_n = (
            "" if max_pence is None
            else f"WHERE amount_gbp_pence <= {max_pence} OR amount_gbp_pence IS NULL"
        )  # fmt: skip
        count = db.execute(f"SELECT count(*) FROM grants {where_n}").fetchone()[0]
    finally:
        db.close()
    return total, count


def test_cli_summary_reconciles_to_the_penny_and_says_its_filters(sample_home):
    result = run_cli(sample_home, "grants", "summary", "--edition", EDITION, "--json")
    assert result.returncode == 0, result.stderr
    full = json.loads(result.stdout)
    money = full["reconciliation"]
    total, count = _stored_pence(sample_home)
    assert money["total"]["amount_pence"] == total and money["total"]["grants"] == count
    assert _parts_sum(money) == (total, count) and money["adds_up"]
    assert full["filters_applied"] == [] and full["samples"] is True
    reasons = {r["reason"] for r in money["located_outside"]["reasons"]}
    assert "other_nation" in reasons  # the samples include Welsh and Scottish grants
    capped = json.loads(
        run_cli(sample_home, "grants", "summary", "--edition", EDITION, "--max-grant", "1000000",
                "--json").stdout
    )  # fmt: skip
    total_1m, count_1m = _stored_pence(sample_home, 100_000_000)
    assert capped["reconciliation"]["total"]["amount_pence"] == total_1m < total
    assert capped["reconciliation"]["total"]["grants"] == count_1m < count
    assert _parts_sum(capped["reconciliation"]) == (total_1m, count_1m)
    assert capped["groups"] != full["groups"]
    text = run_cli(sample_home, "grants", "summary", "--edition", EDITION, "--max-grant", "1000000")
    assert "Filters applied: grants of at most £1,000,000.00 each" in text.stdout
    assert "Total imported" in text.stdout
    bad = run_cli(sample_home, "grants", "summary", "--edition", EDITION, "--max-grant", "-5")
    assert bad.returncode != 0 and "Traceback" not in bad.stderr
    assert "--max-grant -5.0 is not a positive amount" in bad.stderr


@pytest.fixture(scope="module")
def sample_client(sample_home: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    with TestClient(create_app(fresh_settings(home=sample_home, edition=EDITION))) as client:
        yield client


def test_api_and_page_carry_the_same_reconciliation(sample_client, sample_home):
    cli = json.loads(
        run_cli(sample_home, "grants", "summary", "--edition", EDITION, "--max-grant", "1000000",
                "--funder", "lloyds", "--json").stdout
    )  # fmt: skip
    api = sample_client.get(
        "/api/grants/summary",
        params={"edition": EDITION, "max_grant": 1000000, "funder": "lloyds"},
    )
    assert api.status_code == 200
    body = api.json()
    assert body["reconciliation"] == cli["reconciliation"]
    assert body["filters_applied"] == cli["filters_applied"] and len(cli["filters_applied"]) == 2
    page = sample_client.get(
        "/funding", params={"edition": EDITION, "max_grant": 1000000, "funder": "lloyds"}
    )
    assert page.status_code == 200
    text = re.sub(r"\s+", " ", page.text)
    money = body["reconciliation"]
    assert "Filters applied: grants of at most £1,000,000.00 each" in text
    total = f"£{money['total']['amount_pence'] / 100:,.2f}"
    assert re.search(rf'id="money-total">.*?{re.escape(total)}', text)
    placed = f"£{money['placed']['amount_pence'] / 100:,.2f}"
    assert re.search(rf'id="money-placed">.*?{re.escape(placed)}', text)
    assert 'id="samples-note"' in text and "five funders" in text and "not GrantNav" in text


@pytest.mark.parametrize(
    ("path", "params", "parameter"),
    [
        ("/api/grants/summary", {"maxgrant": 5}, "maxgrant"),
        ("/api/grants/summary", {"max_grant": -1}, "max_grant"),
        ("/api/grants/summary", {"max_grant": "inf"}, "max_grant"),
        ("/api/grants/summary", {"funder": "x" * 201}, "funder"),
        ("/api/grants", {"page_size": 101}, "page_size"),
        ("/api/grants", {"page": 0}, "page"),
        ("/funding", {"fundr": "x"}, "fundr"),
    ],
)
def test_unknown_and_bad_parameters_are_422_naming_them(sample_client, path, params, parameter):
    r = sample_client.get(path, params=params)
    assert r.status_code == 422, r.text
    if path.startswith("/api"):
        assert r.json()["error"]["problems"][0]["parameter"] == parameter


def test_grants_per_area_and_per_funder_paginated_with_links(sample_client):
    ptc = sample_client.get(
        "/api/grants", params={"edition": EDITION, "funder": "360G-ptc", "page_size": 100}
    )
    # Power to Change's identifier is GB-CHC-1159982: '360G-ptc' matches neither it nor a name
    assert ptc.status_code == 200 and ptc.json()["total"] == 0
    ptc = sample_client.get(
        "/api/grants", params={"edition": EDITION, "funder": "GB-CHC-1159982", "page_size": 100}
    ).json()
    assert ptc["total"] == 870 and ptc["pages"] == 9 and len(ptc["grants"]) == 100
    dates = [g["award_date"] for g in ptc["grants"]]
    assert dates == sorted(dates, reverse=True)
    assert all(g["link"] and g["link"].startswith("http") for g in ptc["grants"])
    last = sample_client.get(
        "/api/grants",
        params={"edition": EDITION, "funder": "GB-CHC-1159982", "page_size": 100, "page": 9},
    ).json()
    assert len(last["grants"]) == 70
    seen = {g["identifier"] for g in ptc["grants"]} & {g["identifier"] for g in last["grants"]}
    assert not seen
    # one area: the grants with a share there
    becontree = sample_client.get(
        "/api/grants", params={"edition": EDITION, "area": "E05000028", "page_size": 100}
    ).json()
    assert becontree["area_name"] and all(0 < g["share"] <= 1 for g in becontree["grants"])
    assert sample_client.get("/api/grants", params={"area": "E05999999"}).status_code == 404
    page = sample_client.get(
        "/funding/grants", params={"edition": EDITION, "funder": "GB-CHC-1159982"}
    )
    assert page.status_code == 200 and "Next page" in page.text
    assert "Publisher&#39;s record" in page.text or "Publisher's record" in page.text


# -- import while the site runs ----------------------------------------------------------------
def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_import_while_serve_runs_shows_within_5_seconds(store_path, samples_dir, tmp_path):
    """A real ``leftbehind serve``; ``leftbehind grants import`` in another process while it
    runs; the API and the page reflect the new grants within 5 s, without a restart."""
    import httpx

    from leftbehind.community.schema import upgrade

    home = tmp_path / "home"
    home.mkdir()
    (home / "leftbehind.duckdb").symlink_to(store_path)
    upgrade(f"sqlite:///{home / 'community.sqlite3'}")
    port = _free_port()
    env = {**os.environ, "LEFTBEHIND_HOME": str(home)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "leftbehind", "serve", "--port", str(port), "--edition", EDITION],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                r = httpx.get(f"{base}/api/grants/summary", timeout=10)
                body = r.json() if r.status_code == 200 else None
            except httpx.HTTPError:
                time.sleep(0.3)
        assert body is not None, "the server did not answer"
        assert body["imported"] is False
        small = samples_dir / "grants" / "andrew-lloyd-webber-foundation-2011-2020.xlsx"
        result = run_cli(home, "grants", "import", small, "--json")
        assert result.returncode == 0, result.stderr  # the store in use by serve is no obstacle
        inserted = json.loads(result.stdout)["inserted"]
        done = time.monotonic()
        seen = None
        while time.monotonic() - done < 5 and seen is None:
            body = httpx.get(f"{base}/api/grants/summary", timeout=10).json()
            if body.get("imported"):
                seen = time.monotonic() - done
            else:
                time.sleep(0.2)
        assert seen is not None and seen <= 5, "the import did not show within 5 s"
        assert body["reconciliation"]["total"]["grants"] == inserted == 475
        page = httpx.get(f"{base}/funding", timeout=30)
        assert page.status_code == 200 and 'id="money-table"' in page.text
        assert "Andrew Lloyd Webber Foundation" in page.text
    finally:
        proc.terminate()
        _, stderr = proc.communicate(timeout=30)
    assert b"Traceback" not in stderr


# -- an admin's upload -------------------------------------------------------------------------
@pytest.fixture()
def upload_site(store_path: Path, tmp_path: Path):
    from leftbehind.community import Community, accounts
    from leftbehind.community.schema import upgrade
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    home = tmp_path / "home"
    home.mkdir()
    (home / "leftbehind.duckdb").symlink_to(store_path)
    url = f"sqlite:///{home / 'community.sqlite3'}"
    upgrade(url)
    db = Community(url)
    accounts.add_user(db, "admin@example.org", PASSWORD, "admin", [])
    accounts.add_user(db, "ed@example.org", PASSWORD, "editor", ["E05000028"])
    db.dispose()
    app = create_app(fresh_settings(home=home, edition=EDITION, secret_key="k" * 40))
    with TestClient(app) as client:
        yield client


def _csrf(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def _sign_in(client, email: str) -> None:
    token = _csrf(client.get("/login").text)
    r = client.post("/login", data={"email": email, "password": PASSWORD, "csrf": token},
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303


def test_admin_uploads_a_file_on_the_funding_page(upload_site, samples_dir):
    client = upload_site
    area_before = client.get("/areas/E05000028")
    assert 'id="area-grants"' not in area_before.text and "No data yet" in area_before.text
    compare = client.get("/api/compare").json()["comparison"]["indicators"]
    assert not [i for i in compare if i["dimension"] == "funding"]
    page = client.get("/funding")
    assert 'action="/funding/upload"' not in page.text and 'id="upload-hint"' in page.text
    anon = client.post("/funding/upload", files={"file": ("a.json", b"{}")},
                       follow_redirects=False)  # fmt: skip
    assert anon.status_code == 303 and anon.headers["location"].startswith("/login")
    _sign_in(client, "admin@example.org")
    page = client.get("/funding")
    assert 'action="/funding/upload"' in page.text and page.headers["cache-control"] == "no-store"
    token = _csrf(page.text)
    sample = samples_dir / "grants" / "ab-charitable-trust-2013-2021.xlsx"
    no_csrf = client.post("/funding/upload", files={"file": (sample.name, sample.read_bytes())})
    assert no_csrf.status_code == 403
    bad = client.post(
        "/funding/upload", data={"csrf": token},
        files={"file": ("grants.json", b'{"grants": []}')},
    )  # fmt: skip
    assert bad.status_code == 422
    (line,) = re.findall(r'<p id="upload-error">([^<]+)</p>', bad.text)
    assert "grants.json has no grants" in line
    wrong = client.post(
        "/funding/upload", data={"csrf": token}, files={"file": ("notes.txt", b"hello")}
    )
    assert wrong.status_code == 422 and "not a 360Giving file" in wrong.text
    big = client.post(
        "/funding/upload", data={"csrf": token},
        files={"file": ("big.csv", b"Identifier\n" + b"x" * (21 * 2**20))},
    )  # fmt: skip
    assert big.status_code == 413 and "larger than the limit of 20 MB" in big.text
    ok = client.post(
        "/funding/upload", data={"csrf": token},
        files={"file": (sample.name, sample.read_bytes())}, follow_redirects=False,
    )  # fmt: skip
    assert ok.status_code == 303, ok.text
    done = client.get(ok.headers["location"])
    assert 'id="upload-done"' in done.text and "Imported 783 new grants" in done.text
    summary = client.get("/api/grants/summary").json()
    assert summary["reconciliation"]["total"]["grants"] == 783
    assert summary["imports"] == [{"file": sample.name, "rows": 783, "via": "web"}]
    # without a restart the area page (rendered before) and the comparison show grants too
    area_after = client.get("/areas/E05000028")
    assert 'id="area-grants"' in area_after.text
    compare = client.get("/api/compare").json()["comparison"]["indicators"]
    (row,) = [i for i in compare if i["dimension"] == "funding"]
    groups = {g["group"]: g for g in summary["groups"]}
    assert round(row["left_behind"], 2) == groups["left_behind"]["per_head"]


def test_an_editor_may_not_upload(upload_site):
    client = upload_site
    _sign_in(client, "ed@example.org")
    page = client.get("/funding")
    assert 'action="/funding/upload"' not in page.text
    token = _csrf(client.get("/account").text)
    r = client.post("/funding/upload", data={"csrf": token},
                    files={"file": ("a.json", b'{"grants": []}')})  # fmt: skip
    assert r.status_code == 403
    assert client.get("/api/grants/summary").json()["imported"] is False


# -- failed sign-ins: per email and per client address ------------------------------------------
def test_failed_sign_ins_are_limited_per_client_address(community):
    from leftbehind.community import accounts

    accounts.add_user(community, "real@example.org", PASSWORD, "admin", [])
    for n in range(accounts.MAX_IP_FAILURES):  # a different email each time: no email limit
        with pytest.raises(Exception, match="not right"):
            accounts.authenticate(community, f"guess{n}@example.org", "wrong", "10.0.0.9")
    with pytest.raises(TooManyAttempts, match="from your address"):
        accounts.authenticate(community, "real@example.org", PASSWORD, "10.0.0.9")
    # another address is not affected, and the right password works there
    assert accounts.authenticate(community, "real@example.org", PASSWORD, "10.0.0.10")
