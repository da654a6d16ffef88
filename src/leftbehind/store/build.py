"""Build the evidence store: fetch, verify, parse (cached), load, derive; atomically.

The build writes a temporary DuckDB file next to the store and renames it into place only when
every step has succeeded, so a failed build never touches the existing store. One build runs at
a time per home (a lock); it first removes the temporary files a killed build left
(:mod:`leftbehind.store.housekeeping`), and a full, read-only or unwritable disk is a one-line
error naming the cause. A build whose
fingerprint (source checksums + the code of the build and its stages) matches the store's is a
no-op.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import inspect
import os
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from leftbehind.settings import Settings
from leftbehind.sources.fetch import cached_path, fetch_source, sha256_of
from leftbehind.sources.readers import PARSER_VERSION, parsed_cache_path, read_source
from leftbehind.sources.registry import Source, load_registry
from leftbehind.store import derive, docs, housekeeping, stages

Progress = Callable[[str, int, int], None]
#: Packages that read the store (or never touch it) but do not make it: their code is not part of
#: the build fingerprint (the community database is separate from the store).
PRESENTATION_PACKAGES = {"cli", "web", "community"}


@dataclass(frozen=True)
class BuildResult:
    path: Path
    rebuilt: bool
    seconds: float
    tables: int
    #: Temporary files (and their bytes) an interrupted build had left, removed by this one.
    stale: housekeeping.Swept = housekeeping.NOTHING_SWEPT


def _stage_functions() -> list[Callable[[duckdb.DuckDBPyConnection], None]]:
    functions = []
    for dotted in stages.DERIVED_STAGES:
        module_name, _, func_name = dotted.partition(":")
        functions.append(getattr(importlib.import_module(module_name), func_name))
    return functions


def fingerprint(sources: tuple[Source, ...]) -> str:
    """Checksums of every source plus the code that turns them into the store."""
    digest = hashlib.sha256()
    for source in sources:
        digest.update(f"{source.id}={source.sha256};".encode())
    digest.update(f"parser={PARSER_VERSION};".encode())
    # The code that makes the store: every module and data file of the package except the
    # presentation layers (CLI, web), which read the store but do not write it, and the
    # community database's package.
    package = Path(inspect.getfile(stages)).parents[1]
    for path in sorted(package.rglob("*")):
        relative = path.relative_to(package)
        if relative.parts[0] in PRESENTATION_PACKAGES or "__pycache__" in relative.parts:
            continue
        if path.suffix in {".py", ".csv", ".toml"}:
            digest.update(str(relative).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def store_fingerprint(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute(
                "SELECT value FROM build_manifest WHERE key = 'fingerprint'"
            ).fetchone()
    except duckdb.Error:
        return None
    return row[0] if row else None


def _ensure_fetched(source: Source, settings: Settings) -> Path:
    """The cached file for ``source``, fetched (and verified) if absent or altered."""
    path = cached_path(settings.cache_dir, source)
    if path.exists() and sha256_of(path) == source.sha256:
        return path
    return fetch_source(source, settings.cache_dir, mirror=settings.mirror, force=True)


def _parse_job(args: tuple[Source, Path, Path]) -> str:
    source, path, cache_dir = args
    read_source(source, path, cache_dir)
    return source.id


def _parse_all(
    sources: tuple[Source, ...], paths: dict[str, Path], settings: Settings, progress: Progress
) -> None:
    """Parse every uncached source, two at a time (one worker per core)."""
    todo = [s for s in sources if not parsed_cache_path(settings.cache_dir, s).exists()]
    done = len(sources) - len(todo)
    progress("parse", done, len(sources))
    if not todo:
        return
    # Largest first so the long boundary files start early.
    todo.sort(key=lambda s: -s.bytes)
    jobs = [(s, paths[s.id], settings.cache_dir) for s in todo]
    workers = max(1, min(2, os.cpu_count() or 1))
    if workers == 1 or len(jobs) == 1:
        for job in jobs:
            _parse_job(job)
            done += 1
            progress("parse", done, len(sources))
        return
    with ProcessPoolExecutor(max_workers=workers) as pool:
        for _ in pool.map(_parse_job, jobs):
            done += 1
            progress("parse", done, len(sources))


def _load(
    con: duckdb.DuckDBPyConnection,
    sources: tuple[Source, ...],
    paths: dict[str, Path],
    settings: Settings,
    progress: Progress,
) -> dict[str, pd.DataFrame]:
    frames: dict[str, pd.DataFrame] = {}
    grouped: dict[str, list[Source]] = {}
    for i, source in enumerate(sources, start=1):
        if source.table != source.id:  # one table of many files (the postcode lookup)
            grouped.setdefault(source.table, []).append(source)
            progress("load", i, len(sources))
            continue
        frame = read_source(source, paths[source.id], settings.cache_dir)
        frames[source.id] = frame
        # Boundary sources keep their codes and names here; geometry goes to `boundaries`.
        con.register("incoming", frame.drop(columns=["geometry"], errors="ignore"))
        con.execute(f'CREATE TABLE "{source.id}" AS SELECT * FROM incoming')
        con.unregister("incoming")
        progress("load", i, len(sources))
    for table, members in grouped.items():
        # Straight from the parsed Parquet files (DuckDB reads them in parallel), sorted by the
        # first column so a point lookup reads one row group.
        files = [str(parsed_cache_path(settings.cache_dir, s)) for s in members]
        listing = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        first = con.execute(f"SELECT * FROM read_parquet([{listing}]) LIMIT 0").description
        con.execute(
            f'CREATE TABLE "{table}" AS SELECT * FROM read_parquet([{listing}]) '
            f'ORDER BY "{first[0][0]}"'
        )
    return frames


def _carry_over_user_tables(con: duckdb.DuckDBPyConnection, previous: Path) -> None:
    """Keep the grants of a store built before grants moved to the community database (as
    ``legacy_*`` tables, only when they have rows), so a rebuild never loses them before they
    are moved (``leftbehind.community.grants.move_from_store``)."""
    if not previous.exists() or store_fingerprint(previous) is None:
        return
    con.execute(f"ATTACH '{previous}' AS previous (READ_ONLY)")
    try:
        present = {
            name
            for (name,) in con.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_catalog = 'previous'"
            ).fetchall()
        }
        for table in stages.LEGACY_GRANT_TABLES:
            for name in (stages.LEGACY_PREFIX + table, table):
                if (
                    name in present
                    and con.execute(f'SELECT count(*) FROM previous."{name}"').fetchall()[0][0]
                ):
                    con.execute(
                        f'CREATE TABLE "{stages.LEGACY_PREFIX}{table}" AS '
                        f'SELECT * FROM previous."{name}"'
                    )
                    break
    finally:
        con.execute("DETACH previous")


def build_store(
    settings: Settings, force: bool = False, progress: Progress | None = None
) -> BuildResult:
    """Build ``settings.store_path`` from the pinned sources, or do nothing if up to date.

    Raises :class:`~leftbehind.errors.StoreBusy` while another build runs on the same home and
    :class:`~leftbehind.store.housekeeping.DiskProblem` when the disk refuses a write."""
    home = settings.store_path.parent
    with housekeeping.disk_errors(home), housekeeping.build_lock(home):
        folders = [home] + ([] if settings.cache_dir.is_relative_to(home) else [settings.cache_dir])
        stale = housekeeping.remove_stale_temporaries(*folders)
        result = _build(settings, force, progress)
    return dataclasses.replace(result, stale=stale)


def _build(settings: Settings, force: bool, progress: Progress | None) -> BuildResult:
    started = time.perf_counter()
    report = progress or (lambda step, done, total: None)
    sources = load_registry()
    target = settings.store_path
    target.parent.mkdir(parents=True, exist_ok=True)

    paths = {}
    for i, source in enumerate(sources, start=1):
        paths[source.id] = _ensure_fetched(source, settings)
        report("verify", i, len(sources))

    wanted = fingerprint(sources)
    if not force and store_fingerprint(target) == wanted:
        return BuildResult(target, False, time.perf_counter() - started, -1)

    _parse_all(sources, paths, settings, report)

    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.unlink(missing_ok=True)
    try:
        con = duckdb.connect(str(tmp))
        try:
            frames = _load(con, sources, paths, settings, report)
            report("derive", 0, 3)
            derive.build_areas(con)
            report("derive", 1, 3)
            bounds = derive.boundaries_frame(
                frames,
                frames["lookup_lsoa11_ward17"],
                frames["cni2019_england_ward17"][["ward17_code", "ward17_name"]],
            )
            con.register("incoming", bounds)
            con.execute("CREATE TABLE boundaries AS SELECT * FROM incoming ORDER BY type, code")
            con.unregister("incoming")
            report("derive", 2, 3)
            docs.create_table_docs(con, sources)
            funcs = _stage_functions()
            for i, func in enumerate(funcs):
                # the long part of a build: each derived stage by name ('stages:<name>')
                report(f"stages:{func.__name__.removeprefix('build_')}", i, len(funcs))
                func(con)
                docs.add_table_docs(con, getattr(inspect.getmodule(func), "TABLE_DOCS", {}))
            report("stages:done", len(funcs), len(funcs))
            _carry_over_user_tables(con, target)
            report("derive", 3, 3)
            docs.document_remaining(con)
            con.execute("CREATE TABLE build_manifest (key VARCHAR, value VARCHAR)")
            con.executemany(
                "INSERT INTO build_manifest VALUES (?, ?)",
                [
                    ("fingerprint", wanted),
                    ("built_at", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())),
                ],
            )
            tables = con.execute(
                "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'main'"
            ).fetchone()[0]
            con.execute("CHECKPOINT")
        finally:
            con.close()
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
    return BuildResult(target, True, time.perf_counter() - started, tables)
