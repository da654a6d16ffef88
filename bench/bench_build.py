"""Benchmark: cold and warm ``leftbehind build`` (a script, not a timed test).

Cold = an empty LEFTBEHIND_HOME (fetch from the mirror, parse every file, load, derive).
Warm = a second build with nothing changed. Baseline measured in the same run: copying the
mirror's files (the I/O floor of a cold build). Median of several runs; peak RSS of each build
process. Results are printed as a Markdown section for docs/performance.md.

    python bench/bench_build.py --mirror ../shared/sources --runs 3
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed_build(home: Path, mirror: Path) -> tuple[float, float]:
    env = {**os.environ, "LEFTBEHIND_HOME": str(home), "LEFTBEHIND_MIRROR": str(mirror)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "leftbehind", "build"], env=env, check=True, capture_output=True
    )
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return seconds, max(peak, before) / 1024


def copy_floor(mirror: Path, dest: Path) -> float:
    start = time.perf_counter()
    for path in mirror.rglob("*.rda"):
        shutil.copyfile(path, dest / path.name)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mirror", type=Path, default=Path("../shared/sources"))
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cold, warm, floor, peaks = [], [], [], []
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as tmp:
            home = Path(tmp) / "home"
            copies = Path(tmp) / "copies"
            copies.mkdir()
            floor.append(copy_floor(args.mirror.resolve(), copies))
            seconds, peak = timed_build(home, args.mirror.resolve())
            cold.append(seconds)
            peaks.append(peak)
            warm.append(timed_build(home, args.mirror.resolve())[0])
    med = statistics.median
    print(
        f"### build ({platform.node()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, {args.runs} runs)\n"
    )
    print("| measure | median | runs | target |\n|---|---|---|---|")
    print(f"| cold build | {med(cold):.1f} s | {', '.join(f'{x:.1f}' for x in cold)} | <= 90 s |")
    print(
        f"| warm build (nothing changed) | {med(warm):.2f} s | "
        f"{', '.join(f'{x:.2f}' for x in warm)} | <= 2 s |"
    )
    print(
        f"| baseline: copy the mirror's files | {med(floor):.2f} s | "
        f"{', '.join(f'{x:.2f}' for x in floor)} | |"
    )
    print(f"| cold / baseline | {med(cold) / med(floor):.0f}x | | |")
    print(f"| peak RSS of a build (max over runs) | {max(peaks):.0f} MB | | <= 3 GB |")


if __name__ == "__main__":
    main()
