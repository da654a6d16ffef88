"""Shared CLI plumbing: one-line errors, atomic output in the formats users expect."""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console

from leftbehind.atomic import write_text_atomic
from leftbehind.errors import LeftBehindError, UnknownName
from leftbehind.export import frame_csv, json_text

__all__ = ["frame_csv", "write_text_atomic"]

P = ParamSpec("P")
R = TypeVar("R")

err_console = Console(stderr=True, soft_wrap=True, highlight=False)
out_console = Console(soft_wrap=True, highlight=False)


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn library errors into one line on stderr and a non-zero exit, never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except LeftBehindError as exc:
            err_console.print(f"Error: {exc}", markup=False)
            raise typer.Exit(exc.exit_code) from None

    return wrapper


def check_choice(what: str, value: str, valid: tuple[str, ...]) -> str:
    """``value`` when it is one of ``valid``; otherwise :class:`UnknownName` listing them."""
    if value not in valid:
        raise UnknownName(f"unknown {what} {value!r}; choose one of: {', '.join(valid)}")
    return value


def frame_records(df: Any) -> list[dict[str, Any]]:
    """A DataFrame as JSON-ready records (NaN -> null, 10 significant decimals)."""
    return json.loads(df.to_json(orient="records", double_precision=10))


def connect_store() -> Any:
    """A read-only connection to the configured store."""
    from leftbehind.store.connection import connect

    return connect()


def emit_text(text: str, output: Path | None) -> None:
    """Print to stdout, or write atomically to ``output``."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
    else:
        write_text_atomic(output, text)
        err_console.print(f"Wrote {output}", markup=False)


def emit_json(data: Any, output: Path | None) -> None:
    emit_text(json_text(data, indent=2), output)
