"""Benchmark: postcode lookup latency (warm) and what the postcode lookup costs the build.

Lookup: ``Observatory.postcode`` for random postcodes of the store (seeded), after one warm-up
call; baseline in the same run: the bare DuckDB point query on ``postcodes24`` (the floor).
Search: ``Observatory.find`` with a postcode and with a ward name of today.
Build: parsing the 127 pinned files with an empty cache (two workers, as the build does),
loading them into one table, the places stage (crosswalks, today's wards), and the size of a
store holding only the new tables. Baseline: copying the 127 files. Median of several runs.

    python bench/bench_postcodes.py --home /tmp/wt11-home --mirror ../shared/sources --runs 3
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

NEW_TABLES = [
    "postcodes24", "postcode_names24", "place_crosswalk", "today_wards", "ward_codes_2016_2026",
]  # fmt: skip


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def lookups(store: Path, n: int, seed: int) -> dict[str, list[float]]:
    import duckdb

    from leftbehind.observatory import Observatory

    con = duckdb.connect(str(store), read_only=True)
    keys = [
        k for (k,) in con.execute(
            f"SELECT postcode_key FROM postcodes24 USING SAMPLE reservoir({int(n)} ROWS) "
            f"REPEATABLE ({int(seed)})"
        ).fetchall()
    ]  # fmt: skip
    texts = [f"{k[:-3]} {k[-3:]}".lower() for k in keys]
    obs = Observatory(store, "england-2019-ward")
    obs.postcode("RM9 4UN")  # warm: names and editions loaded
    obs.find(None, "Barking Riverside")
    out: dict[str, list[float]] = {k: [] for k in ("floor", "postcode", "find_postcode")}
    out["find_ward"] = []
    for key, text in zip(keys, texts, strict=True):
        start = time.perf_counter()
        con.execute("SELECT * FROM postcodes24 WHERE postcode_key = ?", [key]).fetchall()
        out["floor"].append(time.perf_counter() - start)
        start = time.perf_counter()
        obs.postcode(text)
        out["postcode"].append(time.perf_counter() - start)
        start = time.perf_counter()
        obs.find(None, text)
        out["find_postcode"].append(time.perf_counter() - start)
    names = ["Barking Riverside", "Northbury", "West Clacton & Jaywick Sands", "Becontree"]
    for name in names * 25:
        start = time.perf_counter()
        obs.find(None, name)
        out["find_ward"].append(time.perf_counter() - start)
    obs.close()
    con.close()
    return out


def _parse(args: tuple) -> None:
    from leftbehind.sources.readers import read_source

    source, path, cache = args
    read_source(source, path, cache)


def build_cost(store: Path, mirror: Path) -> dict[str, float]:
    import duckdb

    from leftbehind.places.stage import build_places
    from leftbehind.sources.readers import parsed_cache_path
    from leftbehind.sources.registry import load_registry

    sources = [s for s in load_registry() if s.table in ("postcodes24", "postcode_names24")]
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        copies = tmp_path / "copies"
        copies.mkdir()
        start = time.perf_counter()
        for s in sources:
            shutil.copyfile(mirror / s.mirror_path, copies / f"{s.id}.json")
        out["copy"] = time.perf_counter() - start
        cache = tmp_path / "cache"
        largest_first = sorted(sources, key=lambda s: -s.bytes)
        jobs = [(s, copies / f"{s.id}.json", cache) for s in largest_first]
        start = time.perf_counter()
        with ProcessPoolExecutor(max_workers=max(1, min(2, os.cpu_count() or 1))) as pool:
            list(pool.map(_parse, jobs))
        out["parse"] = time.perf_counter() - start
        files = ", ".join(
            f"'{parsed_cache_path(cache, s)}'" for s in sources if s.table == "postcodes24"
        )
        only = tmp_path / "only.duckdb"
        con = duckdb.connect(str(only))
        start = time.perf_counter()
        con.execute(
            f"CREATE TABLE postcodes24 AS SELECT * FROM read_parquet([{files}]) "
            "ORDER BY postcode_key"
        )
        out["load"] = time.perf_counter() - start
        con.execute(f"ATTACH '{store}' AS s (READ_ONLY)")
        for table in NEW_TABLES[1:]:
            con.execute(f"CREATE TABLE {table} AS SELECT * FROM s.{table}")
        con.execute("DETACH s")
        con.execute("CHECKPOINT")
        con.close()
        out["size_mb"] = only.stat().st_size / 1e6
        copy = tmp_path / "store.duckdb"
        shutil.copyfile(store, copy)
        con = duckdb.connect(str(copy))
        start = time.perf_counter()
        build_places(con)
        out["stage"] = time.perf_counter() - start
        con.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("LEFTBEHIND_HOME", ".")))
    parser.add_argument("--mirror", type=Path, default=Path("../shared/sources"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lookups", type=int, default=500)
    args = parser.parse_args()
    store = (args.home / "leftbehind.duckdb").resolve()
    med = statistics.median
    p50s: dict[str, list[float]] = {}
    p95s: dict[str, list[float]] = {}
    costs: list[dict[str, float]] = []
    for run in range(args.runs):
        times = lookups(store, args.lookups, seed=run + 1)
        for name, values in times.items():
            p50s.setdefault(name, []).append(percentile(values, 0.5) * 1000)
            p95s.setdefault(name, []).append(percentile(values, 0.95) * 1000)
        costs.append(build_cost(store, args.mirror.resolve()))
    print(
        f"### postcodes ({platform.node()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {args.runs} runs of {args.lookups} lookups)\n"
    )
    print("| measure | median p50 | median p95 | p95 of each run | target |")
    print("|---|---|---|---|---|")
    labels = {
        "floor": "baseline: DuckDB point query on postcodes24",
        "postcode": "Observatory.postcode (warm)",
        "find_postcode": "Observatory.find, a postcode (search box)",
        "find_ward": "Observatory.find, a ward name of today",
    }
    for name, label in labels.items():
        target = "<= 20 ms" if name == "postcode" else ""
        runs = ", ".join(f"{x:.1f}" for x in p95s[name])
        print(
            f"| {label} | {med(p50s[name]):.1f} ms | {med(p95s[name]):.1f} ms | {runs} | {target} |"
        )
    print("\n| build cost of the postcode lookup | median | runs | target |\n|---|---|---|---|")
    rows = [
        ("baseline: copy the 127 files", "copy", "s", ""),
        ("parse the 127 files (empty cache, 2 workers)", "parse", "s", ""),
        ("load into one sorted table", "load", "s", ""),
        ("places stage (crosswalks, today's wards)", "stage", "s", ""),
        ("store size of the new tables", "size_mb", "MB", "<= 150 MB"),
    ]
    for label, key, unit, target in rows:
        values = [c[key] for c in costs]
        print(
            f"| {label} | {med(values):.1f} {unit} | {', '.join(f'{v:.1f}' for v in values)} "
            f"| {target} |"
        )
    total = [c["parse"] + c["load"] + c["stage"] for c in costs]
    print(f"| added to a cold build (parse + load + stage) | {med(total):.1f} s | "
          f"{', '.join(f'{v:.1f}' for v in total)} | <= 30 s |")  # fmt: skip


if __name__ == "__main__":
    main()
