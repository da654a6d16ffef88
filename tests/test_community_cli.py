"""``leftbehind db`` and ``leftbehind users``: accounts from the command line, backups, and
``serve`` refusing an out-of-date schema."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from leftbehind.cli.main import app

PASSWORD = "correct horse battery"


def run(home: Path, *args: str, stdin: str | None = None, env: dict | None = None):
    runner = CliRunner()
    environment = {"LEFTBEHIND_HOME": str(home), "LEFTBEHIND_DATABASE_URL": None, **(env or {})}
    return runner.invoke(app, list(args), input=stdin, env=environment)


def test_users_add_token_list_remove_and_backup(tmp_path: Path):
    home = tmp_path / "home"
    r = run(home, "users", "list")
    assert r.exit_code != 0 and "leftbehind db upgrade" in r.output
    assert run(home, "db", "upgrade").exit_code == 0
    assert (home / "community.sqlite3").exists()
    assert "up to date" in run(home, "db", "status").output

    r = run(home, "users", "add", "ed@example.org", "--role", "editor", "--area", "E05000028",
            "--name", "Becontree Big Local", stdin=PASSWORD + "\n")  # fmt: skip
    assert r.exit_code == 0, r.output
    r = run(home, "users", "add", "x@example.org", "--role", "editor", stdin=PASSWORD + "\n")
    assert r.exit_code == 2 and "--area" in r.output
    r = run(home, "users", "add", "ed@example.org", "--role", "admin", stdin=PASSWORD + "\n")
    assert r.exit_code != 0 and "already an account" in r.output
    r = run(home, "users", "token", "ed@example.org")
    token = r.stdout.strip().splitlines()[0]
    assert r.exit_code == 0 and token.startswith("lb_") and len(token) > 40
    listing = run(home, "users", "list").output
    assert "ed@example.org\teditor\tE05000028\tBecontree Big Local" in listing
    assert token not in (home / "community.sqlite3").read_bytes().decode("latin-1")

    backup = tmp_path / "nightly.sqlite3"
    assert run(home, "db", "backup", str(backup)).exit_code == 0
    assert run(home, "users", "remove", "ed@example.org").exit_code == 0
    assert "ed@example.org" not in run(home, "users", "list").output
    assert run(home, "db", "restore", str(backup), "--yes").exit_code == 0
    assert "ed@example.org" in run(home, "users", "list").output
    r = run(home, "db", "restore", str(tmp_path / "missing"), "--yes")
    assert r.exit_code == 2 and "no backup file" in r.output


def test_serve_refuses_an_out_of_date_configured_database(tmp_path: Path, store_path: Path):
    url = f"sqlite:///{tmp_path / 'elsewhere.sqlite3'}"
    env = {
        **os.environ,
        "LEFTBEHIND_HOME": str(store_path.parent),
        "LEFTBEHIND_DATABASE_URL": url,
        "PYTHONPATH": os.pathsep.join(sys.path),
    }
    result = subprocess.run(
        [sys.executable, "-m", "leftbehind", "serve", "--port", "1"],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert result.returncode != 0
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "run 'leftbehind db upgrade'" in lines[0], result.stderr
