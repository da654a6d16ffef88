"""``leftbehind search QUERY`` (areas, councils, today's wards, postcodes: the web's search) and
``leftbehind postcode POSTCODE`` and ``leftbehind crosswalk ward|lsoa21`` (the crosswalk CSV)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from leftbehind.cli.common import cli_errors, emit_json, emit_text, err_console, out_console


def register(app: typer.Typer) -> None:
    @app.command("search")
    @cli_errors
    def search_cmd(
        query: Annotated[
            str, typer.Argument(help="A name, code or postcode; typos allowed in names.")
        ],
        edition: Annotated[str | None, typer.Option(help="Edition id (default: settings).")] = None,
        limit: Annotated[int, typer.Option(min=1, max=50, help="Most results.")] = 8,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write to this file.")
        ] = None,
    ) -> None:
        """Find areas, local authorities and today's wards of an edition, or the area a postcode
        lies in, as the web's search box does."""
        from leftbehind.observatory import Observatory
        from leftbehind.settings import get_settings

        settings = get_settings()
        obs = Observatory(settings.store_path, settings.edition)
        try:
            eid = obs.resolve_edition(edition, what="--edition")
            found = obs.find(eid, query, limit=limit)
        finally:
            obs.close()
        items = found["items"]
        if as_json or output is not None:
            body = {"edition": eid, "query": query, "items": items}
            if found["message"]:
                body["message"] = found["message"]
            emit_json(body, output)
            return
        if found["message"]:
            err_console.print(found["message"], markup=False)
        table = Table(title=f"'{query}' in {eid}")
        for col in ("code", "name", "in", "kind", "edition", "score"):
            table.add_column(col)
        for item in items:
            table.add_row(
                item["code"],
                item["name"],
                item["context"],
                item["kind"],
                item["edition"],
                f"{item['score']:.2f}",
            )
        out_console.print(table)

    @app.command("postcode")
    @cli_errors
    def postcode_cmd(
        postcode: Annotated[str, typer.Argument(help="A UK postcode, e.g. 'RM9 4UN' or rm94un.")],
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write to this file.")
        ] = None,
    ) -> None:
        """A postcode's local authority, ward, small area and nation, and the area of every
        edition it lies in, with how it was found (the same JSON as /api/postcodes/...)."""
        from leftbehind.observatory import Observatory
        from leftbehind.settings import get_settings

        settings = get_settings()
        obs = Observatory(settings.store_path, settings.edition)
        try:
            answer = obs.postcode(postcode)
        finally:
            obs.close()
        if as_json or output is not None:
            emit_json(answer, output)
            return
        parts = [answer["postcode"]]
        for key in ("ward", "local_authority"):
            if answer[key]:
                parts.append(f"{answer[key]['name']} ({answer[key]['code']})")
        if answer["nation"]:
            parts.append(answer["nation"])
        out_console.print(", ".join(parts), markup=False)
        if answer["lsoa21"]:
            lsoa = answer["lsoa21"]
            out_console.print(f"LSOA 2021: {lsoa['name']} ({lsoa['code']})", markup=False)
        if answer.get("note"):
            out_console.print(answer["note"], markup=False)
        table = Table(title=f"{answer['postcode']} in each edition")
        for col in ("edition", "area", "code", "share", "group", "how"):
            table.add_column(col)
        for entry in answer["editions"]:
            for cand in entry["candidates"]:
                table.add_row(
                    entry["edition"],
                    cand["name"] or "",
                    cand["code"],
                    f"{cand['share']:.0%}",
                    cand["group"] or "",
                    entry["method_label"],
                )
        out_console.print(table)

    @app.command("crosswalk")
    @cli_errors
    def crosswalk_cmd(
        from_type: Annotated[
            str, typer.Argument(help="ward (ward codes of 2016-2026) or lsoa21 (2021 LSOAs).")
        ],
        edition: Annotated[str | None, typer.Option(help="Edition id (default: settings).")] = None,
        output: Annotated[
            Path | None, typer.Option("--output", "-o", help="Write to this file.")
        ] = None,
    ) -> None:
        """Today's wards or 2021 LSOAs -> the edition's areas, with the share of residents and
        the method (CSV, the same as /api/crosswalks/{ward|lsoa21}.csv)."""
        from leftbehind.observatory import Observatory
        from leftbehind.settings import get_settings

        settings = get_settings()
        obs = Observatory(settings.store_path, settings.edition)
        try:
            eid = obs.resolve_edition(edition, what="--edition")
            payload = obs.crosswalk(eid, from_type)
        finally:
            obs.close()
        emit_text(payload.body.decode("utf-8"), output)
