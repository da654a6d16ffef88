"""What a build leaves tidy: one build at a time per home, no temporary files left behind by a
killed build, and errors that say what is actually wrong with the disk.

Every temporary file the build writes carries the writer's process id in its name: the store
being built (``.leftbehind.duckdb.{pid}.tmp`` and its ``.wal``), fetched sources
(``.fetch-{pid}-*.tmp``) and parsed caches (``.{name}.{pid}.*.tmp``). A build normally removes its
own on failure; when it is killed (SIGKILL, power cut) they stay, and the next build removes every
one whose process is gone, holding the home's build lock so that no live build loses its files.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from leftbehind.atomic import temp_pid
from leftbehind.errors import DiskProblem, StoreBusy

LOCK_NAME = ".build.lock"


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's live process
        return True
    return True


@dataclass(frozen=True)
class Swept:
    files: int
    bytes: int


NOTHING_SWEPT = Swept(0, 0)


def remove_stale_temporaries(*folders: Path) -> Swept:
    """Remove the temporary files under ``folders`` whose writing process is gone."""
    files = size = 0
    for folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.rglob(".*")):
            pid = temp_pid(path.name)
            if pid is None or _alive(pid):
                continue
            with contextlib.suppress(FileNotFoundError):
                if path.is_dir():  # DuckDB's spill folder of a store being built
                    size += sum(p.stat().st_size for p in path.rglob("*") if p.is_file())
                    shutil.rmtree(path)
                else:
                    size += path.stat().st_size
                    path.unlink()
                files += 1
    return Swept(files, size)


@contextlib.contextmanager
def build_lock(home: Path) -> Iterator[None]:
    """Hold the home's build lock: a second build on the same home is told who is building."""
    home.mkdir(parents=True, exist_ok=True)
    path = home / LOCK_NAME
    with disk_errors(home), open(path, "a+", encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip()
            who = f" (process {holder})" if holder.isdigit() else ""
            raise StoreBusy(
                f"another 'leftbehind build' is running on {home}{who}; wait for it to finish"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield
        finally:
            handle.seek(0)
            handle.truncate()
            fcntl.flock(handle, fcntl.LOCK_UN)


def _free_mb(folder: Path) -> str:
    try:
        return f"{shutil.disk_usage(folder).free / 1e6:,.0f} MB free"
    except OSError:
        return "free space unknown"


def describe_disk_error(exc: BaseException, folder: Path) -> str | None:
    """A one-line description of a refused write (full, read-only, permission), or None."""
    code = getattr(exc, "errno", None)
    text = str(exc)
    if code == errno.ENOSPC or "No space left on device" in text:
        return (
            f"the disk holding {folder} is full ({_free_mb(folder)}); free some space or set "
            "LEFTBEHIND_HOME to a folder on another disk, then run the command again"
        )
    if code == errno.EROFS or "Read-only file system" in text:
        return f"{folder} is on a read-only file system; set LEFTBEHIND_HOME to a writable folder"
    if code in (errno.EACCES, errno.EPERM) or "Permission denied" in text:
        return (
            f"no permission to write in {folder}; give this user write access or set "
            "LEFTBEHIND_HOME to a folder it can write"
        )
    return None


@contextlib.contextmanager
def disk_errors(folder: Path) -> Iterator[None]:
    """Turn a refused write under ``folder`` (OSError, or DuckDB's IO error) into
    :class:`DiskProblem` with a message naming the cause; other errors pass through."""
    import duckdb

    try:
        yield
    except (OSError, duckdb.IOException, duckdb.PermissionException) as exc:
        message = describe_disk_error(exc, folder)
        if message is None:
            raise
        raise DiskProblem(message) from None
