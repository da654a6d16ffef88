"""Benchmark: warm ``identify`` and ``aggregate`` (a script, not a timed test).

Warm = the store is open and the OS cache is hot (one untimed call first). Each figure is the
median of several runs. Baseline measured in the same run: reading the edition's CNI table
(the floor any identification pays). Prints a Markdown section; ``--write`` replaces the
section in docs/performance.md (or appends it).

    python bench/bench_identify.py --store .test-home/leftbehind.duckdb --runs 7 --write
"""

from __future__ import annotations

import argparse
import platform
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from leftbehind.editions import EDITIONS
from leftbehind.identify import identify
from leftbehind.indices.aggregate import aggregate

HEADING = "## Identification and aggregation (`bench/bench_identify.py`)"
TARGET = 1.0


def median_seconds(func: Callable[[], object], runs: int) -> float:
    func()  # warm-up
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--store", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="update docs/performance.md")
    args = parser.parse_args()
    if args.store is None:
        from leftbehind.settings import get_settings

        args.store = get_settings().store_path
    con = duckdb.connect(str(args.store), read_only=True)
    rows = []
    for ed in EDITIONS.values():
        table = re.search(r"FROM (cni\w+)", ed.areas_sql).group(1)
        base = median_seconds(lambda t=table: con.execute(f"SELECT * FROM {t}").df(), args.runs)
        sec = median_seconds(lambda e=ed.id: identify(con, e), args.runs)
        rows.append((f"identify {ed.id}", sec, base))
    for index, to in [("imd-2019", "ltla19"), ("imd-2019", "ward17"), ("imd-2025", "ltla24")]:
        sec = median_seconds(lambda i=index, g=to: aggregate(con, i, g), args.runs)
        rows.append((f"aggregate {index} -> {to}", sec, None))
    con.close()

    lines = [
        HEADING,
        "",
        f"Median of {args.runs} warm runs (after one untimed call), store open read-only; "
        f"Python {platform.python_version()}. Target: <= {TARGET:.0f} s each. Baseline: "
        "reading the edition's CNI table into pandas.",
        "",
        "| operation | median (s) | baseline (s) | ratio | target met |",
        "|---|---|---|---|---|",
    ]
    for name, sec, base in rows:
        ratio = f"{sec / base:.1f}x" if base else ""
        base_txt = f"{base:.3f}" if base else ""
        lines.append(
            f"| {name} | {sec:.3f} | {base_txt} | {ratio} | {'yes' if sec <= TARGET else 'NO'} |"
        )
    section = "\n".join(lines) + "\n"
    print(section)
    if args.write:
        path = Path(__file__).resolve().parents[1] / "docs" / "performance.md"
        text = path.read_text(encoding="utf-8")
        if HEADING in text:
            start = text.index(HEADING)
            nxt = text.find("\n## ", start + len(HEADING))
            text = text[:start] + section + (text[nxt + 1 :] if nxt != -1 else "")
        else:
            text = text.rstrip("\n") + "\n\n" + section
        path.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    main()
