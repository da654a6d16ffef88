"""Funding in the web app on the real evidence store: /allocate, /api/allocations, /funding,
/api/grants/summary, and dimension 9 of the area page once grants are imported (FastAPI
TestClient, no network). Grants are imported into a copy of the store, never the shared one."""

from __future__ import annotations

import csv
import io
import json
import re
import warnings
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest

with warnings.catch_warnings():  # starlette warns at import that it prefers httpx2
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

EDITION = "england-2019-ward"
BECONTREE = "E05000028"
CSV_COLUMNS = ["code", "name", "year", "capital", "revenue", "capacity_building", "total"]


def _client(home: Path):
    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    return TestClient(create_app(fresh_settings(home=home, edition=EDITION)))


@pytest.fixture(scope="module")
def client(store_path: Path):
    with _client(store_path.parent) as c:
        yield c


@pytest.fixture(scope="module")
def grants_store(store_path: Path, samples_dir: Path, tmp_path_factory) -> Path:
    """A site home with the real store (linked; it is only read) and a community database with
    the real sample grants imported (JSON packages)."""
    import duckdb

    from leftbehind.community import Community
    from leftbehind.community.schema import upgrade
    from leftbehind.funding.grants_store import import_grants

    home = tmp_path_factory.mktemp("grants-home")
    target = home / "leftbehind.duckdb"
    target.symlink_to(store_path)
    url = f"sqlite:///{home / 'community.sqlite3'}"
    upgrade(url)
    files = sorted((samples_dir / "grants").glob("*.json"))
    assert files, "no sample 360Giving JSON files"
    community = Community(url)
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        result = import_grants(
            community, con, files,
            postcodes=[samples_dir / "postcodes" / "nspl-2024-08-derived.csv.gz"],
        )  # fmt: skip
    finally:
        con.close()
        community.dispose()
    assert result.inserted > 1000 and result.located > 0.9 * result.inserted
    return target


def _stored_grants(home: Path):
    from leftbehind.community import Community
    from leftbehind.community import grants as gdb

    community = Community(f"sqlite:///{home / 'community.sqlite3'}")
    try:
        return gdb.load(community)
    finally:
        community.dispose()


@pytest.fixture(scope="module")
def grants_client(grants_store: Path):
    with _client(grants_store.parent) as c:
        yield c


@pytest.fixture(scope="module")
def ident(store_path: Path):
    import duckdb

    con = duckdb.connect(str(store_path), read_only=True)
    try:
        yield con.execute("SELECT * FROM identification WHERE edition = ?", [EDITION]).df()
    finally:
        con.close()


class Page(HTMLParser):
    """Attributes and text of every element with an id, and the page's visible text."""

    VOID = frozenset({"input", "br", "meta", "link", "img", "hr", "source", "col", "wbr"})

    def __init__(self, html: str) -> None:
        super().__init__()
        self.attrs: dict[str, dict[str, str]] = {}
        self.texts: dict[str, list[str]] = {}
        self.stack: list[tuple[str, str | None]] = []
        self.all: list[str] = []
        self.skip = 0
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        attrs = {k: v or "" for k, v in attrs}
        ident = attrs.get("id")
        if ident:
            self.attrs[ident] = {"tag": tag, **attrs}
            self.texts.setdefault(ident, [])
        if tag in ("script", "style"):
            self.skip += 1
        if tag not in self.VOID:
            self.stack.append((tag, ident))

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self.skip -= 1
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if self.skip:
            return
        self.all.append(data)
        for _, ident in self.stack:
            if ident:
                self.texts[ident].append(data)

    def text(self, ident: str | None = None) -> str:
        parts = self.all if ident is None else self.texts[ident]
        return re.sub(r"\s+", " ", "".join(parts)).strip()


def pence(text: str) -> int:
    value = Decimal(text)
    assert value == value.quantize(Decimal("0.01")), f"{text} is not whole pence"
    return int(value * 100)


# -- /api/allocations -----------------------------------------------------------------------
def test_allocation_totals_equal_the_budget_to_the_penny_in_json_and_csv(client):
    params = {
        "edition": EDITION,
        "budget": "12345678.91",
        "years": 7,
        "include_other_deprived": "true",
        "floor": "5000",
        "cap": "60000",
        "profile": "front_loaded",
    }
    r = client.get("/api/allocations", params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    budget = 1234567891
    assert pence(body["total"]) == budget
    assert sum(pence(a["total"]) for a in body["areas"]) == budget
    groups = {a["group"] for a in body["areas"]}
    assert groups == {"left_behind", "other_deprived"}
    for area in body["areas"]:
        parts = ("capital", "revenue", "capacity_building")
        assert pence(area["total"]) == sum(pence(area[k]) for k in parts)
        assert pence(area["total"]) == sum(pence(y["total"]) for y in area["years"])
        assert 500000 <= pence(area["total"]) <= 6000000
        assert len(area["years"]) == 7
        assert area["explanation"].startswith(f"{area['name']} receives £")
    assert r.headers["etag"] and "max-age" in r.headers["cache-control"]
    again = client.get(
        "/api/allocations", params=params, headers={"If-None-Match": r.headers["etag"]}
    )
    assert again.status_code == 304

    c = client.get("/api/allocations", params={**params, "format": "csv"})
    assert c.status_code == 200
    assert c.headers["content-type"].startswith("text/csv")
    assert "attachment" in c.headers["content-disposition"]
    assert c.headers["etag"] and "max-age" in c.headers["cache-control"]
    rows = list(csv.DictReader(io.StringIO(c.text)))
    assert list(rows[0])[: len(CSV_COLUMNS)] == CSV_COLUMNS
    assert sum(pence(row["total"]) for row in rows) == budget
    assert len(rows) == 7 * len(body["areas"])
    for row in rows:
        assert pence(row["total"]) == sum(pence(row[k]) for k in parts)
    by_area: dict[str, int] = {}
    for row in rows:
        by_area[row["code"]] = by_area.get(row["code"], 0) + pence(row["total"])
    assert by_area == {a["code"]: pence(a["total"]) for a in body["areas"]}


def test_allocation_is_the_library_allocation(client, store_path):
    import duckdb

    from leftbehind.funding.allocate import allocate_edition, make_params, to_json

    r = client.get("/api/allocations", params={"budget": 5000000, "years": 3, "need": "scores"})
    assert r.status_code == 200
    con = duckdb.connect(str(store_path), read_only=True)
    try:
        expected = to_json(
            allocate_edition(con, EDITION, make_params(budget=5000000, years=3, need="scores"))
        )
    finally:
        con.close()
    body = r.json()
    assert body["edition"] == EDITION
    assert {a["code"]: a["total"] for a in body["areas"]} == {
        a["code"]: a["total"] for a in expected["areas"]
    }
    assert {a["code"]: a["explanation"] for a in body["areas"]} == {
        a["code"]: a["explanation"] for a in expected["areas"]
    }


@pytest.mark.parametrize(
    ("params", "parameter"),
    [
        ({"budget": "-5"}, "budget"),
        ({"budget": "lots"}, "budget"),
        ({"budget": "nan"}, "budget"),
        ({"years": 3}, "budget"),
        ({"budget": 1e6, "years": 0}, "years"),
        ({"budget": 1e6, "cni_weight": 1.5}, "cni_weight"),
        ({"budget": 1e6, "need": "vibes"}, "need"),
        ({"budget": 1e6, "profile": "table", "profile_table": "3,2"}, "profile_table"),
        ({"budget": 1e6, "profile": "table", "profile_table": "a,b", "years": 2}, "profile_table"),
        (
            {"budget": 1e6, "profile": "table", "profile_table": "inf,1", "years": 2},
            "profile_table",
        ),
        (
            {"budget": 1e6, "profile": "table", "profile_table": "1e308,1e308", "years": 2},
            "profile_table",
        ),
        ({"budget": 1e6, "edition": "atlantis-2020"}, "edition"),
        ({"budget": 1e6, "format": "xlsx"}, "format"),
        ({"budget": 1e6, "floor": 2e6, "cap": 1e6}, "floor"),
        ({"budget": 1e6, "compare_bidding": "true", "draws": 5000}, "draws"),
    ],
)
def test_bad_input_is_422_naming_the_parameter(client, params, parameter):
    r = client.get("/api/allocations", params=params)
    assert r.status_code == 422, r.text
    err = r.json()["error"]
    assert f"'{parameter}'" in err["message"]
    assert parameter in [p["parameter"] for p in err["problems"]]
    assert "Traceback" not in r.text


def test_infeasible_cap_is_explained(client, ident):
    n = int((ident["group"] == "left_behind").sum())
    r = client.get("/api/allocations", params={"budget": 1000000, "cap": 1000})
    assert r.status_code == 422
    err = r.json()["error"]
    assert err["problems"][0]["parameter"] == "cap"
    assert "infeasible" in err["message"]
    assert f"{n} areas x cap £1,000.00 = £{n * 1000:,}.00 is less than the budget" in err["message"]

    page = client.get("/allocate", params={"budget": 1000000, "cap": 1000})
    assert page.status_code == 422
    assert page.headers["cache-control"] == "no-store"
    doc = Page(page.text)
    assert "There is a problem" in doc.text("error-summary")
    assert f"This cannot work: {n} areas x cap £1,000.00" in doc.text("cap-error")
    field = doc.attrs["f-cap"]
    assert "cap-error" in field["aria-describedby"].split()
    assert field["aria-invalid"] == "true" and field["value"] == "1000"
    assert 'href="#f-cap"' in page.text
    assert "Traceback" not in page.text and "allocation-table" not in doc.attrs


def test_bad_value_on_the_page_is_a_friendly_inline_error(client):
    page = client.get("/allocate", params={"budget": "a million", "years": "ten"})
    assert page.status_code == 422
    doc = Page(page.text)
    assert "Enter the budget in pounds" in doc.text("budget-error")
    assert "whole number of years" in doc.text("years-error")
    assert doc.attrs["f-budget"]["value"] == "a million"  # what was typed is kept
    assert "budget-hint" in doc.attrs["f-budget"]["aria-describedby"]
    assert "Input should be" not in page.text  # no raw validator messages


# -- /allocate -------------------------------------------------------------------------------
def test_allocate_form_is_labelled_and_grouped(client):
    r = client.get("/allocate")
    assert r.status_code == 200
    doc = Page(r.text)
    assert doc.attrs["allocate-submit"]["tag"] == "button"
    assert r.text.count("<fieldset") >= 5 and r.text.count("<legend>") == r.text.count("<fieldset")
    labels = set(re.findall(r'<label for="([^"]+)"', r.text))
    inputs = {
        ident
        for ident, attrs in doc.attrs.items()
        if attrs["tag"] in ("input", "select") and ident.startswith("f-")
    }
    assert inputs and inputs <= labels
    for name in ("budget", "years", "floor", "cap", "cni_weight", "capacity_share"):
        assert f"{name}-hint" in doc.attrs[f"f-{name}"]["aria-describedby"]
    assert 'method="get" action="/allocate"' in r.text
    assert "allocation-table" not in doc.attrs


def test_allocate_page_shows_totals_table_and_downloads(client):
    params = {"budget": "2500000", "years": "4", "capital_share": "0.5", "sort": "name"}
    r = client.get("/allocate", params=params)
    assert r.status_code == 200, r.text
    doc = Page(r.text)
    api = client.get(
        "/api/allocations", params={"budget": 2500000, "years": 4, "capital_share": 0.5}
    )
    body = api.json()
    assert doc.text("total-allocated") == "£2,500,000.00"
    rows = re.findall(r"<tr>\s*<td data-value=", r.text)
    assert len(rows) == body["areas_funded"]
    names = re.findall(r'<td data-value="([^"]*)"><a href="/areas/', r.text)
    assert names == sorted(names)
    assert doc.attrs["allocation-table"]["class"] == "sortable"
    first = min(body["areas"], key=lambda a: (a["name"].lower(), a["code"]))
    assert first["explanation"].replace("'", "&#39;") in r.text
    csv_url = doc.attrs["download-allocation-csv"]["href"].replace("&amp;", "&")
    assert "download" in doc.attrs["download-allocation-csv"]
    c = client.get(csv_url)
    assert c.status_code == 200 and c.text.splitlines()[0].startswith(",".join(CSV_COLUMNS))
    assert sum(pence(row["total"]) for row in csv.DictReader(io.StringIO(c.text))) == 250000000
    j = client.get(doc.attrs["download-allocation-json"]["href"].replace("&amp;", "&"))
    assert j.json()["areas"] == body["areas"]


def test_compare_with_competitive_bidding(client):
    params = {"budget": 1000000, "compare_bidding": "true", "draws": 200, "seed": 7}
    r = client.get("/api/allocations", params=params)
    assert r.status_code == 200
    comp = r.json()["compare_bidding"]
    assert comp["draws"] == 200 and comp["seed"] == 7
    for measure in ("left_behind_share", "left_behind_funded"):
        b = comp["bidding"][measure]
        assert b["p05"] <= b["mean"] <= b["p95"]
    assert comp["formula"]["left_behind_share"] == 1.0  # only 'left behind' areas are eligible
    assert comp["formula"]["left_behind_funded"] == comp["left_behind_areas"]
    assert comp["bidding"]["left_behind_share"]["p95"] < 1.0
    page = client.get("/allocate", params=params)
    doc = Page(page.text)
    share = comp["bidding"]["left_behind_share"]
    table = doc.text("bidding-table")
    assert "100.0%" in table and f"{100 * share['p05']:.1f}% to {100 * share['p95']:.1f}%" in table


def test_openapi_documents_the_funding_endpoints(client):
    schema = client.get("/openapi.json").json()
    params = {p["name"]: p for p in schema["paths"]["/api/allocations"]["get"]["parameters"]}
    expected = {
        "edition", "budget", "years", "include_other_deprived", "need", "cni_weight", "floor",
        "cap", "capacity_share", "capital_share", "profile", "profile_table", "compare_bidding",
        "draws", "seed", "format",
    }  # fmt: skip
    assert expected <= set(params)
    assert all(params[name].get("description") for name in expected)
    assert params["budget"]["required"] is True
    summary = {p["name"] for p in schema["paths"]["/api/grants/summary"]["get"]["parameters"]}
    assert {"edition", "from", "to"} <= summary


def test_navigation_links_to_both_pages(client):
    r = client.get("/")
    assert 'href="/funding"' in r.text and 'href="/allocate"' in r.text
    page = client.get("/allocate")
    assert re.search(r'href="/allocate" aria-current="page"', page.text)


# -- grants: none imported -------------------------------------------------------------------
def test_without_grants_the_funding_page_explains_how_to_import(client):
    api = client.get("/api/grants/summary", params={"edition": EDITION})
    assert api.status_code == 200
    body = api.json()
    assert body["imported"] is False and body["grants"] == 0
    assert body["how_to_import"] == "leftbehind grants import FILE"
    assert "without a restart" in body["message"]
    assert "groups" not in body
    page = client.get("/funding")
    assert page.status_code == 200
    doc = Page(page.text)
    assert "No grants have been imported" in doc.text("no-grants")
    assert "leftbehind grants import FILE" in page.text
    assert "without restarting" in page.text
    assert "£" not in doc.text("main")
    assert "groups-table" not in doc.attrs


def test_without_grants_dimension_9_says_no_data_yet(client):
    prof = client.get(f"/api/areas/{BECONTREE}/profile").json()
    funding = next(d for d in prof["dimensions"] if d["id"] == "funding")
    assert funding["status"] == "no_data"
    assert all(i["value"] is None for i in funding["indicators"])
    page = Page(client.get(f"/areas/{BECONTREE}").text)
    dims = [k for k, v in page.attrs.items() if re.fullmatch(r"dim-\d", k)]
    assert any("Funding and investment" in page.text(d) for d in dims)
    assert "No data yet" in page.text()


# -- grants: real samples imported into a copy of the store ---------------------------------
def test_funding_api_and_page_match_the_library_summary(grants_client, grants_store):
    import duckdb

    from leftbehind.funding.summary import summary

    grants = _stored_grants(grants_store.parent)
    con = duckdb.connect(str(grants_store), read_only=True)
    try:
        expected = summary(con, EDITION, grants=grants)
        expected_2019 = summary(con, EDITION, 2019, 2020, grants=grants)
    finally:
        con.close()
    api = grants_client.get("/api/grants/summary", params={"edition": EDITION})
    assert api.status_code == 200
    body = api.json()
    assert body.pop("imported") is True
    assert len(body.pop("imports")) == 2 and body.pop("samples") is False
    assert body.pop("grants_version")[0] == len(grants)
    assert body == json.loads(json.dumps(expected))
    ranged = grants_client.get("/api/grants/summary", params={"from": 2019, "to": 2020}).json()
    assert ranged["groups"] == expected_2019["groups"]
    assert ranged["coverage"] == expected_2019["coverage"]
    bad = grants_client.get("/api/grants/summary", params={"from": 2020, "to": 2019})
    assert bad.status_code == 422 and bad.json()["error"]["problems"][0]["parameter"] == "from"

    page = grants_client.get("/funding")
    assert page.status_code == 200
    doc = Page(page.text)
    nation = expected["groups"][2]["group"]
    for key, row in zip(
        ("left_behind", "other_deprived", "nation"), expected["groups"], strict=True
    ):
        cells = doc.text(f"group-{key}")
        assert f"£{row['per_head']:,.2f}" in cells
        assert f"£{row['amount_gbp']:,.2f}" in cells
        assert f"{row['population']:,}" in cells
    assert nation in doc.text("t-groups")
    cov = expected["coverage"]
    assert doc.text("cov-unlocated") == (
        f"{cov['unlocated_grants']:,} (£{cov['unlocated_amount_gbp']:,.2f})"
    )
    assert doc.text("cov-placed") == f"{cov['placed_grants']:,} (£{cov['placed_amount_gbp']:,.2f})"
    funders = {r["funder"] for r in expected["by_funder"]}
    body_rows = re.findall(r'<tr><th scope="row"><a href="[^"]*">([^<]+)</a></th>', page.text)
    assert len(funders & {re.sub("&amp;", "&", f).replace("&#39;", "'") for f in body_rows}) == len(
        funders
    )
    assert all(str(r["year"]) in doc.text("years-table") for r in expected["by_year"])
    assert "no-grants" not in doc.attrs


def test_with_grants_dimension_9_shows_real_numbers(grants_client, grants_store):
    import duckdb

    from leftbehind.funding.summary import summary
    from leftbehind.profiles.profile import profile

    grants = _stored_grants(grants_store.parent)
    con = duckdb.connect(str(grants_store), read_only=True)
    try:
        con.register("grants", grants)  # as the observatory hands them to the profile
        direct = profile(con, BECONTREE, EDITION)
        groups = {g["group"]: g for g in summary(con, EDITION)["groups"]}
    finally:
        con.close()
    funding = next(d for d in direct["dimensions"] if d["id"] == "funding")
    assert funding["status"] == "ok"
    indicator = funding["indicators"][0]
    assert indicator["value"] is not None
    comps = indicator["comparators"]
    # per head in the groups agrees with the grants summary (to the penny, as displayed)
    assert round(comps["left_behind"], 2) == groups["left_behind"]["per_head"]
    assert round(comps["other_deprived"], 2) == groups["other_deprived"]["per_head"]

    served = grants_client.get(f"/api/areas/{BECONTREE}/profile").json()
    served_funding = next(d for d in served["dimensions"] if d["id"] == "funding")
    assert served_funding["indicators"][0]["value"] == indicator["value"]
    page = grants_client.get(f"/areas/{BECONTREE}")
    assert f"£{comps['left_behind']:,.2f} per person" in page.text
