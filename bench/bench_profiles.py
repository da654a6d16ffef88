"""Benchmark: neighbourhood profiles (a script, not a timed test).

* cold: building the per-small-area numerators/denominators for an edition (once per process);
* warm: one profile (Becontree, E05000028) once the edition is cached; target <= 50 ms;
* all wards: profiles of all 7,433 wards of england-2019-ward (summaries included); target
  <= 30 s;
* compare: the group comparison table.

Median of several runs; appends a Markdown section to docs/performance.md with ``--write``.

    LEFTBEHIND_HOME=.test-home python bench/bench_profiles.py --runs 3 --write
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
from pathlib import Path

from leftbehind.profiles import values
from leftbehind.profiles.compare import compare
from leftbehind.profiles.profile import profile, profiles_for_type
from leftbehind.store.connection import connect

DOC = Path(__file__).resolve().parents[1] / "docs" / "performance.md"


def timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--write", action="store_true", help="append to docs/performance.md")
    args = parser.parse_args()
    con = connect()
    edition = "england-2019-ward"

    def cold() -> None:
        values.clear_cache()
        values.edition_data(con, edition)

    rows = [("cold: numerators/denominators, england-2019-ward", timed(cold, args.runs), None)]

    def cold23() -> None:
        values.clear_cache()
        values.edition_data(con, "england-2023-lsoa")

    rows.append(
        ("cold: numerators/denominators, england-2023-lsoa", timed(cold23, args.runs), None)
    )
    values.edition_data(con, edition)
    values.edition_data(con, "england-2023-lsoa")
    profile(con, "E05000028", edition)
    rows.append(
        (
            "warm: one profile (E05000028)",
            timed(lambda: profile(con, "E05000028", edition), 21),
            0.05,
        )
    )
    rows.append(
        (
            "warm: one profile by name ('Becontree')",
            timed(lambda: profile(con, "Becontree", edition), 21),
            0.05,
        )
    )
    rows.append(
        (
            "warm: local authority profile (E09000002)",
            timed(lambda: profile(con, "E09000002", edition), 11),
            0.05,
        )
    )
    count = len(values.edition_data(con, edition).units["ward17"].codes)
    rows.append(
        (
            f"all {count:,} ward profiles",
            timed(lambda: profiles_for_type(con, "ward17", edition), args.runs),
            30.0,
        )
    )
    rows.append(
        ("compare england-2019-ward (warm)", timed(lambda: compare(con, edition), args.runs), None)
    )
    lines = [
        "",
        "## Neighbourhood profiles (`bench/bench_profiles.py`)",
        "",
        f"Median of {args.runs} runs (21 for single profiles), store open read-only; "
        f"Python {platform.python_version()}. "
        "Targets: one warm profile <= 50 ms; all wards <= 30 s.",
        "",
        "| operation | median (s) | target (s) | target met |",
        "|---|---|---|---|",
    ]
    for name, seconds, target in rows:
        met = "" if target is None else ("yes" if seconds <= target else "no")
        lines.append(f"| {name} | {seconds:.4f} | {'' if target is None else target} | {met} |")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.write:
        with DOC.open("a", encoding="utf-8") as handle:
            handle.write(text)


if __name__ == "__main__":
    main()
