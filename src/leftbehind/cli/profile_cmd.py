"""``leftbehind profile QUERY`` and ``leftbehind compare``."""

from __future__ import annotations

from pathlib import Path

import typer

from leftbehind.cli.common import cli_errors, emit_json, emit_text, err_console
from leftbehind.errors import InvalidInput
from leftbehind.places.postcodes import looks_like_postcode


def _one_format(**flags: bool) -> str | None:
    chosen = [name for name, on in flags.items() if on]
    if len(chosen) > 1:
        raise InvalidInput(
            f"choose one output format, not {' and '.join('--' + c for c in chosen)}"
        )
    return chosen[0] if chosen else None


def _postcode_area(query: str, edition: str | None) -> tuple[str, str]:
    """The code and edition of the area a postcode lies in (a note on stderr says how)."""
    from leftbehind.observatory import Observatory
    from leftbehind.settings import get_settings

    settings = get_settings()
    obs = Observatory(settings.store_path, settings.edition)
    try:
        answer = obs.postcode(query)
        wanted = obs.resolve_edition(edition, what="--edition")
    finally:
        obs.close()
    entries = answer["editions"]
    entry = next((e for e in entries if e["edition"] == wanted), None)
    if entry is None and edition:
        raise InvalidInput(
            f"{answer['postcode']} is in {answer['nation'] or 'no nation'}; edition {wanted} does "
            f"not cover it: choose one of {', '.join(e['edition'] for e in entries) or 'none'}",
            parameter="edition",
        )
    entry = entry or (entries[0] if entries else None)
    if entry is None:
        raise InvalidInput(answer.get("note") or f"{answer['postcode']}: no area found")
    area = entry["area"]
    others = len(entry["candidates"]) - 1
    more = f"; it overlaps {others} more (see 'leftbehind postcode')" if others else ""
    err_console.print(
        f"{answer['postcode']}: {area['name']} ({area['code']}) in {entry['edition']}, "
        f"{entry['method_label']}{more}",
        markup=False,
    )
    return area["code"], entry["edition"]


@cli_errors
def profile(
    query: str = typer.Argument(
        ...,
        help="An area code or name, several codes separated by commas, or a postcode "
        "(the area it lies in).",
    ),
    edition: str | None = typer.Option(
        None, "--edition", "-e", help="Edition (default: settings)."
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
    as_markdown: bool = typer.Option(False, "--markdown", help="Markdown output (default)."),
    as_html: bool = typer.Option(False, "--html", help="A standalone HTML page with the chart."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
) -> None:
    """Profile an LSOA, ward, local authority or list of codes on the nine dimensions."""
    from leftbehind.profiles.profile import profile as make_profile
    from leftbehind.profiles.render import profile_html, profile_markdown
    from leftbehind.store.connection import connect

    fmt = _one_format(json=as_json, markdown=as_markdown, html=as_html) or "markdown"
    if looks_like_postcode(query):
        query, edition = _postcode_area(query, edition)
    con = connect()
    try:
        result = make_profile(con, query, edition)
    finally:
        con.close()
    if fmt == "json":
        emit_json(result, output)
    elif fmt == "html":
        emit_text(profile_html(result), output)
    else:
        emit_text(profile_markdown(result), output)


@cli_errors
def compare(
    edition: str | None = typer.Option(
        None, "--edition", "-e", help="Edition (default: settings)."
    ),
    as_json: bool = typer.Option(False, "--json", help="JSON output."),
    as_csv: bool = typer.Option(False, "--csv", help="The indicator table as CSV."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write to this file."),
) -> None:
    """'Left behind' vs other deprived areas vs England on every indicator, and where the data
    agrees or disagrees with the report."""
    import pandas as pd

    from leftbehind.profiles.compare import compare as make_compare
    from leftbehind.profiles.compare import markdown
    from leftbehind.settings import get_settings
    from leftbehind.store.connection import connect

    fmt = _one_format(json=as_json, csv=as_csv)
    con = connect()
    try:
        result = make_compare(con, edition or get_settings().edition)
    finally:
        con.close()
    if fmt == "json":
        emit_json(result, output)
    elif fmt == "csv":
        emit_text(pd.DataFrame(result["indicators"]).to_csv(index=False), output)
    else:
        emit_text(markdown(result), output)


def register(app: typer.Typer) -> None:
    app.command("profile")(profile)
    app.command("compare")(compare)
