"""Commands: robustness (uncertainty analysis), robustness sensitivity / vintage / area."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import typer

from leftbehind.cli.common import (
    check_choice,
    cli_errors,
    connect_store,
    emit_json,
    emit_text,
    err_console,
    frame_csv,
    frame_records,
    write_text_atomic,
)

OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")]
EditionOpt = Annotated[
    str | None,
    typer.Option(
        "--edition",
        "-e",
        help="england-2019-ward or england-2023-lsoa (default: LEFTBEHIND_EDITION).",
    ),
]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (same seed, same result).")]
ThresholdOpt = Annotated[
    str, typer.Option("--threshold-range", help="Range of both thresholds, low:high.")
]
SpreadOpt = Annotated[
    float, typer.Option("--weight-spread", help="Perturbation of each weight, e.g. 0.25 = +/-25%.")
]
DistributionOpt = Annotated[
    str, typer.Option("--weight-distribution", help="perturb (uniform +/-spread) or dirichlet.")
]
FixOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--fix", help="Hold a choice at its nominal value (repeatable), e.g. --fix aggregation."
    ),
]

AREA_FORMATS = ("csv", "json")
TABLE_FORMATS = ("table", "csv", "json")


def _edition(edition: str | None) -> str:
    from leftbehind.robustness.choices import check_edition
    from leftbehind.settings import get_settings

    return check_edition(edition or get_settings().edition)


def _choices(
    edition: str, threshold_range: str, spread: float, distribution: str, fix: list[str] | None
):
    from leftbehind.robustness.choices import default_choices, parse_range

    return default_choices(
        edition,
        threshold_range=parse_range(threshold_range),
        weight_spread=spread,
        weight_distribution=distribution,  # type: ignore[arg-type]
        fixed=fix or (),
    )


def _print_summary(summary: dict[str, Any]) -> None:
    c = summary["classes_of_nominal"]
    lines = [
        f"{summary['edition']}: {summary['draws']:,} draws, seed {summary['seed']}",
        f"nominal list: {summary['nominal_count']:,} areas "
        f"(published: {summary['published_count']:,}); robust {c['robust']}, likely "
        f"{c['likely']}, borderline {c['borderline']}, unlikely {c['unlikely']}",
        f"expected count {summary['expected_count']:.1f} "
        f"(5-95%: {summary['count_p05']:.0f}-{summary['count_p95']:.0f})",
    ]
    added = summary.get("most_often_added") or []
    if added:
        top = ", ".join(f"{a['name']} ({a['p_left_behind']:.0%})" for a in added[:5])
        lines.append(f"most often added: {top}")
    for line in lines:
        err_console.print(line, markup=False)


def register(app: typer.Typer) -> None:
    group = typer.Typer(
        help="How sure are we? Uncertainty and sensitivity analysis of the left-behind list.",
        invoke_without_command=True,
        no_args_is_help=False,
    )

    @group.callback()
    @cli_errors
    def robustness(
        ctx: typer.Context,
        edition: EditionOpt = None,
        draws: Annotated[int, typer.Option("--draws", "-n", help="Number of draws.")] = 1000,
        seed: SeedOpt = 2023,
        fmt: Annotated[str, typer.Option("--format", "-f", help="csv or json.")] = "csv",
        output: OutputOpt = None,
        threshold_range: ThresholdOpt = "0.08:0.12",
        weight_spread: SpreadOpt = 0.25,
        weight_distribution: DistributionOpt = "perturb",
        fix: FixOpt = None,
        chart: Annotated[
            Path | None, typer.Option("--chart", help="Also write an SVG chart here.")
        ] = None,
        no_cache: Annotated[bool, typer.Option("--no-cache", help="Recompute.")] = False,
    ) -> None:
        """Per-area share of plausible lists in which each area is left behind."""
        if ctx.invoked_subcommand is not None:
            return
        from leftbehind.robustness.charts import p_left_behind_svg
        from leftbehind.robustness.results import run_robustness

        check_choice("format", fmt, AREA_FORMATS)
        ed = _edition(edition)
        choices = _choices(ed, threshold_range, weight_spread, weight_distribution, fix)
        con = connect_store()
        try:
            result = run_robustness(con, ed, draws, seed, choices, use_cache=not no_cache)
        finally:
            con.close()
        _print_summary(result.summary)
        if chart is not None:
            write_text_atomic(chart, p_left_behind_svg(result.areas))
            err_console.print(f"Wrote {chart}", markup=False)
        if fmt == "json":
            emit_json({"summary": result.summary, "areas": frame_records(result.areas)}, output)
        else:
            emit_text(frame_csv(result.areas), output)

    @group.command("sensitivity")
    @cli_errors
    def sensitivity_cmd(
        edition: EditionOpt = None,
        samples: Annotated[
            int, typer.Option("--samples", "-n", help="Base samples N (N (k+2) model runs).")
        ] = 512,
        seed: SeedOpt = 2023,
        boot: Annotated[int, typer.Option("--boot", help="Bootstrap resamples.")] = 500,
        dummy: Annotated[
            bool, typer.Option("--dummy", help="Add a factor the model ignores (check: 0).")
        ] = False,
        fmt: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
        output: OutputOpt = None,
        threshold_range: ThresholdOpt = "0.08:0.12",
        weight_spread: SpreadOpt = 0.25,
        weight_distribution: DistributionOpt = "perturb",
        fix: FixOpt = None,
    ) -> None:
        """First- and total-order Sobol indices of the count and the mean rank shift."""
        from leftbehind.robustness.inputs import load_inputs
        from leftbehind.robustness.sampling import check_boot
        from leftbehind.robustness.sensitivity import sensitivity

        check_choice("format", fmt, TABLE_FORMATS)
        ed = _edition(edition)
        choices = _choices(ed, threshold_range, weight_spread, weight_distribution, fix)
        check_boot(boot)
        con = connect_store()
        try:
            inputs = load_inputs(con, ed)
        finally:
            con.close()
        result = sensitivity(inputs, choices, samples, seed, dummy=dummy, n_boot=boot)
        if fmt == "json":
            emit_json(result.to_dict(), output)
        elif fmt == "csv":
            emit_text(frame_csv(result.indices), output)
        else:
            table = result.indices.drop(columns=["variance"]).copy()
            emit_text(
                f"{ed}: {result.runs:,} model runs (N = {result.n}), 95% bootstrap intervals\n"
                + table.to_string(index=False, float_format=lambda v: f"{v:.3f}"),
                output,
            )

    @group.command("vintage")
    @cli_errors
    def vintage_cmd(
        basis: Annotated[
            str, typer.Option("--basis", help="published (OCSI's lists) or recomputed.")
        ] = "published",
        level: Annotated[
            str, typer.Option("--level", help="summary, wards (2019) or lsoas (2023).")
        ] = "summary",
        fmt: Annotated[str, typer.Option("--format", "-f", help="csv or json.")] = "json",
        output: OutputOpt = None,
    ) -> None:
        """2019 left-behind wards against 2023 left-behind LSOAs: persisted, new, dropped."""
        from leftbehind.robustness.vintage import compare_vintages

        check_choice("format", fmt, AREA_FORMATS)
        check_choice("level", level, ("summary", "wards", "lsoas"))
        con = connect_store()
        try:
            comparison = compare_vintages(con, basis)  # type: ignore[arg-type]
        finally:
            con.close()
        if level == "summary":
            if fmt == "csv":
                flat = pd.json_normalize(comparison.summary, sep=".")
                emit_text(frame_csv(flat), output)
            else:
                emit_json(comparison.summary, output)
            return
        frame = comparison.wards if level == "wards" else comparison.lsoas
        if fmt == "json":
            emit_json({"summary": comparison.summary, "areas": frame_records(frame)}, output)
        else:
            emit_text(frame_csv(frame), output)

    @group.command("area")
    @cli_errors
    def area_cmd(
        code: Annotated[str, typer.Argument(help="Area code, e.g. E05000028.")],
        edition: EditionOpt = None,
        output: OutputOpt = None,
    ) -> None:
        """One area's robustness class, interval and plain-words sentence (JSON)."""
        from leftbehind.robustness.results import robustness_for_area

        ed = _edition(edition)
        con = connect_store()
        try:
            emit_json(robustness_for_area(con, ed, code), output)
        finally:
            con.close()

    app.add_typer(group, name="robustness")
