"""Benchmark: 10,000 draws of the uncertainty analysis over 7,433 wards (target <= 30 s,
peak memory <= 2 GB on a 2-core machine).

Each run is a fresh subprocess (so its peak RSS is its own); the median wall time of the runs is
reported and a section appended to docs/performance.md.

    python bench/bench_robustness.py [--store PATH] [--draws 10000] [--runs 3] [--no-write]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
import duckdb
from leftbehind.robustness.inputs import load_inputs
from leftbehind.robustness.results import compute
store, edition, draws = sys.argv[1], sys.argv[2], int(sys.argv[3])
con = duckdb.connect(store, read_only=True)
t0 = time.perf_counter()
inputs = load_inputs(con, edition)
t1 = time.perf_counter()
result = compute(inputs, draws=draws, seed=2023)
t2 = time.perf_counter()
print(json.dumps({"load": t1 - t0, "compute": t2 - t1,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "classes": result.summary["classes_of_nominal"],
                  "expected": result.summary["expected_count"]}))
"""


def run_once(store: Path, edition: str, draws: int) -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(store), edition, str(draws)],
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", type=Path, default=REPO / ".test-home" / "leftbehind.duckdb")
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--editions", default="england-2019-ward,england-2023-lsoa")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    lines = [
        "",
        f"## Robustness: {args.draws:,} draws ({time.strftime('%Y-%m-%d')})",
        "",
        f"`python bench/bench_robustness.py` on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; median of {args.runs} runs, each in a fresh "
        "process (load = reading the store; compute = draws, ranks, quantiles, summary). "
        "Target for the wards: <= 30 s, peak memory <= 2 GB.",
        "",
        "| edition | draws | load (s) | compute, median (s) | runs (s) | peak RSS (MB) |",
        "|---|---|---|---|---|---|",
    ]
    for edition in args.editions.split(","):
        runs = [run_once(args.store, edition, args.draws) for _ in range(args.runs)]
        times = [r["compute"] for r in runs]
        row = (
            f"| {edition} | {args.draws:,} | {statistics.median(r['load'] for r in runs):.2f} | "
            f"{statistics.median(times):.2f} | {', '.join(f'{t:.2f}' for t in times)} | "
            f"{max(r['peak_rss_mb'] for r in runs):.0f} |"
        )
        print(row, flush=True)
        print(
            f"   classes of the nominal list: {runs[0]['classes']}, expected count "
            f"{runs[0]['expected']:.1f}",
            flush=True,
        )
        lines.append(row)
    lines.append("")
    if not args.no_write:
        perf = REPO / "docs" / "performance.md"
        text = perf.read_text(encoding="utf-8") if perf.exists() else "# Performance\n"
        perf.write_text(text.rstrip("\n") + "\n" + "\n".join(lines), encoding="utf-8")
        print(f"appended to {perf}")


if __name__ == "__main__":
    main()
