"""``leftbehind sources list|fetch|verify``."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn
from rich.table import Table

from leftbehind.cli.common import cli_errors, err_console, out_console
from leftbehind.errors import ChecksumMismatch
from leftbehind.settings import fresh_settings
from leftbehind.sources.fetch import cached_path, fetch_all, sha256_of
from leftbehind.sources.registry import load_registry

sources_app = typer.Typer(
    help="The pinned upstream data files: list, fetch, verify.", no_args_is_help=True
)

MirrorOption = typer.Option(
    None,
    "--mirror",
    help="Folder laid out like shared/sources to copy files from "
    "(default: $LEFTBEHIND_MIRROR; otherwise download).",
    file_okay=False,
)


@sources_app.command("list")
@cli_errors
def list_sources() -> None:
    """Table of every source: id, size, whether it is cached and verified."""
    settings = fresh_settings()
    table = Table("id", "size", "cached", "verified", "licence")
    for source in load_registry():
        path = cached_path(settings.cache_dir, source)
        cached = path.exists()
        verified = cached and sha256_of(path) == source.sha256
        table.add_row(
            source.id,
            f"{source.bytes / 1e6:.2f} MB",
            "yes" if cached else "no",
            "yes" if verified else "no",
            source.licence.split(",")[0],
        )
    out_console.print(table)


@sources_app.command("fetch")
@cli_errors
def fetch(
    force: bool = typer.Option(False, "--force", help="Fetch again even if cached."),
    mirror: Path | None = MirrorOption,
) -> None:
    """Fetch every source into the cache, verifying its sha256."""
    settings = fresh_settings(mirror=mirror)
    sources = load_registry()
    with Progress(
        TextColumn("fetch"), BarColumn(), MofNCompleteColumn(), console=err_console, transient=True
    ) as progress:
        task = progress.add_task("fetch", total=len(sources))
        fetch_all(
            sources,
            settings.cache_dir,
            mirror=settings.mirror,
            force=force,
            on_progress=lambda _source: progress.advance(task),
        )
    err_console.print(f"{len(sources)} sources fetched and verified in {settings.cache_dir}")


@sources_app.command("verify")
@cli_errors
def verify() -> None:
    """Check the sha256 of every cached source; exit 1 if any is missing or altered."""
    settings = fresh_settings()
    problems = []
    for source in load_registry():
        path = cached_path(settings.cache_dir, source)
        if not path.exists():
            problems.append(f"{source.id}: not cached (run 'leftbehind sources fetch')")
        elif (actual := sha256_of(path)) != source.sha256:
            problems.append(f"{source.id}: sha256 {actual} != expected {source.sha256} ({path})")
    if problems:
        for line in problems:
            err_console.print(line, markup=False)
        raise ChecksumMismatch(
            f"{len(problems)} source(s) failed verification; run 'leftbehind sources fetch --force'"
        )
    err_console.print(f"all {len(load_registry())} sources verified")


def register(app: typer.Typer) -> None:
    app.add_typer(sources_app, name="sources")
