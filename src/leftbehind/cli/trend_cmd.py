"""``leftbehind trend CODE`` and ``leftbehind futures``: change over time (issue 14)."""

from __future__ import annotations

from pathlib import Path

import typer

from leftbehind.cli.common import cli_errors, emit_json, emit_text
from leftbehind.errors import InvalidInput


def _observatory():
    from leftbehind.observatory import Observatory
    from leftbehind.settings import get_settings

    settings = get_settings()
    return Observatory(settings.store_path, settings.edition)


def _format(as_json: bool, as_csv: bool) -> str:
    if as_json and as_csv:
        raise InvalidInput("choose one output format, not --json and --csv")
    return "json" if as_json else "csv" if as_csv else "text"


def trend_text(trend: dict) -> str:
    lines = [
        f"{trend['name']} ({trend['code']}), {trend['edition']}: {trend['group_label']}",
        f"National deprivation percentile ({trend['percentile']}):",
    ]
    for p in trend["series"]:
        if p["percentile"] is None:
            lines.append(f"  {p['imd']}: no data")
            continue
        lines.append(
            f"  {p['imd']}: {p['percentile']:5.1f}  (rank {p['rank']:,.0f} of {p['n']:,}; "
            f"group median {p['group_median']}, England {p['england_median']}; {p['method']})"
        )
    for p in trend["periods"]:
        change = "no data" if p["change"] is None else f"{p['change']:+.1f} points"
        lines.append(f"IMD {p['start']} to {p['end']}: {p['future_label']} ({change})")
    lines.append(f"Threshold: more than {trend['thresholds']['points']} points counts.")
    lines.extend(trend["boundary_changes"])
    lines.append(f"Coverage: {trend['coverage']}. Method: {trend['documentation']}.")
    return "\n".join(lines)


@cli_errors
def trend(
    code: str = typer.Argument(..., help="An area code, e.g. E05000028 (Becontree ward)."),
    edition: str | None = typer.Option(
        None, "--edition", "-e", help="Edition (default: the one holding the code)."
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON output (as the API)."),
    as_csv: bool = typer.Option(False, "--csv", help="CSV, one IMD edition a row."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
) -> None:
    """An area's national deprivation percentile in every IMD edition 2004-2025."""
    from leftbehind.observatory import Payload
    from leftbehind.observatory.trend import AREA_CSV_COLUMNS

    fmt = _format(as_json, as_csv)
    obs = _observatory()
    try:
        result = obs.trends.area(edition, code)
        rows = obs.trends.area_rows(result)
    finally:
        obs.close()
    if fmt == "json":
        emit_json(result, output)
    elif fmt == "csv":
        emit_text(Payload.csv(rows, AREA_CSV_COLUMNS).body.decode("utf-8"), output)
    else:
        emit_text(trend_text(result), output)


def futures_text(doc: dict) -> str:
    labels = doc["future_labels"]
    lines = [doc["membership"], f"Rule: {doc['thresholds']['rule']}"]
    for period in doc["periods"]:
        lines.append(f"IMD {period['start']} to {period['end']}:")
        for g in period["groups"]:
            parts = ", ".join(
                f"{labels[f].lower()} {g['futures'][f]['areas']:,} areas / "
                f"{g['futures'][f]['population']:,} people ({g['futures'][f]['population_share']}%)"
                for f in labels
            )
            lines.append(f"  {g['label']}: {parts}")
    lines.extend(doc["sentences"])
    return "\n".join(lines)


@cli_errors
def futures(
    edition: str | None = typer.Option(
        None, "--edition", "-e", help="Edition whose groups are compared (default: settings)."
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON output (as GET /api/futures)."),
    as_csv: bool = typer.Option(False, "--csv", help="Every area's series and future as CSV."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
) -> None:
    """The report's three futures: residents by group in areas that fell further behind,
    kept pace or closed the gap (2015-2025 and since 2004)."""
    fmt = _format(as_json, as_csv)
    obs = _observatory()
    try:
        doc, payload = obs.trends.futures(edition)
        if fmt == "csv":
            _, payload = obs.trends.download(edition, "futures.csv")
    finally:
        obs.close()
    if fmt in ("json", "csv"):
        emit_text(payload.body.decode("utf-8"), output)
    else:
        emit_text(futures_text(doc), output)


def register(app: typer.Typer) -> None:
    app.command("trend")(trend)
    app.command("futures")(futures)
