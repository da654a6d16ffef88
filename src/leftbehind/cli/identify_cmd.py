"""Commands: identify, summary, imd, aggregate, validate."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from leftbehind.cli.common import (
    check_choice,
    cli_errors,
    connect_store,
    emit_json,
    emit_text,
    frame_csv,
    frame_records,
    out_console,
)

IMD_EDITIONS = {"england-2019": "imd-2019", "england-2025": "imd-2025"}
TABLE_FORMATS = ("table", "csv", "json")
IDENTIFY_FORMATS = ("table", "csv", "json", "geojson")
IDENTIFY_CSV_COLUMNS = [
    "code", "name", "left_behind", "published_left_behind", "group", "cni_rank", "imd_rank",
    "imd_score", "population", "local_authority_code", "local_authority", "region_code",
    "region", "rural_urban",
]  # fmt: skip

OutputOpt = Annotated[Path | None, typer.Option("--output", "-o", help="Write to this file.")]


def _render_table(df: pd.DataFrame, title: str, output: Path | None) -> None:
    if output is not None:
        emit_text(df.to_string(index=False), output)
        return
    table = Table(title=title)
    for col in df.columns:
        table.add_column(str(col))
    for row in df.itertuples(index=False):
        table.add_row(
            *("" if pd.isna(v) else f"{v:.3f}" if isinstance(v, float) else str(v) for v in row)
        )
    out_console.print(table)


def _emit_frame(df: pd.DataFrame, fmt: str, output: Path | None, title: str) -> None:
    if fmt == "csv":
        emit_text(frame_csv(df), output)
    elif fmt == "json":
        emit_json(frame_records(df), output)
    else:
        _render_table(df, title, output)


def register(app: typer.Typer) -> None:
    @app.command("identify")
    @cli_errors
    def identify_cmd(
        edition: Annotated[str | None, typer.Option(help="Edition id (see 'validate').")] = None,
        cni_threshold: Annotated[float, typer.Option(help="CNI share, in (0, 1].")] = 0.1,
        imd_threshold: Annotated[float, typer.Option(help="IMD share, in (0, 1].")] = 0.1,
        format: Annotated[str, typer.Option("--format", help="table|csv|json|geojson")] = "table",
        output: OutputOpt = None,
    ) -> None:
        """Flag 'left behind' areas (every area for csv/json/geojson; left-behind ones in table)."""
        from leftbehind.identify import check_threshold, identify
        from leftbehind.settings import get_settings

        fmt = check_choice("format", format, IDENTIFY_FORMATS)
        check_threshold("--cni-threshold", cni_threshold)
        check_threshold("--imd-threshold", imd_threshold)
        from leftbehind.editions import get_edition

        ed = get_edition(edition or get_settings().edition)
        con = connect_store()
        try:
            df = identify(con, ed.id, cni_threshold, imd_threshold)
            if fmt == "geojson":
                from leftbehind.geojson import areas_geojson

                emit_text(areas_geojson(con, df, ed.geography), output)
                return
        finally:
            con.close()
        if fmt == "table":
            shown = df[df["left_behind"]][
                ["code", "name", "cni_rank", "imd_rank", "population", "local_authority", "region"]
            ]
            _render_table(shown, f"{ed.title}: {len(shown)} left-behind areas", output)
        else:
            _emit_frame(df[IDENTIFY_CSV_COLUMNS], fmt, output, ed.title)

    @app.command("summary")
    @cli_errors
    def summary_cmd(
        edition: Annotated[str | None, typer.Option(help="Edition id.")] = None,
        cni_threshold: Annotated[float, typer.Option(help="CNI share, in (0, 1].")] = 0.1,
        imd_threshold: Annotated[float, typer.Option(help="IMD share, in (0, 1].")] = 0.1,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
        output: OutputOpt = None,
    ) -> None:
        """Headline figures: count, population, by region, local authority, rural-urban, group."""
        from leftbehind.editions import get_edition
        from leftbehind.identify import check_threshold
        from leftbehind.observatory.summary import summary_of
        from leftbehind.settings import get_settings

        check_threshold("--cni-threshold", cni_threshold)
        check_threshold("--imd-threshold", imd_threshold)
        ed = get_edition(edition or get_settings().edition)
        result = summary_of(get_settings().store_path, ed.id, cni_threshold, imd_threshold)
        if as_json:
            emit_json(result, output)
            return
        h = result["headline"]
        pop, share = h["left_behind_population"], h["left_behind_population_share"]
        regions = [r for r in result["by_region"] if r["left_behind"]]
        lines = [
            f"{ed.title}",
            f"Left behind: {h['left_behind']} areas"
            + (f", {pop:,} people ({share:.1f}% of the population)" if pop else ""),
            f"Published list: {h['published_left_behind']} areas"
            if ed.has_published_list
            else "Published list: none for this edition",
            "By region: " + ", ".join(f"{r['region']} {r['left_behind']}" for r in regions),
            "By rural-urban class: "
            + ", ".join(
                f"{r['rural_urban']} {r['left_behind']}"
                for r in result["by_rural_urban"]
                if r["left_behind"]
            ),
            "Groups: " + ", ".join(f"{k} {v['count']}" for k, v in result["groups"].items()),
        ]
        emit_text("\n".join(lines), output)

    @app.command("imd")
    @cli_errors
    def imd_cmd(
        edition: Annotated[str, typer.Option(help="england-2019 | england-2025")] = "england-2019",
        format: Annotated[str, typer.Option("--format", help="table|csv|json")] = "csv",
        output: OutputOpt = None,
    ) -> None:
        """IMD score, rank and decile of every LSOA, computed by our engine from domain ranks."""
        from leftbehind.indices.imd import imd_from_store

        fmt = check_choice("format", format, TABLE_FORMATS)
        check_choice("IMD edition", edition, tuple(IMD_EDITIONS))
        con = connect_store()
        try:
            df = imd_from_store(con, IMD_EDITIONS[edition])[["code", "score", "rank", "decile"]]
        finally:
            con.close()
        _emit_frame(df, fmt, output, f"IMD {edition}")

    @app.command("aggregate")
    @cli_errors
    def aggregate_cmd(
        index: Annotated[str, typer.Option(help="imd-2019 | imd-2025")] = "imd-2019",
        to: Annotated[str, typer.Option(help="Geography, e.g. ltla19, ward17, region.")] = (
            "ltla19"
        ),
        format: Annotated[str, typer.Option("--format", help="table|csv|json")] = "csv",
        output: OutputOpt = None,
    ) -> None:
        """MHCLG summary measures (average score and rank, proportion, extent, local
        concentration) of an index for every area of a higher geography."""
        from leftbehind.indices.aggregate import aggregate
        from leftbehind.indices.weights import get_index

        fmt = check_choice("format", format, TABLE_FORMATS)
        get_index(index).geography_sql(to)  # unknown names fail before opening the store
        con = connect_store()
        try:
            df = aggregate(con, index, to)
        finally:
            con.close()
        _emit_frame(df, fmt, output, f"{index} by {to}")

    @app.command("validate")
    @cli_errors
    def validate_cmd(
        edition: Annotated[str, typer.Argument(help="Edition id, e.g. england-2019-ward.")],
        cni_threshold: Annotated[float, typer.Option(help="CNI share, in (0, 1].")] = 0.1,
        imd_threshold: Annotated[float, typer.Option(help="IMD share, in (0, 1].")] = 0.1,
        as_json: Annotated[bool, typer.Option("--json", help="Machine-readable JSON.")] = False,
        output: OutputOpt = None,
    ) -> None:
        """Agreement with the published list (found, missed, extra, reasons) and, for England,
        reconstruction of the official IMD ranks and local-authority summaries."""
        from leftbehind.editions import get_edition
        from leftbehind.identify import check_threshold
        from leftbehind.validate import render_validation, validate

        check_threshold("--cni-threshold", cni_threshold)
        check_threshold("--imd-threshold", imd_threshold)
        ed = get_edition(edition)
        con = connect_store()
        try:
            report = validate(con, ed.id, cni_threshold, imd_threshold)
        finally:
            con.close()
        if as_json:
            emit_json(report, output)
        else:
            emit_text(render_validation(report), output)
