"""``leftbehind briefing CODE -o FILE.pdf``: the printable briefing of an area or a local
authority, the same document as ``/areas/{code}/briefing.pdf``."""

from __future__ import annotations

import logging
from pathlib import Path

import typer

from leftbehind.cli.common import cli_errors, err_console
from leftbehind.errors import AreaNotFound, InvalidInput

log = logging.getLogger("leftbehind.cli")


def _measures(settings, code: str) -> list[dict] | None:
    """The area's published local measures, or None when the community database is absent
    or not set up (the briefing then says there are none yet)."""
    from sqlalchemy.exc import SQLAlchemyError

    from leftbehind.community import Community
    from leftbehind.community.measures import published_with_observations
    from leftbehind.errors import LeftBehindError

    community = Community(settings.community_url)
    try:
        return published_with_observations(community, code)
    except (SQLAlchemyError, LeftBehindError) as exc:
        log.info("local measures unavailable for %s: %s", code, exc)
        return None
    finally:
        community.dispose()


@cli_errors
def briefing(
    code: str = typer.Argument(
        ..., help="An area code (e.g. E05000028) or a local authority code (e.g. E07000114)."
    ),
    output: Path = typer.Option(
        ..., "--output", "-o", help="The file to write: FILE.pdf, or FILE.html for the HTML."
    ),
    edition: str | None = typer.Option(
        None, "--edition", "-e", help="Edition (default: settings; an area code finds its own)."
    ),
) -> None:
    """A printable briefing (PDF or HTML): status and why, plain-language summary, the nine
    dimensions with comparators and the chart, how sure we are, local measures, funding,
    sources and licences, date and edition."""
    from rich.progress import Progress, SpinnerColumn, TextColumn

    from leftbehind.atomic import write_bytes_atomic, write_text_atomic
    from leftbehind.observatory import Observatory
    from leftbehind.observatory import briefing as b
    from leftbehind.settings import get_settings

    suffix = output.suffix.lower()
    if suffix not in (".pdf", ".html", ".htm"):
        raise InvalidInput(
            f"--output {output}: end the file name with .pdf (a PDF) or .html (the HTML)",
            parameter="output",
        )
    settings = get_settings()
    obs = Observatory(settings.store_path, settings.edition)
    try:
        with Progress(
            SpinnerColumn(), TextColumn("{task.description}"), console=err_console,
            transient=True,
        ) as progress:  # fmt: skip
            task = progress.add_task("Gathering the briefing's evidence", total=None)
            try:
                data, rec = obs.area(edition, code)
                context = b.area_briefing(obs, data.id, rec["code"], _measures(settings, code))
            except AreaNotFound as area_error:
                try:
                    context = b.local_authority_briefing(obs, edition, code)
                except AreaNotFound:
                    raise area_error from None
            html = b.render_html(context)
            if suffix == ".pdf":
                progress.update(task, description="Printing the PDF")
                write_bytes_atomic(output, b.to_pdf(html))
            else:
                write_text_atomic(output, b.render_html(context, inline_css=True))
    finally:
        obs.close()
    err_console.print(f"Wrote {output} ({context['title']}, {context['edition']['id']})",
                      markup=False)  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("briefing")(briefing)
