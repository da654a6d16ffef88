"""``leftbehind search QUERY``: areas and councils by name or code (the web's search index)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from leftbehind.cli.common import cli_errors, emit_json, out_console


def register(app: typer.Typer) -> None:
    @app.command("search")
    @cli_errors
    def search_cmd(
        query: Annotated[str, typer.Argument(help="A name or code; typos allowed.")],
        edition: Annotated[str | None, typer.Option(help="Edition id (default: settings).")] = None,
        limit: Annotated[int, typer.Option(min=1, max=50, help="Most results.")] = 8,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write to this file.")
        ] = None,
    ) -> None:
        """Find areas and local authorities of an edition, as the web's search box does."""
        from leftbehind.observatory import Observatory
        from leftbehind.settings import get_settings

        settings = get_settings()
        obs = Observatory(settings.store_path, settings.edition)
        try:
            eid = obs.resolve_edition(edition, what="--edition")
            items = obs.search(eid, query, limit=limit)
        finally:
            obs.close()
        if as_json or output is not None:
            emit_json({"edition": eid, "query": query, "items": items}, output)
            return
        table = Table(title=f"'{query}' in {eid}")
        for col in ("code", "name", "in", "kind", "score"):
            table.add_column(col)
        for item in items:
            table.add_row(
                item["code"], item["name"], item["context"], item["kind"], f"{item['score']:.2f}"
            )
        out_console.print(table)
