"""``leftbehind assets unplaced|list|changes``: the official asset inventory from the command
line (the same data as ``/api/assets/unplaced``, ``/api/assets.csv`` and
``/api/library-changes``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from leftbehind.cli.common import cli_errors, emit_json, emit_text, out_console


def _open():
    from leftbehind.observatory import Observatory
    from leftbehind.observatory.assets import AssetMap
    from leftbehind.settings import get_settings

    settings = get_settings()
    obs = Observatory(settings.store_path, settings.edition)
    return obs, AssetMap(obs)


def register(app: typer.Typer) -> None:
    assets = typer.Typer(help="The asset map: official libraries, GP practices and hospitals.")
    app.add_typer(assets, name="assets")

    @assets.command("unplaced")
    @cli_errors
    def unplaced_cmd(
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write to this file.")
        ] = None,
    ) -> None:
        """Count and list the official assets that could not be placed, and why."""
        obs, amap = _open()
        try:
            report = amap.unplaced()
        finally:
            obs.close()
        if as_json or output is not None:
            emit_json(report, output)
            return
        totals = Table(title="Placed by postcode (or point)")
        for col in ("source", "assets", "placed", "not placed"):
            totals.add_column(col)
        for t in report["totals"]:
            totals.add_row(t["source"], f"{t['assets']:,}", f"{t['placed']:,}",
                           f"{t['assets'] - t['placed']:,}")  # fmt: skip
        out_console.print(totals)
        table = Table(title="Not placed")
        for col in ("source", "name", "postcode", "status", "why"):
            table.add_column(col)
        for i in report["unplaced"]:
            table.add_row(i["source"], i["name"], i["postcode"] or "", i["status"], i["reason"])
        out_console.print(table)
        for gap in report["edition_gaps"]:
            names = ", ".join(a["name"] for a in gap["assets"][:10])
            out_console.print(
                f"{gap['edition']}: {gap['count']} placed asset(s) with no area, as "
                f"{gap['reason']}: {names}",
                markup=False,
            )

    @assets.command("list")
    @cli_errors
    def list_cmd(
        local_authority: Annotated[str, typer.Option(help="Local authority code, e.g. E09000002.")],
        category: Annotated[
            str | None, typer.Option(help="library, gp_practice or hospital.")
        ] = None,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write CSV to this file.")
        ] = None,
    ) -> None:
        """A local authority's official assets as CSV (GSS codes included)."""
        from leftbehind.export import csv_text
        from leftbehind.observatory.assets import CSV_COLUMNS, check_category

        obs, amap = _open()
        try:
            rows = amap.in_local_authority(local_authority, check_category(category))
        finally:
            obs.close()
        emit_text(csv_text(rows, CSV_COLUMNS), output)

    @assets.command("changes")
    @cli_errors
    def changes_cmd(
        edition: Annotated[str | None, typer.Option(help="Edition id (default: settings).")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write to this file.")
        ] = None,
    ) -> None:
        """Library openings and closures 2010-2023 by group, per 100,000 residents."""
        obs, amap = _open()
        try:
            eid = obs.resolve_edition(edition, what="--edition")
            rows = amap.library_changes(eid)
        finally:
            obs.close()
        if as_json or output is not None:
            emit_json({"edition": eid, "groups": rows}, output)
            return
        table = Table(title=f"Static public libraries 2010-2023 ({eid})")
        for col in ("group", "2010", "2023", "closed", "opened", "closed /100k", "% closed"):
            table.add_column(col)
        for r in rows:
            table.add_row(r["label"], str(r["libraries_2010"]), str(r["libraries_2023"]),
                          str(r["closed"]), str(r["opened"]), f"{r['closed_per_100k']:.2f}",
                          f"{r['share_closed']}")  # fmt: skip
        out_console.print(table)
