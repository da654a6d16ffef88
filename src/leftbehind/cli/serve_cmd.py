"""``leftbehind serve``: the web observatory."""

from __future__ import annotations

import os

import typer

from leftbehind.cli.common import cli_errors, err_console
from leftbehind.errors import MissingSource, StoreMissing


def _build_with_progress(settings) -> None:
    from leftbehind.cli.build_cmd import build_with_progress

    origin = settings.mirror or "the pinned URLs (network)"
    err_console.print(f"No evidence store yet: building it from {origin} ...")
    result = build_with_progress(settings)
    err_console.print(f"Built {result.path} in {result.seconds:.1f} s")


def _community_schema(settings) -> None:
    """The embedded SQLite database is brought up to date; a configured one must already be
    (its owner runs 'leftbehind db upgrade', after a backup)."""
    from leftbehind.community.schema import check_current, upgrade

    if settings.community_embedded:
        upgrade(settings.community_url)
    else:
        check_current(settings.community_url)


@cli_errors
def serve(
    host: str | None = typer.Option(
        None, "--host", help="Address to listen on (default 127.0.0.1)."
    ),
    port: int | None = typer.Option(None, "--port", min=1, max=65535, help="Port (default 8000)."),
    edition: str | None = typer.Option(
        None, "--edition", help="Edition shown by default (default england-2019-ward)."
    ),
    workers: int = typer.Option(
        1,
        "--workers",
        min=1,
        max=64,
        help="Server processes (each opens the evidence store read-only); e.g. the cores.",
    ),
) -> None:
    """Open the web observatory: map, area pages, summaries and the open API."""
    import uvicorn

    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    settings = fresh_settings(host=host, port=port, edition=edition)
    if not settings.store_path.exists():
        try:
            _build_with_progress(settings)
        except MissingSource as exc:
            raise StoreMissing(
                f"no evidence store at {settings.store_path} and it could not be built ({exc}); "
                "build it with 'leftbehind build --mirror ../shared/sources' or set "
                "LEFTBEHIND_MIRROR and run 'leftbehind serve' again"
            ) from None
    if edition is not None:
        from leftbehind.observatory import Observatory

        obs = Observatory(settings.store_path, settings.edition)
        try:
            obs.resolve_edition(edition, what="--edition")
        finally:
            obs.close()
    _community_schema(settings)
    err_console.print(
        f"Serving the observatory at http://{settings.host}:{settings.port}/ with {workers} "
        f"worker{'s' if workers > 1 else ''} (Ctrl+C to stop)"
    )
    if workers == 1:
        uvicorn.run(create_app(settings), host=settings.host, port=settings.port,
                    log_level="warning")  # fmt: skip
        return
    # Each worker process builds its own app from the same settings, passed by environment.
    os.environ.update(settings.environment())
    uvicorn.run(
        "leftbehind.web:create_app", factory=True, workers=workers,
        host=settings.host, port=settings.port, log_level="warning",
    )  # fmt: skip


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
