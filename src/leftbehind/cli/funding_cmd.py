"""Commands: grants import, grants summary, allocate (with --compare-bidding)."""

from __future__ import annotations

from dataclasses import replace
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
from leftbehind.errors import InvalidInput
from leftbehind.funding.threesixty import DEFAULT_LIMITS

OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")]
FORMATS = ("table", "csv", "json")


def _parse_rates(rates: list[str] | None) -> dict[str, float]:
    out = {}
    for item in rates or []:
        cur, sep, value = item.partition("=")
        try:
            rate = float(value)
        except ValueError:
            rate = None
        if not sep or not cur.strip() or rate is None:
            raise InvalidInput(f"--rate {item!r} is not CURRENCY=RATE; write e.g. --rate USD=0.79")
        out[cur.strip().upper()] = rate
    return out


def _sensitivity_table(data: dict) -> Table:
    """Money per head by need decile under each need option."""
    table = Table(title="Allocation per head by need decile (1 = most in need)")
    table.add_column("need option")
    for d in data["deciles"]:
        table.add_column(str(d), justify="right")
    table.add_column("1 vs last", justify="right")
    for opt in data["options"]:
        label = opt["label"] + (" (chosen)" if opt["current"] else "")
        cells = ["" if v is None else f"£{v:,.2f}" for v in opt["per_head"]]
        ratio = opt["ratio_top_to_bottom"]
        table.add_row(label, *cells, "" if ratio is None else f"{ratio:.2f}x")
    return table


def register(app: typer.Typer) -> None:
    grants = typer.Typer(
        help="360Giving grants: import and per-head summaries.", no_args_is_help=True
    )
    app.add_typer(grants, name="grants")

    @grants.command("import")
    @cli_errors
    def grants_import(
        files: Annotated[list[Path], typer.Argument(help="360Giving files (.json, .csv, .xlsx).")],
        postcodes: Annotated[
            list[Path] | None,
            typer.Option("--postcodes", help="NSPL/ONSPD postcode lookup CSV (repeatable)."),
        ] = None,
        apportion: Annotated[
            bool,
            typer.Option("--apportion", help="Spread local-authority-only grants by population."),
        ] = False,
        rate: Annotated[
            list[str] | None,
            typer.Option("--rate", help="Exchange rate to GBP, CURRENCY=RATE (repeatable)."),
        ] = None,
        rejects: Annotated[
            Path | None,
            typer.Option("--rejects", help="Rejects CSV (default: in the store folder)."),
        ] = None,
        update: Annotated[
            bool,
            typer.Option(
                "--update", help="Replace grants already imported with other values (logged)."
            ),
        ] = False,
        max_rows: Annotated[
            int, typer.Option("--max-rows", min=1, help="Most rows a file may have.")
        ] = DEFAULT_LIMITS.max_rows,
        max_file_mb: Annotated[
            int, typer.Option("--max-file-mb", min=1, help="Largest file size in MB.")
        ] = DEFAULT_LIMITS.max_bytes // 2**20,
        as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    ) -> None:
        """Import grants into the store (one transaction; re-importing changes nothing)."""
        from leftbehind.observatory.funding import import_grants
        from leftbehind.settings import get_settings
        from leftbehind.store.connection import connect

        settings = get_settings()
        rejects = rejects or settings.home / "grant-rejects" / f"{files[0].stem}.rejects.csv"
        rates = _parse_rates(rate)
        limits = replace(DEFAULT_LIMITS, max_rows=max_rows, max_bytes=max_file_mb * 2**20)
        con = connect(read_only=False)
        try:
            result = import_grants(
                con, files, postcodes=postcodes, apportion=apportion, rates=rates,
                rejects_path=rejects, update=update, limits=limits,
            )  # fmt: skip
        finally:
            con.close()
        if as_json:
            emit_json(result.as_dict(), None)
            return
        out_console.print(
            f"{result.rows} rows: {result.inserted} grants imported, {result.already_present} "
            f"already present, {result.rejected} rejected; located {result.located}, "
            f"unlocated {result.unlocated}",
            markup=False,
        )
        if result.changed:
            out_console.print(
                f"  {result.changed} already imported with other values: "
                + ("updated" if update else "kept as stored (re-run with --update to apply)"),
                markup=False,
            )
        for method, count in sorted(result.by_method.items()):
            out_console.print(f"  {method}: {count}", markup=False)
        err_console.print(f"Rejects and unlocated rows with reasons: {rejects}", markup=False)

    @grants.command("summary")
    @cli_errors
    def grants_summary(
        edition: Annotated[str, typer.Option("--edition", help="Identification edition.")],
        year_from: Annotated[int | None, typer.Option("--from", help="First award year.")] = None,
        year_to: Annotated[int | None, typer.Option("--to", help="Last award year.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Full summary as JSON.")] = False,
        as_csv: Annotated[bool, typer.Option("--csv", help="Group table as CSV.")] = False,
        output: OutputOpt = None,
    ) -> None:
        """Grants and money per head: left behind, other deprived, the nation; coverage."""
        from leftbehind.funding.summary import summary
        from leftbehind.store.connection import connect

        if as_json and as_csv:
            raise InvalidInput("choose one of --json and --csv")
        con = connect()
        try:
            result = summary(con, edition, year_from, year_to)
        finally:
            con.close()
        if as_json:
            emit_json(result, output)
            return
        groups = pd.DataFrame(result["groups"])
        if as_csv:
            emit_text(frame_csv(groups), output)
            return
        table = Table(title=f"Grants per head, {edition}")
        for col in ("group", "areas", "population", "grants", "amount_gbp", "per_head"):
            table.add_column(col, justify="left" if col == "group" else "right")
        for row in result["groups"]:
            table.add_row(
                row["group"], f"{row['areas']:,}", f"{row['population']:,}",
                f"{row['grants']:,.0f}",
                f"£{row['amount_gbp']:,.2f}", f"£{row['per_head']:.2f}",
            )  # fmt: skip
        out_console.print(table)
        cov = result["coverage"]
        out_console.print(
            f"Not placed: {cov['unlocated_grants']} grants (£{cov['unlocated_amount_gbp']:,.2f}) "
            f"unlocated; {cov['local_authority_only_grants']} (£"
            f"{cov['local_authority_only_amount_gbp']:,.2f}) located only to a local authority "
            f"(import with --apportion to spread them); {cov['not_gbp_grants']} not in GBP; "
            f"{cov['outside_edition_grants']} outside the edition's nation.",
            markup=False,
        )

    @app.command("allocate")
    @cli_errors
    def allocate_cmd(
        edition: Annotated[str, typer.Option("--edition", help="Identification edition.")],
        budget: Annotated[
            str, typer.Option("--budget", help="Total pot in pounds: 2000000, £2,000,000, 2m.")
        ],
        years: Annotated[int, typer.Option("--years", help="Number of years.")] = 10,
        include_other_deprived: Annotated[
            bool, typer.Option("--include-other-deprived", help="Also fund other deprived areas.")
        ] = False,
        need: Annotated[
            str, typer.Option("--need", help="exponential (default), ranks, scores or equal.")
        ] = "exponential",
        steepness: Annotated[
            float | None,
            typer.Option("--steepness", help="k of the exponential need (default 100/23, IMD)."),
        ] = None,
        need_index: Annotated[
            str, typer.Option("--need-index", help="combined (default), cni or imd.")
        ] = "combined",
        cni_weight: Annotated[
            float, typer.Option("--cni-weight", help="Weight of CNI in need.")
        ] = 0.5,
        floor: Annotated[
            str | None, typer.Option("--floor", help="Minimum per area (£).")
        ] = None,
        cap: Annotated[str | None, typer.Option("--cap", help="Maximum per area (£).")] = None,
        capacity_share: Annotated[
            float, typer.Option("--capacity-share", help="Capacity-building share (0-1).")
        ] = 0.1,
        capital_share: Annotated[
            float, typer.Option("--capital-share", help="Capital share of the rest (0-1).")
        ] = 0.3,
        profile: Annotated[
            str, typer.Option("--profile", help="flat, front_loaded or table.")
        ] = "flat",
        profile_table: Annotated[
            str | None, typer.Option("--profile-table", help="Yearly weights, e.g. 3,2,1.")
        ] = None,
        fmt: Annotated[str, typer.Option("--format", help="table, csv or json.")] = "table",
        output: OutputOpt = None,
        compare_bidding: Annotated[
            bool, typer.Option("--compare-bidding", help="Also simulate a competitive round.")
        ] = False,
        draws: Annotated[int, typer.Option("--draws", help="Monte Carlo draws.")] = 1000,
        seed: Annotated[int, typer.Option("--seed", help="Random seed.")] = 0,
        award: Annotated[
            str | None,
            typer.Option("--award", help="Competitive award size (£; default: formula mean)."),
        ] = None,
    ) -> None:
        """A needs-based, non-competitive allocation of a budget, explained per area, with the
        sensitivity of money per head to the need measure."""
        from leftbehind.funding import allocate as al
        from leftbehind.funding import bidding
        from leftbehind.funding import sensitivity as se
        from leftbehind.funding.request import AllocationRequest
        from leftbehind.store.connection import connect

        check_choice("format", fmt, FORMATS)
        for name, value, valid in (
            ("need", need, al.NEEDS), ("need-index", need_index, al.NEED_INDICES),
            ("profile", profile, al.PROFILES),
        ):  # fmt: skip
            check_choice(name, value, valid)
        values = {
            "budget": budget, "years": years, "include_other_deprived": include_other_deprived,
            "need": need, "need_index": need_index, "cni_weight": cni_weight, "floor": floor,
            "cap": cap, "capacity_share": capacity_share, "capital_share": capital_share,
            "profile": profile, "profile_table": profile_table, "award": award,
        }  # fmt: skip
        if steepness is not None:
            values["steepness"] = steepness
        request = AllocationRequest.parse(**values)
        params = request.params()
        con = connect()
        try:
            areas = al.edition_areas(con, edition)
        finally:
            con.close()
        result = al.allocate(areas, params)
        table_of_need = se.sensitivity(areas, params)
        scenario = se.social_return(result)
        comparison = None
        if compare_bidding:
            bid = bidding.make_bidding_params(
                budget=request.budget, draws=draws, seed=seed,
                award=request.award or request.budget / max(len(result.areas), 1),
            )  # fmt: skip
            comparison = bidding.compare(areas, result.areas, bid)
        if fmt == "json":
            data = al.to_json(result)
            data["sensitivity"] = table_of_need
            data["social_return"] = scenario
            if comparison is not None:
                data["compare_bidding"] = comparison
            emit_json(data, output)
            return
        if fmt == "csv":
            emit_text(frame_csv(pd.DataFrame(al.to_rows(result))), output)
        else:
            table = Table(
                title=f"Allocation of £{request.budget:,.2f} over {years} years, {edition}"
            )
            for col in ("code", "name", "population", "need", "total", "capital", "revenue"):
                table.add_column(col, justify="left" if col in ("code", "name") else "right")
            for row in result.areas.sort_values("total_pence", ascending=False).itertuples():
                table.add_row(
                    row.code, str(row.name), f"{row.population:,}", f"{row.need_weight:.2f}",
                    al.pounds_text(row.total_pence), al.pounds_text(row.capital_pence),
                    al.pounds_text(row.revenue_pence),
                )  # fmt: skip
            out_console.print(table)
            out_console.print(_sensitivity_table(table_of_need))
            out_console.print(scenario["text"], markup=False)
        if comparison is not None:
            b, f = comparison["bidding"], comparison["formula"]
            share, count = b["left_behind_share"], b["left_behind_funded"]
            err_console.print(
                f"Competitive bidding ({comparison['draws']} draws, seed {comparison['seed']}): "
                f"{share['mean']:.1%} of money to left behind areas (5-95%: {share['p05']:.1%}-"
                f"{share['p95']:.1%}), {count['mean']:.1f} of them funded ({count['p05']:.0f}-"
                f"{count['p95']:.0f}); formula: {f['left_behind_share']:.1%}, "
                f"{f['left_behind_funded']} funded.",
                markup=False,
            )
