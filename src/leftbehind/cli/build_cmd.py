"""``leftbehind build`` and ``leftbehind schema``."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

from leftbehind.cli.common import cli_errors, emit_text, err_console

if TYPE_CHECKING:
    from leftbehind.settings import Settings
    from leftbehind.store.build import BuildResult

STEP_LABELS = {
    "verify": "verify sources",
    "parse": "parse files",
    "load": "load tables",
    "derive": "derive areas, boundaries",
    "stages": "derived stages",
}


def step_label(step: str) -> tuple[str, str]:
    """The progress bar of a build step and its words; ``stages:<name>`` names the derived
    stage now running (the long part of a build) on the one 'derived stages' bar.

    >>> step_label("stages:profile_inputs")
    ('stages', 'derived stages: profile inputs')
    >>> step_label("stages:done"), step_label("load")
    (('stages', 'derived stages'), ('load', 'load tables'))
    """
    key, _, detail = step.partition(":")
    label = STEP_LABELS.get(key, key)
    if detail and detail != "done":
        label = f"{label}: {detail.replace('_', ' ')}"
    return key, label


def build_with_progress(settings: Settings, force: bool = False) -> BuildResult:
    """Build the store showing a Rich progress bar per step on stderr."""
    from leftbehind.store.build import build_store

    with Progress(
        TextColumn("{task.description:<44}"),
        BarColumn(),
        MofNCompleteColumn(),
        console=err_console,
        transient=True,
    ) as progress:
        tasks: dict[str, TaskID] = {}

        def report(step: str, done: int, total: int) -> None:
            step, label = step_label(step)
            if step not in tasks:
                tasks[step] = progress.add_task(label, total=total)
            progress.update(tasks[step], completed=done, total=total, description=label)

        return build_store(settings, force=force, progress=report)


@cli_errors
def build(
    mirror: Path | None = typer.Option(
        None,
        "--mirror",
        file_okay=False,
        help="Folder laid out like shared/sources (default: $LEFTBEHIND_MIRROR; else download).",
    ),
    force: bool = typer.Option(False, "--force", help="Rebuild even if up to date."),
) -> None:
    """Build the evidence store ($LEFTBEHIND_HOME/leftbehind.duckdb) from the pinned sources."""
    from leftbehind.settings import fresh_settings

    result = build_with_progress(fresh_settings(mirror=mirror), force=force)
    if result.stale.files:
        err_console.print(
            f"Removed {result.stale.files} temporary files ({result.stale.bytes / 1e6:,.1f} MB) "
            "left by an interrupted build"
        )
    if result.rebuilt:
        err_console.print(f"Built {result.path} ({result.tables} tables) in {result.seconds:.1f} s")
    else:
        err_console.print(f"{result.path} is up to date ({result.seconds:.2f} s)")


@cli_errors
def schema(
    markdown: bool = typer.Option(
        True, "--markdown/--tables", help="Markdown data model (default) or a list of tables."
    ),
    output: Path | None = typer.Option(None, "-o", "--output", help="Write to this file."),
) -> None:
    """Describe the store's tables and columns (generates docs/data-model.md)."""
    from leftbehind.store.connection import connect
    from leftbehind.store.docs import data_model_markdown

    with connect() as con:
        if markdown:
            emit_text(data_model_markdown(con), output)
        else:
            rows = con.execute(
                "SELECT table_name, meaning FROM table_docs WHERE column_name = '' "
                "ORDER BY table_name"
            ).fetchall()
            emit_text("\n".join(f"{t}\t{m}" for t, m in rows), output)


def register(app: typer.Typer) -> None:
    app.command("build")(build)
    app.command("schema")(schema)
