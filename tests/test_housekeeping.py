"""A killed build leaves nothing behind for long, two builds never run on one home at once, and a
refusing disk is named as what it is (full, read-only, permission).

The SIGKILL test kills a real ``leftbehind build --force`` while it writes the new store, on a
copy of the test store's home, and checks that the old store is untouched and that the next
build removes what the killed one left.
"""

from __future__ import annotations

import errno
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from leftbehind.atomic import atomic_path, temp_pid, tmp_prefix
from leftbehind.errors import DiskProblem, StoreBusy
from leftbehind.store import housekeeping


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_temporary_names_carry_the_writers_pid(tmp_path):
    target = tmp_path / "out.csv"
    with atomic_path(target) as tmp:
        assert tmp.name.startswith(tmp_prefix("out.csv"))
        assert temp_pid(tmp.name) == os.getpid()
        tmp.write_text("x")
    assert target.read_text() == "x"


def test_sweep_removes_only_what_dead_processes_left(tmp_path):
    dead, live = _dead_pid(), os.getpid()
    cache = tmp_path / "cache" / "parsed"
    cache.mkdir(parents=True)
    stale = {
        tmp_path / f".leftbehind.duckdb.{dead}.tmp": 1000,
        tmp_path / f".leftbehind.duckdb.{dead}.tmp.wal": 10,
        cache / f".imd.parquet.{dead}.k3j2.tmp": 300,
        cache / f".fetch-{dead}-ab12.tmp": 7,
    }
    kept = {
        tmp_path / f".leftbehind.duckdb.{live}.tmp": 5,  # a build running now
        cache / f".imd.parquet.{live}.x.tmp": 5,
        tmp_path / "leftbehind.duckdb": 5,
        tmp_path / ".build.lock": 1,
        cache / "imd.parquet": 5,
    }
    for path, size in {**stale, **kept}.items():
        path.write_bytes(b"\0" * size)
    spill = tmp_path / f".leftbehind.duckdb.{dead}.tmp.tmp"  # DuckDB's spill folder
    spill.mkdir()
    (spill / "duckdb_temp_block-1.block").write_bytes(b"\0" * 50)

    swept = housekeeping.remove_stale_temporaries(tmp_path)

    assert swept == housekeeping.Swept(len(stale) + 1, sum(stale.values()) + 50)
    assert not any(p.exists() for p in stale) and not spill.exists()
    assert all(p.exists() for p in kept)
    assert housekeeping.remove_stale_temporaries(tmp_path) == housekeeping.NOTHING_SWEPT


def test_one_build_at_a_time_per_home(tmp_path):
    busy = pytest.raises(StoreBusy, match=rf"running on .* \(process {os.getpid()}\)")
    with housekeeping.build_lock(tmp_path), busy, housekeeping.build_lock(tmp_path):
        pass
    with housekeeping.build_lock(tmp_path):  # released: free again
        pass


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device"), "is full"),
        (duckdb.IOException('Could not write file "x": No space left on device'), "is full"),
        (OSError(errno.EROFS, "Read-only file system"), "read-only file system"),
        (PermissionError(errno.EACCES, "Permission denied"), "no permission to write"),
    ],
)
def test_refused_writes_are_named(tmp_path, exc, words):
    message = housekeeping.describe_disk_error(exc, tmp_path)
    assert message is not None and words in message and str(tmp_path) in message
    assert "\n" not in message
    with pytest.raises(DiskProblem, match=words), housekeeping.disk_errors(tmp_path):
        raise exc


def test_other_errors_pass_through(tmp_path):
    assert housekeeping.describe_disk_error(OSError(errno.ENOENT, "gone"), tmp_path) is None
    with pytest.raises(FileNotFoundError), housekeeping.disk_errors(tmp_path):
        raise FileNotFoundError(errno.ENOENT, "gone")


# -- on the real store ----------------------------------------------------------------------------
def _sha(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@pytest.fixture()
def home_copy(store_home: Path, tmp_path: Path) -> Path:
    """A home with a copy of the built store and the test home's source cache (linked)."""
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy2(store_home / "leftbehind.duckdb", home / "leftbehind.duckdb")
    (home / "cache").symlink_to(store_home / "cache", target_is_directory=True)
    return home


def _env(home: Path, mirror: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(LEFTBEHIND_HOME=str(home), LEFTBEHIND_MIRROR=str(mirror))
    return env


@pytest.mark.integration
def test_a_full_disk_is_named_and_the_store_kept(home_copy, mirror_dir, monkeypatch):
    from leftbehind.settings import fresh_settings
    from leftbehind.store import build

    before = _sha(home_copy / "leftbehind.duckdb")

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(build, "_load", full)
    settings = fresh_settings(home=home_copy, mirror=mirror_dir)
    with pytest.raises(DiskProblem, match="is full"):
        build.build_store(settings, force=True)
    assert _sha(home_copy / "leftbehind.duckdb") == before
    assert [p.name for p in home_copy.iterdir() if temp_pid(p.name)] == []


@pytest.mark.integration
def test_sigkill_mid_build_keeps_the_store_and_the_next_build_tidies(
    home_copy, mirror_dir, tmp_path
):
    store = home_copy / "leftbehind.duckdb"
    before = _sha(store)
    env = _env(home_copy, mirror_dir)
    cmd = [sys.executable, "-m", "leftbehind", "build", "--force"]
    log = tmp_path / "build.log"
    with log.open("wb") as err:
        child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        tmp = home_copy / f".leftbehind.duckdb.{child.pid}.tmp"
        deadline = time.monotonic() + 240
        while not (tmp.exists() and tmp.stat().st_size > 1_000_000):
            assert child.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the build never started writing the new store"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        child.wait()
    left = [p for p in home_copy.iterdir() if temp_pid(p.name) == child.pid]
    assert left, "a killed build leaves its temporary store (the test would prove nothing)"
    assert _sha(store) == before  # the old store is untouched

    again = subprocess.run(
        [sys.executable, "-m", "leftbehind", "build"], env=env, capture_output=True, text=True,
        timeout=600,
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert "left by an interrupted build" in again.stderr
    assert "up to date" in again.stderr
    assert [p for p in home_copy.iterdir() if temp_pid(p.name) is not None] == []
    assert _sha(store) == before


@pytest.mark.integration
def test_a_second_build_on_one_home_is_a_one_line_error(home_copy, mirror_dir):
    env = _env(home_copy, mirror_dir)
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from pathlib import Path; "
         "from leftbehind.store.housekeeping import build_lock\n"
         "with build_lock(Path(sys.argv[1])):\n"
         "    print('held', flush=True); time.sleep(60)", str(home_copy)],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        done = subprocess.run(
            [sys.executable, "-m", "leftbehind", "build"], env=env, capture_output=True,
            text=True, timeout=300,
        )  # fmt: skip
    finally:
        holder.kill()
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"(process {holder.pid})" in lines[0], done.stderr


def _temps(folder: Path, pid: int) -> list[Path]:
    """The temporary files process ``pid`` has under ``folder``."""
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir() if temp_pid(p.name) == pid]


def _grant_counts(home: Path) -> tuple[int, int]:
    import sqlalchemy as sa

    engine = sa.create_engine(f"sqlite:///{home / 'community.sqlite3'}")
    try:
        with engine.connect() as c:
            grants = c.execute(sa.text("SELECT count(*) FROM grants")).scalar_one()
            imports = c.execute(sa.text("SELECT count(*) FROM grant_imports")).scalar_one()
    finally:
        engine.dispose()
    return int(grants), int(imports)


@pytest.mark.integration
def test_sigkill_mid_grants_import_changes_nothing_and_the_next_import_tidies(
    home_copy, mirror_dir, samples_dir, tmp_path
):
    """Killed after reading and locating the file, while its one transaction runs: no grant,
    no import record, no rejects file; the next import removes the killed one's temporary
    rejects file and imports everything."""
    from leftbehind.community.schema import upgrade

    upgrade(f"sqlite:///{home_copy / 'community.sqlite3'}")
    assert _grant_counts(home_copy) == (0, 0)
    source = samples_dir / "grants" / "covid19-grants-2020.json"
    rejects = tmp_path / "rejects" / "covid.rejects.csv"
    env = _env(home_copy, mirror_dir)
    cmd = [sys.executable, "-m", "leftbehind", "grants", "import", str(source),
           "--rejects", str(rejects)]  # fmt: skip
    log = tmp_path / "import.log"
    with log.open("wb") as err:
        child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        deadline = time.monotonic() + 300
        # the rejects file is written to a temporary name just before the transaction
        while not any(p.stat().st_size > 0 for p in _temps(rejects.parent, child.pid)):
            assert child.poll() is None, "the import ended before it was killed: " + log.read_text()
            assert time.monotonic() < deadline, "the import never reached its transaction"
            time.sleep(0.005)
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert _temps(rejects.parent, child.pid), "no temporary rejects file left: proves nothing"
    assert not rejects.exists()
    assert _grant_counts(home_copy) == (0, 0)  # the transaction never committed

    again = subprocess.run([*cmd, "--json"], env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr
    grants, imports = _grant_counts(home_copy)
    assert imports == 1 and grants > 1_000  # 1,978 grants in the sample
    assert f'"inserted": {grants}' in again.stdout
    assert rejects.exists()
    assert [p for p in rejects.parent.iterdir() if temp_pid(p.name) is not None] == []
