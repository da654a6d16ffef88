"""Benchmark: what the asset map costs the build, and the asset API's latency (warm).

Build: the assets stage (``leftbehind.assets.stage.build_assets``: read the six sources' tables,
place 13,000 assets by postcode or point, the per-edition areas and the library changes) run on
a copy of a built store; baseline in the same run: the places stage (``build_places``) on the
same copy, which the assets stage builds on. Median of several runs.

API: in-process ``TestClient`` requests (after one warm-up each) to the map data of one local
authority, one area's assets, the national library layer and the CSV of one local authority;
baseline in the same run: ``/api/areas/E05000028`` (a prepared view). Median and 95th
percentile of N requests each.

    python bench/bench_assets.py --home /tmp/th-C --runs 3 --requests 30 --write-doc
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from docsection import REPO, replace_section

START, END = "<!-- bench_assets:start -->", "<!-- bench_assets:end -->"
ENDPOINTS = {
    "baseline: /api/areas/E05000028": "/api/areas/E05000028",
    "/api/assets.geojson?local_authority=E09000002&category=library": (
        "/api/assets.geojson?local_authority=E09000002&category=library"
    ),
    "/api/areas/E05000028/assets": "/api/areas/E05000028/assets",
    "/api/assets.geojson?category=library (England, Wales, Scotland, NI)": (
        "/api/assets.geojson?category=library"
    ),
    "/api/assets.csv?local_authority=E09000002": "/api/assets.csv?local_authority=E09000002",
}


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def build_cost(store: Path, runs: int) -> dict[str, float]:
    import duckdb

    from leftbehind.assets.stage import build_assets
    from leftbehind.places.stage import build_places

    times: dict[str, list[float]] = {"places": [], "assets": []}
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "copy.duckdb"
        shutil.copyfile(store, copy)
        con = duckdb.connect(str(copy))
        try:
            for _ in range(runs):
                start = time.perf_counter()
                build_places(con)
                times["places"].append(time.perf_counter() - start)
                start = time.perf_counter()
                build_assets(con)
                times["assets"].append(time.perf_counter() - start)
        finally:
            con.close()
    return {k: statistics.median(v) for k, v in times.items()}


def latency(home: Path, n: int) -> dict[str, tuple[float, float, int]]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient

    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'community.sqlite3'}"
        from leftbehind.community.schema import upgrade

        upgrade(url)
        app = create_app(fresh_settings(home=home, edition="england-2019-ward", database_url=url))
        out: dict[str, tuple[float, float, int]] = {}
        with TestClient(app) as client:
            for label, path in ENDPOINTS.items():
                first = client.get(path)
                assert first.status_code == 200, (path, first.status_code)
                times = []
                for _ in range(n):
                    start = time.perf_counter()
                    r = client.get(path)
                    times.append(time.perf_counter() - start)
                    assert r.status_code == 200
                out[label] = (statistics.median(times), percentile(times, 0.95), len(r.content))
        app.state.community.dispose()
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, default=Path(os.environ.get("LEFTBEHIND_HOME", ".")))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--write-doc", action="store_true")
    args = parser.parse_args()
    store = args.home / "leftbehind.duckdb"
    build = build_cost(store, args.runs)
    api = latency(args.home, args.requests)
    base = api["baseline: /api/areas/E05000028"][0]
    lines = [
        START,
        "## The asset map (issue 13)",
        "",
        f"Measured by `bench/bench_assets.py` on {platform.machine()} "
        f"({os.cpu_count()} cores, shared with other work), Python {platform.python_version()}; "
        f"median of {args.runs} runs (build) and of {args.requests} warm requests (API).",
        "",
        "| build stage | seconds | ratio to the places stage |",
        "|---|---:|---:|",
        f"| places stage (baseline, same run) | {build['places']:.2f} | 1.00 |",
        f"| assets stage (13,000 assets placed, areas, library changes) | {build['assets']:.2f} "
        f"| {build['assets'] / build['places']:.2f} |",
        "",
        "| request | median ms | p95 ms | bytes | ratio to baseline |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, (median, p95, size) in api.items():
        lines.append(
            f"| `{label}` | {1e3 * median:.1f} | {1e3 * p95:.1f} | {size:,} | {median / base:.1f} |"
        )
    lines += [
        "",
        "Map data and lists are read from the store per request (small indexed queries) and "
        "merged with the published community additions, which may change at any time; the "
        "responses carry ETags (`If-None-Match` gives 304).",
        END,
    ]
    section = "\n".join(lines)
    print(section)
    if args.write_doc:
        replace_section(REPO / "docs" / "performance.md", START, END, section)


if __name__ == "__main__":
    main()
