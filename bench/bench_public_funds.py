"""Public funds and the need-following allocation: build-time cost and request cost.

Run: python bench/bench_public_funds.py [--store PATH] [--write-docs]. Median of 5 runs each:

* the build stage ``funding.public:build_public_funds`` on a scratch copy of the store, against
  a baseline measured in the same run: reading its input tables into pandas;
* one allocation request (``observatory.funding.allocate_frame``: the allocation, its JSON, the
  sensitivity table and the scenario) for 'left behind' wards and for 'left behind' and other
  deprived 2021 LSOAs, against the allocation alone (``allocate`` + ``to_json``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO / "bench"))

import duckdb  # noqa: E402
from docsection import replace_section  # noqa: E402

from leftbehind.funding import allocate as al  # noqa: E402
from leftbehind.funding import public as pf  # noqa: E402
from leftbehind.funding.request import AllocationRequest  # noqa: E402
from leftbehind.observatory.funding import allocate_frame  # noqa: E402

RUNS = 5
INPUTS = [
    "lookup_ltla_ltla", "population21_lsoa21", "lookup_lsoa21_ward24_ltla24", "population21_iz11",
    "lookup_dz11_iz11_ltla20", "households21_ltla21", "levelling_up_fund_round1",
    "levelling_up_fund_round2", "core_spending_power_2012_2021", "lookup_ltla19_utla19",
    "identification",
]  # fmt: skip


def median(fn) -> tuple[float, list[float]]:
    times = []
    for _ in range(RUNS):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), times


def main() -> None:
    parser = argparse.ArgumentParser()
    home = Path(os.environ.get("LEFTBEHIND_TEST_HOME", REPO / ".test-home"))
    default = home / "leftbehind.duckdb"
    parser.add_argument("--store", type=Path, default=default)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        scratch = Path(tmp) / "store.duckdb"
        shutil.copyfile(args.store, scratch)
        con = duckdb.connect(str(scratch))
        stage, stage_runs = median(lambda: pf.build_public_funds(con))
        base, _ = median(lambda: [con.execute(f"SELECT * FROM {t}").df() for t in INPUTS])
        rows.append(("build stage build_public_funds", stage, stage_runs,
                     "read its 11 input tables", base))  # fmt: skip
        for edition, other in (("england-2019-ward", False), ("england-2023-lsoa", True)):
            areas = al.edition_areas(con, edition)
            request = AllocationRequest.parse(
                budget="£2,000,000", edition=edition, include_other_deprived=other
            )
            full, full_runs = median(lambda a=areas, r=request: allocate_frame(a, r))
            bare, _ = median(lambda a=areas, r=request: al.to_json(al.allocate(a, r.params())))
            n = int(areas["group"].isin(request.params().groups).sum())
            rows.append((f"allocation request, {edition}, {n:,} funded areas x 10 years "
                         "(with sensitivity and scenario)", full, full_runs,
                         "the allocation and its JSON alone", bare))  # fmt: skip
        con.close()
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "<!-- public-funds:start -->",
        f"## Public funds and the need-following allocation (`bench/bench_public_funds.py`, "
        f"{stamp})",
        "",
        f"Median of {RUNS} runs, 2 cores, Python {sys.version.split()[0]}.",
        "",
        "| measure | median (s) | runs (s) | baseline | baseline (s) | ratio |",
        "|---|---|---|---|---|---|",
    ]
    for name, value, runs, base_name, base_value in rows:
        lines.append(
            f"| {name} | {value:.3f} | {', '.join(f'{r:.3f}' for r in runs)} | {base_name} | "
            f"{base_value:.3f} | {value / base_value:.1f}x |"
        )
    lines += ["<!-- public-funds:end -->", ""]
    text = "\n".join(lines)
    print(text)
    if args.write_docs:
        replace_section(REPO / "docs" / "performance.md", "<!-- public-funds:start -->",
                        "<!-- public-funds:end -->", text)  # fmt: skip


if __name__ == "__main__":
    main()
