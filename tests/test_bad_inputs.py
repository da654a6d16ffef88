"""A corpus of bad inputs, each with the one-line answer it must get (issue 16).

Every case runs the real CLI (``leftbehind grants import``, ``allocate``) on the evidence store
(only read) and a community database of its own: a row-level problem is a row in the rejects
CSV with its reason and the rest is imported; a file-level problem is one line on stderr, a
non-zero exit and the database unchanged; nothing ever prints a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from funding_fixtures import FLAT_HEADER, write_csv

GOOD = ["360G-OK-1", "fine", "1000", "GBP", "2019-05-01", "GB-CHC-1", "Org A", "", "E01008703",
        "LSOA", "", "GB-F-1", "Funder One"]  # fmt: skip


@pytest.fixture(scope="module")
def home(store_path: Path, tmp_path_factory) -> Path:
    """A LEFTBEHIND_HOME with the store (linked: imports only read it) and its own community
    database, where the grants are imported."""
    from leftbehind.community.schema import upgrade

    folder = tmp_path_factory.mktemp("bad-inputs-home")
    (folder / "leftbehind.duckdb").symlink_to(store_path)
    upgrade(f"sqlite:///{folder / 'community.sqlite3'}")
    return folder


def query(home: Path, sql: str) -> list[tuple]:
    """Rows of the home's community database (where grants are stored)."""
    db = sqlite3.connect(home / "community.sqlite3")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


@pytest.fixture()
def cli(home: Path, monkeypatch):
    from leftbehind.cli.main import app
    from leftbehind.settings import get_settings

    monkeypatch.setenv("LEFTBEHIND_HOME", str(home))
    get_settings.cache_clear()
    runner = CliRunner()

    def run(*args: str):
        result = runner.invoke(app, [str(a) for a in args])
        assert "Traceback" not in result.output, result.output
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(
            result.exception
        )
        return result

    yield run
    get_settings.cache_clear()


def snapshot(home: Path) -> dict[str, list]:
    return {
        t: sorted(query(home, f"SELECT * FROM {t}"), key=repr)
        for t in ("grants", "grant_imports", "grant_rejects", "grant_updates")
    }


def flat(tmp_path: Path, name: str, identifier: str, amount: str, date: str = "2019-05-01",
         currency: str = "GBP") -> Path:  # fmt: skip
    row = list(GOOD)
    row[0], row[2], row[3], row[4] = identifier, amount, currency, date
    ok = list(GOOD)
    ok[0] = f"{identifier}-ok"
    return write_csv(tmp_path / name, FLAT_HEADER, [row, ok])


def package(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def json_grant(identifier: str, amount: object) -> dict:
    return {
        "id": identifier, "title": "t", "currency": "GBP", "amountAwarded": amount,
        "awardDate": "2019-05-01", "fundingOrganization": [{"id": "GB-F-1", "name": "F"}],
        "recipientOrganization": [{"id": "GB-CHC-1", "name": "R"}],
    }  # fmt: skip


def two_grants(tmp_path: Path, name: str, identifier: str, amount: object) -> Path:
    """A JSON package: one grant with ``amount``, one good grant."""
    grants = [json_grant(identifier, amount), json_grant(f"{identifier}-ok", 10)]
    return package(tmp_path, name, json.dumps({"grants": grants}))


# --------------------------------------------------------------------------- row-level
ROW_CASES = [
    # (id, file maker, the reason in the rejects CSV)
    ("negative", lambda t: flat(t, "neg.csv", "R-1", "-5000"), "'-5000' is not an amount"),
    ("underscore", lambda t: flat(t, "us.csv", "R-2", "1_000"), "'1_000' is not an amount"),
    ("arabic-indic", lambda t: flat(t, "ai.csv", "R-3", "١٢٣"), "'١٢٣' is not an amount"),
    ("bad-commas", lambda t: flat(t, "bc.csv", "R-4", "£1,2,3"), "'£1,2,3' is not an amount"),
    ("text-inf", lambda t: flat(t, "ti.csv", "R-5", "inf"), "'inf' is not an amount"),
    ("year-1", lambda t: flat(t, "y1.csv", "R-6", "10", "0001-06-01"), "year 1 is outside"),
    ("year-1800", lambda t: flat(t, "y18.csv", "R-7", "10", "1800-01-01"), "year 1800 is outside"),
    ("year-9999", lambda t: flat(t, "y99.csv", "R-8", "10", "9999-01-01"), "year 9999 is outside"),
    ("garbage", lambda t: flat(t, "gb.csv", "R-9", "10", "2020-01-01garbage"), "is not a date"),
    ("hour-25", lambda t: flat(t, "h25.csv", "R-10", "10", "2020-01-01T25:00"),
     "'2020-01-01T25:00' is not a valid date or time"),
    ("currency", lambda t: flat(t, "cur.csv", "R-11", "10", currency="US$"),
     "Currency 'US$' is not a 3-letter code"),
    ("zero", lambda t: flat(t, "z.csv", "R-12", "0"), "is not positive"),
    ("json-1e308", lambda t: two_grants(t, "big.json", "J-1", 1e308), "above the ceiling"),
    ("json-minus-1e308", lambda t: two_grants(t, "nbig.json", "J-2", -1e308), "is not positive"),
    ("json-1e-300", lambda t: two_grants(t, "tiny.json", "J-3", 1e-300), "at least a penny"),
    ("json-huge-int", lambda t: two_grants(t, "hint.json", "J-4", 10**400), "above the ceiling"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "make", "reason"), ROW_CASES, ids=[c[0] for c in ROW_CASES])
def test_bad_values_are_rejected_rows_with_a_reason(cli, home, tmp_path, case, make, reason):
    path = make(tmp_path)
    rejects = tmp_path / "rejects.csv"
    result = cli("grants", "import", path, "--rejects", rejects, "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["rejected"] == 1 and out["rows"] == 2
    rows = list(csv.DictReader(io.StringIO(rejects.read_text(encoding="utf-8"))))
    rejected = [r for r in rows if r["action"] == "rejected"]
    assert len(rejected) == 1 and reason in rejected[0]["reason"], rejected
    (stored,) = query(
        home, "SELECT max(amount), min(amount), min(award_year), max(award_year) FROM grants"
    )
    assert 0 < stored[1] <= stored[0] <= 1e10 and 1990 <= stored[2] <= stored[3] <= 2100


def test_year_2099_and_pence_and_iso_times_are_accepted(cli, tmp_path):
    """Documented acceptance: years up to 2100 (forward-dated awards), pence, ISO times."""
    rows = [list(GOOD), list(GOOD)]
    rows[0][0], rows[0][2], rows[0][4] = "A-1", "£1,234.56", "2099-12-31T23:59:59Z"
    rows[1][0], rows[1][4] = "A-2", "2020-01-01 10:30"
    path = write_csv(tmp_path / "accept.csv", FLAT_HEADER, rows)
    result = cli("grants", "import", path, "--rejects", tmp_path / "r.csv", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["rejected"] == 0, result.output


def test_formula_identifiers_are_neutralised_in_the_rejects_csv(cli, tmp_path):
    rows = []
    for n, ident in enumerate(('=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "@SUM(1)")):
        row = list(GOOD)
        row[0], row[2] = ident, "lots"
        rows.append(row)
        ok = list(GOOD)
        ok[0] = f"F-{n}"
        rows.append(ok)
    path = write_csv(tmp_path / "formula.csv", FLAT_HEADER, rows)
    rejects = tmp_path / "rejects.csv"
    assert cli("grants", "import", path, "--rejects", rejects).exit_code == 0
    cells = [r["identifier"] for r in csv.DictReader(io.StringIO(rejects.read_text()))]
    assert cells == ['\'=HYPERLINK("http://x")', "'+cmd|' /C calc'!A0", "'@SUM(1)"]


# --------------------------------------------------------------------------- file-level
def _xlsx(path: Path, rows: list[list]) -> Path:
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def _corrupt_sheet(path: Path) -> Path:
    good = _xlsx(path.with_name("good.xlsx"), [FLAT_HEADER, GOOD])
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(path, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                data = data[: len(data) // 2]  # cut the sheet's XML in half
            dst.writestr(info, data)
    return path


def _truncated(path: Path) -> Path:
    write_csv(path, FLAT_HEADER, [GOOD, ["360G-OK-2", *GOOD[1:]]])
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(text[: text.rindex(",2019-05-01")], encoding="utf-8")
    return path


FILE_CASES = [
    # (id, file maker, extra options, message on stderr, exit code)
    ("no-amount-column", lambda t: write_csv(
        t / "noamount.csv", [h for h in FLAT_HEADER if h != "Amount Awarded"],
        [[v for h, v in zip(FLAT_HEADER, GOOD, strict=True) if h != "Amount Awarded"]]),
     [], "has no usable 'Amount Awarded' column", 2),
    ("header-only", lambda t: write_csv(t / "header.csv", FLAT_HEADER, []), [],
     "has no grants", 2),
    ("truncated-row", lambda t: _truncated(t / "trunc.csv"), [], "the file is truncated", 2),
    ("unterminated-quote", lambda t: package(
        t, "quote.csv", ",".join(FLAT_HEADER) + '\n"360G-1,"oops'), [],
     "is not a readable CSV file", 2),
    ("random-bytes", lambda t: (t / "rand.csv").write_bytes(os.urandom(4096)) and t / "rand.csv",
     [], "rand.csv", 2),
    ("nul-bytes", lambda t: (t / "nul.csv").write_bytes(b"Identifier,\x00\x00\n1,2\n")
     and t / "nul.csv", [], "has no usable 'Amount Awarded' column", 2),
    ("huge-field", lambda t: write_csv(t / "huge.csv", FLAT_HEADER, [
        [GOOD[0], "x" * 200_000, *GOOD[2:]]]), [], "131072", 2),
    ("long-cell", lambda t: write_csv(t / "long.csv", FLAT_HEADER, [
        [GOOD[0], "x" * 20_000, *GOOD[2:]]]), [], "above the limit of 10,000 per cell", 2),
    ("json-int-for-list", lambda t: package(t, "int.json", '{"grants": 5}'), [],
     "has no 'grants' array", 2),
    ("json-deep", lambda t: package(t, "deep.json", "[" * 100_000 + "]" * 100_000), [],
     "nested too deeply", 2),
    ("json-truncated", lambda t: package(
        t, "cut.json", json.dumps({"grants": [json_grant("J", 1)]})[:-9]),
     [], "is not valid JSON", 2),
    ("json-no-grants", lambda t: package(t, "empty.json", '{"grants": []}'), [],
     "has no grants", 2),
    ("xlsx-not-a-zip", lambda t: (t / "bad.xlsx").write_bytes(b"PK\x03\x04garbage")
     and t / "bad.xlsx", [], "could not be read as a spreadsheet", 2),
    ("xlsx-corrupt-sheet", lambda t: _corrupt_sheet(t / "sheet.xlsx"), [],
     "sheet.xlsx has a damaged sheet", 2),
    ("xlsx-too-many-rows", lambda t: _xlsx(t / "rows.xlsx", [FLAT_HEADER] + [
        [f"X-{i}", *GOOD[1:]] for i in range(30)]), ["--max-rows", "10"],
     "more than 10 rows, the limit per file; split it or raise the limit with --max-rows", 2),
    ("file-too-big", lambda t: write_csv(t / "big.csv", FLAT_HEADER, [
        [f"B-{i}", "y" * 5000, *GOOD[2:]] for i in range(300)]), ["--max-file-mb", "1"],
     "above the limit of 1 MB per file", 2),
    ("directory", lambda t: (t / "dir.csv").mkdir() or t / "dir.csv", [], "is not a file", 2),
    ("missing", lambda t: t / "nope.csv", [], "does not exist", 2),
    ("rate-inf", lambda t: flat(t, "r1.csv", "RT-1", "10"), ["--rate", "USD=inf"],
     "give a finite positive number", 2),
    ("rate-negative", lambda t: flat(t, "r2.csv", "RT-2", "10"), ["--rate", "USD=-1"],
     "give a finite positive number", 2),
    ("rate-bad-code", lambda t: flat(t, "r3.csv", "RT-3", "10"), ["--rate", "DOLLARS=1"],
     "is not a 3-letter code", 2),
]  # fmt: skip


@pytest.mark.parametrize(
    ("case", "make", "options", "message", "code"), FILE_CASES, ids=[c[0] for c in FILE_CASES]
)
def test_bad_files_are_one_line_errors_and_change_nothing(
    cli, home, tmp_path, case, make, options, message, code
):
    path = make(tmp_path)
    before = snapshot(home)
    rejects = tmp_path / "rejects.csv"
    result = cli("grants", "import", path, "--rejects", rejects, *options)
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    assert message in lines[0], lines[0]
    assert snapshot(home) == before
    assert not rejects.exists()


def test_a_spreadsheet_that_expands_too_far_is_refused(tmp_path):
    from leftbehind.errors import InvalidInput
    from leftbehind.funding.threesixty import ReadLimits, read_grants

    path = _xlsx(tmp_path / "bomb.xlsx", [FLAT_HEADER, GOOD])
    with pytest.raises(InvalidInput, match=r"expands to .* above the limit of 0 MB"):
        read_grants(path, ReadLimits(max_uncompressed_bytes=1000))


def test_rejects_that_cannot_be_written_leave_the_store_unchanged(cli, home, tmp_path):
    path = flat(tmp_path, "w.csv", "W-1", "lots")
    before = snapshot(home)
    as_dir = tmp_path / "rejects-dir"
    as_dir.mkdir()
    result = cli("grants", "import", path, "--rejects", as_dir)
    assert result.exit_code == 2 and "is a directory" in result.stderr
    assert snapshot(home) == before
    # A folder that cannot be created (inside a file): the write fails before the commit.
    blocker = tmp_path / "file"
    blocker.write_text("x")
    result = cli("grants", "import", path, "--rejects", blocker / "sub" / "r.csv")
    assert result.exit_code == 3, result.output
    line = result.stderr.strip()
    assert line.startswith("Error: grants import failed: cannot use") and "details in" in line
    assert len(line.splitlines()) == 1
    assert snapshot(home) == before


def test_reimport_with_other_values_is_reported_and_update_applies_it(cli, home, tmp_path):
    first = flat(tmp_path, "v1.csv", "U-1", "100")
    assert cli("grants", "import", first, "--rejects", tmp_path / "r1.csv").exit_code == 0
    second = flat(tmp_path, "v2.csv", "U-1", "250")
    result = cli("grants", "import", second, "--rejects", tmp_path / "r2.csv", "--json")
    assert result.exit_code == 0
    out = json.loads(result.stdout)
    assert out["changed"] == 1 and out["updated"] == 0 and out["inserted"] == 0
    reasons = [r["reason"] for r in csv.DictReader(io.StringIO((tmp_path / "r2.csv").read_text()))]
    assert any("amount 100.0 -> 250.0" in r and "--update" in r for r in reasons), reasons

    def stored() -> float:
        return query(home, "SELECT amount FROM grants WHERE identifier = 'U-1'")[0][0]

    assert stored() == 100.0
    result = cli("grants", "import", second, "--rejects", tmp_path / "r3.csv", "--update", "--json")
    assert result.exit_code == 0 and json.loads(result.stdout)["updated"] == 1
    assert stored() == 250.0
    log = query(home, "SELECT source_file, changes FROM grant_updates WHERE identifier = 'U-1'")
    assert log == [("v2.csv", "amount 100.0 -> 250.0")]


# --------------------------------------------------------------------------- allocate, others
@pytest.mark.parametrize("budget", ["1e308", "inf", "nan", "-5", "0"])
def test_allocate_bad_budgets_are_one_line_errors(cli, budget):
    result = cli("allocate", "--edition", "england-2019-ward", "--budget", budget)
    assert result.exit_code == 2, result.output
    line = result.stderr.strip()
    assert line.startswith("Error: ") and "budget" in line and len(line.splitlines()) == 1


def test_an_unexpected_error_is_one_line_with_the_log(cli, home, monkeypatch):
    import leftbehind.funding.allocate as al

    def broken(*args, **kwargs):
        raise RuntimeError("simulated bug\nwith a second line")

    monkeypatch.setattr(al, "edition_areas", broken)
    result = cli("allocate", "--edition", "england-2019-ward", "--budget", "1000")
    assert result.exit_code == 3
    line = result.stderr.strip()
    assert len(line.splitlines()) == 1
    assert line.startswith("Error: allocate failed: RuntimeError: simulated bug with a second")
    log = home / "logs" / "cli.log"
    assert f"details in {log}" in line
    assert "Traceback" in log.read_text() and "simulated bug" in log.read_text()


def test_every_command_is_wrapped_in_cli_errors():
    import typer

    from leftbehind.cli.main import app

    def commands(group: typer.Typer):
        for info in group.registered_commands:
            yield info.callback
        for sub in group.registered_groups:
            if sub.typer_instance.registered_callback is not None:
                yield sub.typer_instance.registered_callback.callback
            yield from commands(sub.typer_instance)

    found = [c for c in commands(app) if c is not None]
    assert len(found) >= 15
    unwrapped = [c.__name__ for c in found if getattr(c, "__wrapped__", None) is None]
    assert unwrapped == []
