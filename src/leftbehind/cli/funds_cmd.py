"""Commands: funds summary, funds show, funds import, funds template (public funding flows)."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from leftbehind.cli.common import (
    check_choice,
    cli_errors,
    emit_json,
    emit_text,
    err_console,
    frame_csv,
    out_console,
)

OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")]
EditionOpt = Annotated[
    str | None, typer.Option("--edition", help="English identification edition.")
]
FORMATS = ("table", "json", "csv")


@contextmanager
def _service(community: bool = True):
    from leftbehind.community import Community
    from leftbehind.community.schema import check_current
    from leftbehind.observatory.public_funds import PublicFunds
    from leftbehind.observatory.service import Observatory
    from leftbehind.settings import fresh_settings

    settings = fresh_settings()
    obs = Observatory(settings.store_path, settings.edition)
    db = None
    if community:
        check_current(settings.community_url)
        db = Community(settings.community_url)
    try:
        yield PublicFunds(obs, db)
    finally:
        obs.close()
        if db is not None:
            db.dispose()


def _pounds(value: float | None) -> str:
    return "" if value is None else f"£{value:,.2f}"


def _money(pence: int) -> str:
    from leftbehind.money import format_pence

    return format_pence(pence)


def register(app: typer.Typer) -> None:
    funds = typer.Typer(help="Public funding flows by local authority, compared by group.")
    app.add_typer(funds, name="funds")

    @funds.command("summary")
    @cli_errors
    def summary_cmd(
        edition: EditionOpt = None,
        fmt: Annotated[str, typer.Option("--format", help="table or json.")] = "table",
        json_: Annotated[bool, typer.Option("--json", help="Same as --format json.")] = False,
        output: OutputOpt = None,
    ) -> None:
        """Levelling Up Fund rounds 1-2, core spending power and imported funds, per head and
        per household for authorities with 'left behind' areas, other deprived areas only and
        the rest."""
        fmt = "json" if json_ else check_choice("format", fmt, ("table", "json"))
        with _service() as svc:
            doc = svc.summary(edition)
        if fmt == "json":
            emit_json(doc, output)
            return
        table = Table(title=f"Public funds by group of local authority, {doc['edition']}")
        for col in ("fund", "group", "authorities", "money", "per head", "per household"):
            table.add_column(col, justify="left" if col in ("fund", "group") else "right")
        for fund in doc["funds"]:
            for g in fund["groups"]:
                table.add_row(
                    f"{fund['id']} ({fund['kind']})", g["group"], f"{g['authorities']:,}",
                    _money(g["amount_pence"]), _pounds(g["per_head"]), _pounds(g["per_household"]),
                )  # fmt: skip
        out_console.print(table)
        csp = doc["core_spending_power"]
        trend = Table(title="Core spending power per household (cash terms)")
        trend.add_column("year")
        for group in ("left_behind", "other_deprived", "rest", "england"):
            trend.add_column(group, justify="right")
        by = {(g["year"], g["group"]): g for g in csp["groups"]}
        for year in csp["years"]:
            trend.add_row(
                str(year),
                *[_pounds((by.get((year, g)) or {}).get("per_household"))
                  for g in ("left_behind", "other_deprived", "rest", "england")],
            )  # fmt: skip
        out_console.print(trend)
        err_console.print(doc["method"], markup=False)
        err_console.print(doc["not_covered_text"], markup=False)

    @funds.command("show")
    @cli_errors
    def show_cmd(
        fund: Annotated[str, typer.Argument(help="luf1, luf2, core_spending_power or a name.")],
        edition: EditionOpt = None,
        fmt: Annotated[str, typer.Option("--format", help="table, json or csv.")] = "table",
        output: OutputOpt = None,
    ) -> None:
        """One fund by local authority (2024 districts), with each authority's group."""
        check_choice("format", fmt, FORMATS)
        with _service() as svc:
            doc = svc.fund(fund, edition)
        if fmt == "json":
            emit_json(doc, output)
            return
        rows = doc["local_authorities"]
        if fmt == "csv":
            frame = pd.DataFrame(rows)
            frame["amount_gbp"] = [f"{p // 100}.{p % 100:02d}" for p in frame["amount_pence"]]
            emit_text(frame_csv(frame.drop(columns=["amount_pence"])), output)
            return
        table = Table(title=f"{doc['label']} by local authority, {doc['edition']}")
        for col in ("code", "name", "year", "group", "money", "per head"):
            table.add_column(col, justify="left" if col in ("code", "name", "group") else "right")
        for r in rows:
            table.add_row(r["code"], str(r["name"]), str(r["year"]), str(r["group"] or ""),
                          _money(r["amount_pence"]), _pounds(r["per_head"]))  # fmt: skip
        out_console.print(table)

    @funds.command("import")
    @cli_errors
    def import_cmd(
        file: Annotated[Path, typer.Argument(help="CSV in the Levelling Up Fund layout.")],
        fund: Annotated[str, typer.Option("--fund", help="Name, e.g. ukspf-2023.")],
        label: Annotated[str, typer.Option("--label", help="Title to show.")] = "",
        year: Annotated[int | None, typer.Option("--year", help="Year of the money.")] = None,
        replace: Annotated[
            bool, typer.Option("--replace", help="Replace a fund of the same name.")
        ] = False,
    ) -> None:
        """Import a funding file into the community database (shown beside the official funds
        at once, without a restart). Columns: see 'leftbehind funds template'."""
        with _service() as svc:
            result = svc.import_file(
                file, fund, label=label, year=year, replace=replace, local=True
            )
        err_console.print(
            f"Imported {result['bids']:,} awards ({_money(result['amount_pence'])}) as fund "
            f"'{result['fund']}'.",
            markup=False,
        )

    @funds.command("template")
    @cli_errors
    def template_cmd(output: OutputOpt = None) -> None:
        """Write a template CSV for 'funds import' (header and one example row) and print the
        schema."""
        from leftbehind.funding.public import SCHEMA_TEXT, template_csv

        emit_text(template_csv(), output)
        err_console.print(SCHEMA_TEXT, markup=False)
