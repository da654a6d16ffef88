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


#: Exit code of an unexpected failure (a bug or the system: disk full, permissions).
UNEXPECTED_EXIT = 3
MAX_MESSAGE = 500


def log_path() -> Path:
    """Where the CLI logs the details of unexpected errors: ``$LEFTBEHIND_HOME/logs``."""
    from leftbehind.settings import get_settings

    return get_settings().home / "logs" / "cli.log"


def _log_details(command: str, exc: BaseException) -> Path | None:
    """Append the traceback to the log; the log's path, or None if it cannot be written."""
    import datetime as dt
    import traceback

    try:
        path = log_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "a", encoding="utf-8") as handle:
            handle.write(f"--- {dt.datetime.now().isoformat(timespec='seconds')} {command}\n")
            handle.write("".join(traceback.format_exception(exc)))
        return path
    except Exception:  # the disk may be full or the folder unwritable: still one line
        return None


def describe_unexpected(exc: BaseException) -> str:
    """What went wrong, in one line (OS errors in plain words)."""
    import errno

    if isinstance(exc, OSError):
        where = f" {exc.filename}" if exc.filename else ""
        plain_words = {
            errno.ENOSPC: "the disk is full",
            errno.EACCES: "permission denied",
            errno.EPERM: "permission denied",
            errno.EROFS: "the file system is read-only",
            errno.EISDIR: "it is a directory",
            errno.ENOENT: "no such file or directory",
        }
        reason = plain_words.get(exc.errno or 0, exc.strerror or type(exc).__name__)
        return f"cannot use{where}: {reason}"
    if isinstance(exc, MemoryError):
        return "out of memory"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 3] + "..."


def cli_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Turn every error into one line on stderr and a non-zero exit, never a traceback:
    library errors with their own message and exit code; anything unexpected with what
    failed, where its details were logged, and exit code 3."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except LeftBehindError as exc:
            err_console.print(f"Error: {exc}", markup=False)
            raise typer.Exit(exc.exit_code) from None
        except KeyboardInterrupt:
            err_console.print("Interrupted; nothing was changed by the unfinished step.")
            raise typer.Exit(130) from None
        except Exception as exc:
            command = func.__name__.replace("_cmd", "").replace("_", " ")
            logged = _log_details(command, exc)
            where = f"; details in {logged}" if logged else ""
            err_console.print(
                f"Error: {command} failed: {_one_line(describe_unexpected(exc))}{where}",
                markup=False,
            )
            raise typer.Exit(UNEXPECTED_EXIT) from None

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
