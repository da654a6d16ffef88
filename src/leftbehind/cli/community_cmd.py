"""``leftbehind db ...`` and ``leftbehind users ...``: the community database and its accounts."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from leftbehind.cli.common import cli_errors, err_console, out_console


def _settings():
    from leftbehind.settings import fresh_settings

    return fresh_settings()


def _community():
    from leftbehind.community import Community
    from leftbehind.community.schema import check_current

    url = _settings().community_url
    check_current(url)
    return Community(url)


def _where(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


# -- db --------------------------------------------------------------------------------------
@cli_errors
def db_upgrade() -> None:
    """Apply the community database's migrations (creates it when missing)."""
    from leftbehind.community import Community
    from leftbehind.community.schema import upgrade
    from leftbehind.funding.grants_store import move_legacy

    settings = _settings()
    url = settings.community_url
    found = upgrade(url)
    err_console.print(f"Community database {_where(url)} is at schema {found.current}")
    community = Community(url)
    try:  # grants imported into an evidence store built before they moved here: once
        moved = move_legacy(community, settings.store_path)
    finally:
        community.dispose()
    if moved:
        err_console.print(moved.message(), markup=False)


@cli_errors
def db_status() -> None:
    """Say which schema version the community database is at, and whether it is current."""
    from leftbehind.community.schema import status

    url = _settings().community_url
    found = status(url)
    state = "up to date" if found.up_to_date else "out of date: run 'leftbehind db upgrade'"
    out_console.print(
        f"{_where(url)}: schema {found.current or 'none'} (newest {found.head}), {state}",
        markup=False,
    )


@cli_errors
def db_backup(
    file: Path = typer.Argument(..., help="Where to write the backup."),
) -> None:
    """Back up the community database while the site runs (SQLite online backup; pg_dump)."""
    from leftbehind.community.backup import backup

    written = backup(_settings().community_url, file)
    err_console.print(f"Backed up to {written} ({written.stat().st_size:,} bytes)", markup=False)


@cli_errors
def db_restore(
    file: Path = typer.Argument(..., help="A file written by 'leftbehind db backup'."),
    yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
) -> None:
    """Replace the community database with a backup (stop 'leftbehind serve' first)."""
    from leftbehind.community.backup import restore

    url = _settings().community_url
    if not yes and not typer.confirm(f"Replace everything in {_where(url)} with {file}?"):
        raise typer.Exit(1)
    restore(url, file)
    err_console.print(f"Restored {_where(url)} from {file}", markup=False)


# -- users -----------------------------------------------------------------------------------
def _check_areas_exist(codes: list[str]) -> None:
    """Every --area is an area of some edition (checked when the evidence store is built)."""
    from leftbehind.errors import AreaNotFound
    from leftbehind.observatory import Observatory

    settings = _settings()
    if not codes or not settings.store_path.exists():
        return
    obs = Observatory(settings.store_path, settings.edition)
    try:
        for code in codes:
            if obs.locate(code) is None:
                raise AreaNotFound(
                    f"--area {code!r} is not an area of any edition; find codes with "
                    "'leftbehind search NAME'"
                )
    finally:
        obs.close()


def _password() -> str:
    if not sys.stdin.isatty():
        line = sys.stdin.readline()
        return line.rstrip("\r\n")
    return typer.prompt("Password", hide_input=True, confirmation_prompt=True)


@cli_errors
def users_add(
    email: str = typer.Argument(..., help="The account's email address."),
    role: str = typer.Option(..., "--role", help="admin or editor."),
    area: list[str] = typer.Option(
        [], "--area", help="An area the editor writes for (repeat for more)."
    ),
    name: str = typer.Option("", "--name", help="Shown as the publisher, e.g. 'X Big Local'."),
) -> None:
    """Add an account; the password comes from a prompt, or the first line of stdin."""
    from leftbehind.community.accounts import add_user

    _check_areas_exist(area)
    db = _community()
    try:
        who = add_user(db, email, _password(), role, area, name=name)
    finally:
        db.dispose()
    where = "every area" if who.is_admin else ", ".join(sorted(who.areas))
    err_console.print(f"Added {who.email} ({who.role}: {where})", markup=False)


@cli_errors
def users_token(email: str = typer.Argument(..., help="The account's email address.")) -> None:
    """Print a new API token for an account, once (only its hash is stored)."""
    from leftbehind.community.accounts import issue_token

    db = _community()
    try:
        token = issue_token(db, email)
    finally:
        db.dispose()
    sys.stdout.write(token + "\n")
    err_console.print(
        "Keep it safe: it is shown only now. Send it as 'Authorization: Bearer TOKEN'."
    )


@cli_errors
def users_list() -> None:
    """List the accounts: email, role, areas."""
    from leftbehind.community.accounts import list_users

    db = _community()
    try:
        for who in list_users(db):
            areas = "every area" if who.is_admin else " ".join(sorted(who.areas))
            sys.stdout.write(f"{who.email}\t{who.role}\t{areas}\t{who.name}\n")
    finally:
        db.dispose()


@cli_errors
def users_remove(email: str = typer.Argument(..., help="The account's email address.")) -> None:
    """Remove an account and its tokens (its measures and their history stay)."""
    from leftbehind.community.accounts import remove_user

    db = _community()
    try:
        remove_user(db, email)
    finally:
        db.dispose()
    err_console.print(f"Removed {email}", markup=False)


def register(app: typer.Typer) -> None:
    db = typer.Typer(
        help="The community database (accounts, local measures).", no_args_is_help=True
    )
    db.command("upgrade")(db_upgrade)
    db.command("status")(db_status)
    db.command("backup")(db_backup)
    db.command("restore")(db_restore)
    app.add_typer(db, name="db")
    users = typer.Typer(help="Accounts: admins and area editors.", no_args_is_help=True)
    users.command("add")(users_add)
    users.command("token")(users_token)
    users.command("list")(users_list)
    users.command("remove")(users_remove)
    app.add_typer(users, name="users")
