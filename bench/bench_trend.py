"""Benchmark: what the harmonised IMD series costs a cold build, and one area's trend (warm).

Build: parsing the four files the series adopts (IMD 2004, 2007, 2010 on 2001 LSOAs and the
2001 -> 2011 LSOA lookup) with an empty cache, loading them, the stage
``trend.series:build_series`` and the futures views of ``observatory.trend:build_trend_views``;
then the same for the outcomes (six files, ``trend.outcomes:build_outcomes``, the outcomes
views), on a writable copy of the store. Baseline in the same run: the existing identification
stage on the same copy.
Lookup: ``Trends.area`` for random wards and 2021 LSOAs (seeded) after one warm-up call;
baseline in the same run: ``Observatory.area`` (the in-memory identification record).
Median of several runs. Targets (issue 14): <= 20 s added to a cold build; one area's trend
<= 10 ms warm.

    python bench/bench_trend.py --home /tmp/th-D --mirror ../shared/sources --runs 3
"""

from __future__ import annotations

import argparse
import platform
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path

NEW_SOURCES = [
    "imd2004_england_lsoa01", "imd2007_england_lsoa01", "imd2010_england_lsoa01",
    "lookup_lsoa01_lsoa11",
]  # fmt: skip
OUTCOME_SOURCES = [
    "loneliness_england_lsoa21", "loneliness_wales_lsoa21", "loneliness_scotland_dz11",
    "loneliness_northern_ireland_sdz21", "health_index_england_ltla21",
    "health_index_england_ltla21_subdomains",
]  # fmt: skip


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def _parse_and_load(con, sids: list[str], mirror: Path, cache: Path) -> tuple[float, float]:
    from leftbehind.sources.readers import read_source
    from leftbehind.sources.registry import source_by_id

    t = time.perf_counter()
    frames = {}
    for sid in sids:
        source = source_by_id(sid)
        frames[sid] = read_source(source, mirror / source.mirror_path, cache)
    parse = time.perf_counter() - t
    t = time.perf_counter()
    for sid, frame in frames.items():
        con.register("frame", frame)
        con.execute(f"CREATE OR REPLACE TABLE {sid} AS SELECT * FROM frame").fetchall()
        con.unregister("frame")
    return parse, time.perf_counter() - t


def build_costs(store: Path, mirror: Path) -> dict[str, float]:
    import duckdb

    from leftbehind.editions import EDITIONS
    from leftbehind.identify import build_identification
    from leftbehind.observatory import views
    from leftbehind.observatory.payload import Payload
    from leftbehind.observatory.trend import edition_trend_views, outcomes_document
    from leftbehind.trend.futures import settings
    from leftbehind.trend.outcomes import build_outcomes
    from leftbehind.trend.series import build_series

    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "store.duckdb"
        shutil.copy(store, copy)
        cache = Path(tmp) / "cache"
        cache.mkdir()
        con = duckdb.connect(str(copy))
        out["series: parse 4 files"], out["series: load"] = _parse_and_load(
            con, NEW_SOURCES, mirror, cache
        )
        t = time.perf_counter()
        build_series(con)
        out["series: stage build_series"] = time.perf_counter() - t
        t = time.perf_counter()
        for edition, geography in settings().memberships.items():
            views._store(con, edition, edition_trend_views(con, edition, geography))
        out["series: futures views (3 editions)"] = time.perf_counter() - t
        out["outcomes: parse 6 files"], out["outcomes: load"] = _parse_and_load(
            con, OUTCOME_SOURCES, mirror, cache
        )
        t = time.perf_counter()
        build_outcomes(con)
        for edition in EDITIONS:
            views._store(con, edition, {"outcomes": Payload.json(outcomes_document(con, edition))})
        out["outcomes: stage and views"] = time.perf_counter() - t
        t = time.perf_counter()
        build_identification(con)
        out["baseline: identification stage"] = time.perf_counter() - t
        con.close()
    out["series: added to a cold build"] = sum(v for k, v in out.items() if k.startswith("series"))
    out["outcomes: added to a cold build"] = sum(
        v for k, v in out.items() if k.startswith("outcomes")
    )
    return out


def lookups(store: Path, n: int, seed: int) -> dict[str, list[float]]:
    import duckdb

    from leftbehind.observatory import Observatory

    con = duckdb.connect(str(store), read_only=True)
    wards = [
        r[0]
        for r in con.execute(
            "SELECT code FROM identification WHERE edition = 'england-2019-ward'"
        ).fetchall()
    ]
    lsoas = [
        r[0]
        for r in con.execute(
            "SELECT code FROM identification WHERE edition = 'england-2023-lsoa'"
        ).fetchall()
    ]
    con.close()  # fmt: skip
    rng = random.Random(seed)
    sample = [("england-2019-ward", c) for c in rng.sample(wards, n // 2)] + [
        ("england-2023-lsoa", c) for c in rng.sample(lsoas, n - n // 2)
    ]
    obs = Observatory(store, "england-2019-ward")
    t = time.perf_counter()
    obs.trends.area("england-2019-ward", "E05000028")
    obs.trends.area("england-2023-lsoa", lsoas[0])
    first = time.perf_counter() - t
    times: dict[str, list[float]] = {"baseline: Observatory.area": [], "Trends.area": []}
    for eid, code in sample:
        t = time.perf_counter()
        obs.area(eid, code)
        times["baseline: Observatory.area"].append(time.perf_counter() - t)
        t = time.perf_counter()
        obs.trends.area(eid, code)
        times["Trends.area"].append(time.perf_counter() - t)
    obs.close()
    times["first call (loads the series)"] = [first]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True)
    parser.add_argument("--mirror", type=Path, required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lookups", type=int, default=500)
    args = parser.parse_args()
    store = args.home / "leftbehind.duckdb"
    print(f"{platform.machine()}, Python {platform.python_version()}, {args.runs} runs")
    builds = [build_costs(store, args.mirror) for _ in range(args.runs)]
    print("\n| build cost | median (s) | runs (s) | target |\n|---|---|---|---|")
    for key in builds[0]:
        runs = [b[key] for b in builds]
        target = "<= 20 s" if key == "series: added to a cold build" else ""
        print(
            f"| {key} | {statistics.median(runs):.2f} | "
            f"{', '.join(f'{r:.2f}' for r in runs)} | {target} |"
        )
    results = [lookups(store, args.lookups, seed) for seed in range(args.runs)]
    print("\n| lookup (warm) | median p50 (ms) | median p95 (ms) | p95 per run | target |")
    print("|---|---|---|---|---|")
    for key in results[0]:
        p50 = [percentile(r[key], 0.5) * 1000 for r in results]
        p95 = [percentile(r[key], 0.95) * 1000 for r in results]
        target = "<= 10 ms" if key == "Trends.area" else ""
        print(
            f"| {key} | {statistics.median(p50):.3f} | {statistics.median(p95):.3f} | "
            f"{', '.join(f'{x:.3f}' for x in p95)} | {target} |"
        )


if __name__ == "__main__":
    main()
