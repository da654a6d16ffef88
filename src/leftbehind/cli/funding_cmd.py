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
MaxGrantOpt = Annotated[
    float | None,
    typer.Option("--max-grant", help="Only grants of at most this many pounds (report: 1000000)."),
]
FunderOpt = Annotated[
    str | None, typer.Option("--funder", help="Funder identifier, or (part of) its name.")
]
FunderTypeOpt = Annotated[
    str | None, typer.Option("--funder-type", help="Funder type, where the data states it.")
]
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


def reconciliation_table(money: dict) -> Table:
    """Where every penny imported went, as a table (parts add up to the total)."""
    table = Table(title="Where the money imported went (adds up to the total, to the penny)")
    for col in ("part", "grants", "amount"):
        table.add_column(col, justify="left" if col == "part" else "right")

    def add(label: str, part: dict) -> None:
        table.add_row(label, f"{part['grants']:,}", f"£{part['amount_pence'] / 100:,.2f}")

    add("Placed in the edition's areas", money["placed"])
    for section, title in (("located_outside", "Located, not placed"), ("unlocated", "Unlocated")):
        for reason in money[section]["reasons"]:
            add(f"{title}: {reason['label']}", reason)
    other = money["not_in_gbp"]
    if other["grants"]:
        table.add_row(f"Not in GBP (no rate): {other['by_currency']}", f"{other['grants']:,}", "-")
    add("Total imported", money["total"])
    return table


def _grants_db():
    """The community database (current schema), with the grants of an old store moved in."""
    from leftbehind.community import Community
    from leftbehind.community.schema import check_current
    from leftbehind.funding.grants_store import move_legacy
    from leftbehind.settings import get_settings

    settings = get_settings()
    check_current(settings.community_url)
    community = Community(settings.community_url)
    moved = move_legacy(community, settings.store_path)
    if moved:
        err_console.print(moved.message(), markup=False)
    return community


def _observe(call):
    """Run ``call(Funding)`` on the store and the community database, the way the site does."""
    from leftbehind.observatory import Observatory
    from leftbehind.observatory.funding import Funding
    from leftbehind.settings import get_settings
    from leftbehind.store.connection import connect

    settings = get_settings()
    connect().close()  # a missing or busy store: the one-line error
    community = _grants_db()
    obs = Observatory(settings.store_path, settings.edition)
    try:
        return call(Funding(obs, community=community, bounded=False))
    finally:
        obs.close()
        community.dispose()


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
            typer.Option(
                "--postcodes",
                help="NSPL/ONSPD postcode lookup CSV, or a folder of them (repeatable).",
            ),
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
        samples: Annotated[
            bool,
            typer.Option(
                "--samples",
                help="Mark the files as the project's samples (the funding page says so).",
            ),
        ] = False,
    ) -> None:
        """Import grants into the community database (one transaction; re-importing changes
        nothing). Runs while 'leftbehind serve' runs; the site shows them within seconds."""
        from leftbehind.observatory.funding import import_grants
        from leftbehind.settings import get_settings
        from leftbehind.store.connection import connect

        settings = get_settings()
        rejects = rejects or settings.home / "grant-rejects" / f"{files[0].stem}.rejects.csv"
        rates = _parse_rates(rate)
        limits = replace(DEFAULT_LIMITS, max_rows=max_rows, max_bytes=max_file_mb * 2**20)
        community = _grants_db()
        con = connect(read_only=True)
        try:
            result = import_grants(
                community, con, files, postcodes=postcodes, apportion=apportion, rates=rates,
                rejects_path=rejects, update=update, limits=limits,
                via="samples" if samples else "cli",
            )  # fmt: skip
        finally:
            con.close()
            community.dispose()
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
        if not postcodes:
            err_console.print(
                "Postcodes looked up in the evidence store's ONS postcode lookup (NSPL, August "
                "2024); give --postcodes NSPL.csv to use another.",
                markup=False,
            )
        err_console.print(f"Rejects and unlocated rows with reasons: {rejects}", markup=False)

    @grants.command("summary")
    @cli_errors
    def grants_summary(
        edition: Annotated[str, typer.Option("--edition", help="Identification edition.")],
        year_from: Annotated[int | None, typer.Option("--from", help="First award year.")] = None,
        year_to: Annotated[int | None, typer.Option("--to", help="Last award year.")] = None,
        max_grant: MaxGrantOpt = None,
        funder: FunderOpt = None,
        funder_type: FunderTypeOpt = None,
        as_json: Annotated[bool, typer.Option("--json", help="Full summary as JSON.")] = False,
        as_csv: Annotated[bool, typer.Option("--csv", help="Group table as CSV.")] = False,
        output: OutputOpt = None,
    ) -> None:
        """Grants and money per head: left behind, other deprived, the nation; and where every
        penny imported went (placed, located elsewhere, unlocated, by reason)."""
        from leftbehind.funding.summary import GrantFilters

        if as_json and as_csv:
            raise InvalidInput("choose one of --json and --csv")
        filters = GrantFilters(year_from, year_to, max_grant, funder, funder_type)
        result = _observe(lambda svc: svc.grants_summary(edition, filters=filters)[0])
        if as_json:
            emit_json(result, output)
            return
        if not result.get("imported"):
            raise InvalidInput(
                "no grants have been imported; import 360Giving files first with "
                "'leftbehind grants import FILE'"
            )
        groups = pd.DataFrame(result["groups"])
        if as_csv:
            emit_text(frame_csv(groups), output)
            return
        table = Table(title=f"Grants per head, {edition}")
        for col in ("group", "areas", "population", "grants", "amount_gbp", "per_head"):
            table.add_column(col, justify="left" if col == "group" else "right")
        for row in result["groups"]:
            per_head = "-" if row["per_head"] is None else f"£{row['per_head']:.2f}"
            table.add_row(
                row["group"], f"{row['areas']:,}", f"{row['population']:,}",
                f"{row['grants']:,.0f}", f"£{row['amount_gbp']:,.2f}", per_head,
            )  # fmt: skip
        out_console.print(table)
        applied = result.get("filters_applied") or []
        out_console.print(
            "Filters applied: " + ("; ".join(applied) if applied else "none (every grant)"),
            markup=False,
        )
        out_console.print(reconciliation_table(result["reconciliation"]))

    @grants.command("list")
    @cli_errors
    def grants_list(
        edition: Annotated[str, typer.Option("--edition", help="Identification edition.")],
        area: Annotated[
            str | None, typer.Option("--area", help="Only grants placed in this area (code).")
        ] = None,
        year_from: Annotated[int | None, typer.Option("--from", help="First award year.")] = None,
        year_to: Annotated[int | None, typer.Option("--to", help="Last award year.")] = None,
        max_grant: MaxGrantOpt = None,
        funder: FunderOpt = None,
        funder_type: FunderTypeOpt = None,
        page: Annotated[int, typer.Option("--page", min=1, help="Page number.")] = 1,
        page_size: Annotated[
            int, typer.Option("--page-size", min=1, max=100, help="Grants a page (1-100).")
        ] = 25,
        as_json: Annotated[bool, typer.Option("--json", help="The page as JSON.")] = False,
        output: OutputOpt = None,
    ) -> None:
        """Individual grants, newest first (of an area, of a funder), with the publisher's
        link."""
        from leftbehind.funding.summary import GrantFilters

        filters = GrantFilters(year_from, year_to, max_grant, funder, funder_type)
        result = _observe(lambda svc: svc.grants_list(edition, filters, area, page, page_size)[0])
        if as_json:
            emit_json(result, output)
            return
        table = Table(
            title=f"Grants {result['total']:,} (page {result['page']} of {result['pages']})"
        )
        for col in ("date", "funder", "recipient", "amount", "link"):
            table.add_column(col, justify="right" if col == "amount" else "left")
        for g in result["grants"]:
            amount = g.get("amount_in_area_gbp", g.get("amount_gbp"))
            table.add_row(
                g["award_date"] or "", g["funder_name"] or "", g["recipient_name"] or "",
                "-" if amount is None else f"£{amount:,.2f}", g["link"] or "",
            )  # fmt: skip
        out_console.print(table)

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
        floor: Annotated[str | None, typer.Option("--floor", help="Minimum per area (£).")] = None,
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
