"""Atomic file writes: a temporary file in the target's folder, then one rename.

A reader sees the old file or the new one, never half of either; a failed write leaves the
old file as it was and no temporary file behind. Temporary names carry the writer's process id
(:func:`tmp_prefix`), so what a killed process left can be told from what a live one is writing
(:func:`leftbehind.store.housekeeping.remove_stale_temporaries`).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: The process id in a temporary file's name (see :func:`tmp_prefix`, :func:`fetch_prefix`).
_PID = re.compile(r"^\.(?:fetch-(\d+)-.*|.+?\.(\d+)\.(?:.*\.)?tmp(?:\.wal)?)$")


def tmp_prefix(name: str) -> str:
    """The prefix of a temporary file for ``name`` written by this process.

    >>> tmp_prefix("imd.parquet") == f".imd.parquet.{os.getpid()}."
    True
    """
    return f".{name}.{os.getpid()}."


def fetch_prefix() -> str:
    """The prefix of a temporary fetched file written by this process."""
    return f".fetch-{os.getpid()}-"


def temp_pid(name: str) -> int | None:
    """The process id a temporary file's name carries, or None when it is not one of ours.

    >>> temp_pid(".leftbehind.duckdb.4242.tmp"), temp_pid(".leftbehind.duckdb.4242.tmp.wal")
    (4242, 4242)
    >>> temp_pid(".fetch-77-abc.tmp"), temp_pid(".imd.parquet.9.x1y2.tmp"), temp_pid("imd.parquet")
    (77, 9, None)
    """
    m = _PID.match(name)
    if not m:
        return None
    return int(m.group(1) or m.group(2))


@contextmanager
def atomic_path(path: Path | str, prefix: str | None = None) -> Iterator[Path]:
    """A temporary path beside ``path``; on a clean exit it is renamed onto ``path``.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> with atomic_path(target) as tmp:
    ...     _ = tmp.write_text("hello")
    >>> target.read_text(), sorted(p.name for p in target.parent.iterdir())
    ('hello', ['out.txt'])
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    start = prefix or tmp_prefix(path.name)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=start, suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text_atomic(path: Path | str, text: str) -> None:
    """Write ``text`` (UTF-8, newlines as given) to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)


def write_bytes_atomic(path: Path | str, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp:
        tmp.write_bytes(data)
