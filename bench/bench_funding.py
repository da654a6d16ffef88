"""Funding benchmarks: sample import, allocation over all LSOAs, bidding draws over wards.

Run: python bench/bench_funding.py [--write-docs]. Median of several runs; targets: import of all
samples <= 10 s, allocation over 33,755 LSOAs x 15 years <= 1 s, 1,000 bidding draws over 7,433
wards <= 5 s. Synthetic areas of the real sizes are used so no store is needed for the last two.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from leftbehind.funding.allocate import allocate, make_params
from leftbehind.funding.bidding import make_bidding_params, simulate
from leftbehind.funding.grants_store import import_grants

REPO = Path(__file__).resolve().parents[1]
SAMPLES = REPO.parent / "shared" / "samples"
STORE = REPO / ".test-home" / "leftbehind.duckdb"


def median_time(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def areas(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "code": [f"E01{i:06d}" for i in range(n)],
            "name": [f"Area {i}" for i in range(n)],
            "group": rng.choice(["left_behind", "other_deprived", "rest"], n, p=[0.3, 0.3, 0.4]),
            "population": rng.integers(1000, 3000, n),
            "cni_rank": rng.permutation(n) + 1,
            "imd_rank": rng.permutation(n) + 1,
            "civic_assets_rank": rng.permutation(n) + 1,
            "engaged_community_rank": rng.permutation(n) + 1,
        }
    )


def bench_import(runs: int = 3) -> float | None:
    if not (SAMPLES / "grants").exists():
        return None
    files = sorted((SAMPLES / "grants").iterdir())
    lookup = SAMPLES / "postcodes" / "nspl-2024-08-derived.csv.gz"

    def once():
        from leftbehind.community import Community
        from leftbehind.community.schema import upgrade

        with tempfile.TemporaryDirectory() as tmp:
            # grants go to a fresh community database; the store is only read
            url = f"sqlite:///{Path(tmp) / 'community.sqlite3'}"
            upgrade(url)
            community = Community(url)
            con = duckdb.connect(str(STORE), read_only=True) if STORE.exists() else None
            try:
                start = time.perf_counter()
                import_grants(community, con, files, postcodes=lookup)
                return time.perf_counter() - start
            finally:
                if con is not None:
                    con.close()
                community.dispose()

    return statistics.median(once() for _ in range(runs))


def main() -> None:
    lsoas = areas(33_755)
    params = make_params(budget=1e9, years=15, groups=("left_behind", "other_deprived", "rest"),
                         floor=5_000, cap=200_000, profile="front_loaded")  # fmt: skip
    t_alloc = median_time(lambda: allocate(lsoas, params), 5)
    wards = areas(7_433, seed=1)
    bid = make_bidding_params(budget=260e6, award=1.15e6, draws=1000, seed=1)
    t_bid = median_time(lambda: simulate(wards, bid), 5)
    t_import = bench_import()
    rows = [
        ("import all sample grant files (8,222 grants, 2.65M-postcode lookup)", t_import, 10.0),
        ("allocation, 33,755 LSOAs x 15 years", t_alloc, 1.0),
        ("1,000 bidding draws over 7,433 wards", t_bid, 5.0),
    ]
    lines = ["| benchmark | median (s) | target (s) |", "|---|---|---|"]
    for name, value, target in rows:
        shown = "skipped (no samples)" if value is None else f"{value:.2f}"
        lines.append(f"| {name} | {shown} | <= {target:g} |")
    table = "\n".join(lines)
    print(table)
    if "--write-docs" in sys.argv:
        write_docs(table)


def write_docs(table: str) -> None:
    from leftbehind.cli.common import write_text_atomic

    doc = REPO / "docs" / "performance.md"
    text = doc.read_text(encoding="utf-8") if doc.exists() else "# Performance\n"
    start, end = "<!-- funding:start -->", "<!-- funding:end -->"
    section = (
        f"{start}\n## Funding\n\nMeasured by `python bench/bench_funding.py --write-docs` "
        f"(median of several runs, 2 cores).\n\n{table}\n{end}"
    )
    if start in text and end in text:
        text = text[: text.index(start)] + section + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    write_text_atomic(doc, text)


if __name__ == "__main__":
    main()
