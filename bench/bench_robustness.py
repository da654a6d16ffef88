"""Benchmark: the uncertainty analysis at 10,000 draws against its floor, both editions.

The floor is two contiguous NumPy argsorts (``np.argsort(axis=1)`` on C-contiguous float32 rows,
one thread) of an (areas x draws) matrix: the least any ranking of two indices over every draw
can cost with NumPy's own sort. Each measurement runs in a fresh subprocess whose peak RSS is
read from ``os.wait4`` (the child's own rusage). Per run, for each edition: the floor, the
engine (``compute``: draws, ranks, streamed intervals, summary; store loading timed apart) and
the whole command ``leftbehind robustness --edition E --draws N --no-cache``; the ratio of each
run is taken against the floor of the same run, and the medians are reported.

    python bench/bench_robustness.py [--store PATH] [--draws 10000] [--runs 3] [--no-write]
        [--src DIR]   # PYTHONPATH of the engine under test (e.g. an older checkout)
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
EDITIONS = {"england-2019-ward": 7433, "england-2023-lsoa": 33755}
SECTION = "## Robustness: near its floor"

FLOOR = r"""
import json, sys, time
import numpy as np
areas, draws = int(sys.argv[1]), int(sys.argv[2])
rng = np.random.default_rng(0)
block, total = 512, 0.0
for _ in range(2):  # two rankings (CNI and IMD)
    for start in range(0, draws, block):
        x = rng.random((min(block, draws - start), areas), dtype=np.float32)
        t = time.perf_counter()
        np.argsort(x, axis=1)
        total += time.perf_counter() - t
print(json.dumps({"seconds": total}))
"""

ENGINE = r"""
import json, sys, time
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
print(json.dumps({"load": t1 - t0, "seconds": t2 - t1,
                  "classes": result.summary["classes"],
                  "classes_of_nominal": result.summary["classes_of_nominal"],
                  "expected": result.summary["expected_count"]}))
"""


def measure(argv: list[str], env: dict[str, str]) -> dict:
    """Run ``argv``; its JSON line (if any), wall seconds and peak RSS (MB) from wait4."""
    with tempfile.TemporaryFile() as out:
        t = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=subprocess.PIPE, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t
        proc.returncode = os.waitstatus_to_exitcode(status)
        err = proc.stderr.read().decode() if proc.stderr else ""
        if proc.returncode != 0:
            raise RuntimeError(f"{argv[:3]} failed ({proc.returncode}): {err[-2000:]}")
        out.seek(0)
        lines = out.read().decode().strip().splitlines()
    data: dict = {}
    if lines and lines[-1].startswith("{"):
        data = json.loads(lines[-1])
    data["wall"] = wall
    data["peak_rss_mb"] = usage.ru_maxrss / 1024  # kB on Linux
    return data


def load_average() -> str:
    try:
        return " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--store", type=Path, default=REPO / ".test-home" / "leftbehind.duckdb")
    parser.add_argument("--draws", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--editions", default=",".join(EDITIONS))
    parser.add_argument("--src", type=Path, default=REPO / "src")
    parser.add_argument("--no-cli", action="store_true", help="skip the whole-command runs")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the raw runs here")
    parser.add_argument(
        "--from-json", type=Path, help="report runs saved with --json instead of measuring"
    )
    parser.add_argument("--note", default="", help="a sentence appended to the section")
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(args.src.resolve())}
    cli_env = {**env, "LEFTBEHIND_HOME": str(args.store.resolve().parent)}
    leftbehind = [sys.executable, "-c", "from leftbehind.cli.main import app; app()"]
    editions = args.editions.split(",")
    loads = [load_average()]
    runs: dict[str, list[dict]] = {e: [] for e in editions}
    if args.from_json:
        saved = json.loads(args.from_json.read_text(encoding="utf-8"))
        runs, loads = saved["runs"], saved["loads"]
        args.runs = len(next(iter(runs.values())))
    for i in range(0 if args.from_json else args.runs):
        for edition in editions:
            n = EDITIONS[edition]
            floor = measure([sys.executable, "-c", FLOOR, str(n), str(args.draws)], env)
            engine = measure(
                [sys.executable, "-c", ENGINE, str(args.store), edition, str(args.draws)], env
            )
            row = {"floor": floor, "engine": engine}
            if not args.no_cli:
                with tempfile.TemporaryDirectory() as tmp:
                    row["cli"] = measure(
                        [
                            *leftbehind,
                            "robustness",
                            "--edition",
                            edition,
                            "--draws",
                            str(args.draws),
                            "--no-cache",
                            "-o",
                            str(Path(tmp) / "out.csv"),
                        ],
                        cli_env,
                    )
            runs[edition].append(row)
            cli = f", command {row['cli']['wall']:.1f} s" if "cli" in row else ""
            print(
                f"run {i + 1} {edition}: floor {floor['seconds']:.2f} s, engine "
                f"{engine['seconds']:.2f} s ({engine['seconds'] / floor['seconds']:.2f}x), peak "
                f"{engine['peak_rss_mb']:.0f} MB{cli}",
                flush=True,
            )
        loads.append(load_average())
    if args.json:
        saved = {"runs": runs, "loads": loads}
        args.json.write_text(json.dumps(saved, indent=1), encoding="utf-8")

    def med(values: list[float]) -> float:
        return statistics.median(values)

    table = [
        "| edition | areas | floor: two argsorts (s) | engine (s) | engine / floor | "
        "peak RSS, engine (MB) | whole command (s) | command / floor | peak RSS, command (MB) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for edition in editions:
        rows = runs[edition]
        floor = [r["floor"]["seconds"] for r in rows]
        eng = [r["engine"]["seconds"] for r in rows]
        ratio = [r["engine"]["seconds"] / r["floor"]["seconds"] for r in rows]
        peak = max(r["engine"]["peak_rss_mb"] for r in rows)
        if "cli" in rows[0]:
            cli = [r["cli"]["wall"] for r in rows]
            cli_ratio = [r["cli"]["wall"] / r["floor"]["seconds"] for r in rows]
            cli_peak = max(r["cli"]["peak_rss_mb"] for r in rows)
            cli_cells = f"{med(cli):.2f} | {med(cli_ratio):.2f}x | {cli_peak:.0f}"
        else:
            cli_cells = "- | - | -"
        table.append(
            f"| {edition} | {EDITIONS[edition]:,} | {med(floor):.2f} | {med(eng):.2f} | "
            f"{med(ratio):.2f}x | {peak:.0f} | {cli_cells} |"
        )
        notes.append(
            f"- {edition}: runs (engine / floor) "
            + ", ".join(f"{e:.2f} / {f:.2f} s" for e, f in zip(eng, floor, strict=True))
            + f"; classes {rows[0]['engine']['classes']}"
        )
    print("\n".join(table))
    section = [
        f"{SECTION} ({args.draws:,} draws, {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())})",
        "",
        f"`python bench/bench_robustness.py` on {platform.machine()}, {os.cpu_count()} cores "
        f"shared with other engineers' jobs (load average before/after the runs: "
        f"{'; '.join(loads)}), Python {platform.python_version()}; median of {args.runs} runs, "
        "each measurement in a fresh process (peak RSS from `wait4`). Floor: two "
        "`np.argsort(axis=1)` of a C-contiguous (draws x areas) float32 matrix on one thread, "
        "measured in the same run; ratios are taken per run. Engine: `compute` (draws, ranks, "
        "streamed intervals, summary; reading the store excluded). Whole command: "
        f"`leftbehind robustness --edition E --draws {args.draws} --no-cache -o FILE` (start-up, "
        "store, engine, CSV). Targets: <= 1.5x the floor, peak <= 700 MB.",
        "",
        *table,
        "",
        *notes,
        "",
        *([args.note, ""] if args.note else []),
    ]
    if not args.no_write:
        perf = REPO / "docs" / "performance.md"
        text = perf.read_text(encoding="utf-8")
        new = "\n".join(section)
        pattern = re.compile(r"^## Robustness[^\n]*\n.*?(?=^## |\Z)", re.S | re.M)
        if pattern.search(text):
            text = pattern.sub(lambda _: new + "\n", text, count=1)
        else:
            text = text.rstrip("\n") + "\n\n" + new
        perf.write_text(text, encoding="utf-8")
        print(f"wrote the robustness section of {perf}")


if __name__ == "__main__":
    main()
