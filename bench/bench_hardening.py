"""Cheap requests while expensive ones run: the bounded-work benchmark of issue 16 (a script,
not a test).

Starts the web app in a separate process on a free 127.0.0.1 port, then measures, in the same
run:

* the issue's request (``/api/allocations?budget=1e12&edition=england-2023-lsoa&
  include_other_deprived=true&compare_bidding=true&draws=1000&years=50&seed=N``): its status
  and time (target: an answer within 2 s, a result or a refusal naming the cap);
* the heaviest allocation the caps allow (3,375 LSOAs x 11 years with 290 bidding draws, a new
  seed each time so the cache never answers) and its time;
* ``/api/editions`` p95 with one client, unloaded (the baseline), then while three clients
  (another process, three loopback addresses) send the issue's request in a loop, then while
  they send the heaviest allowed allocation in a loop (new seeds: refused with 503 +
  Retry-After beyond the one running and two waiting, and with 429 + Retry-After beyond each
  client's allowance of ``LEFTBEHIND_ALLOCATIONS_PER_MINUTE``). Target: loaded p95 <= 3x the
  unloaded p95.

Each phase is repeated ``--runs`` times and the median reported; results are appended to
``docs/performance.md``.

    python bench/bench_hardening.py [--home DIR] [--runs 3] [--seconds 8] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_web import free_port, percentile, wait_ready

REPO = Path(__file__).resolve().parents[1]
ISSUE = {
    "budget": "1000000000000",
    "edition": "england-2023-lsoa",
    "include_other_deprived": "true",
    "compare_bidding": "true",
    "draws": "1000",
    "years": "50",
}
HEAVIEST = {**ISSUE, "years": "11", "draws": "290"}
seeds = itertools.count(1)


def serve(home: str, port: int) -> None:
    import uvicorn

    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=Path(home), edition="england-2019-ward"))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


async def cheap_p95(client: httpx.AsyncClient, seconds: float) -> tuple[float, int]:
    latencies = []
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        t0 = time.perf_counter()
        r = await client.get("/api/editions")
        await r.aread()
        latencies.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, r.status_code
    return percentile(latencies, 95), len(latencies)


async def flood(base: str, params: dict, seconds: float) -> dict[int, int]:
    """Three clients, each from its own loopback address (so each has its own allowance of
    the site's per-client limit), sending ``params`` back to back with a new seed each time for
    ``seconds``; they ignore Retry-After, as a flood would (after a 503 from the computation
    queue they pause 0.2 s). The statuses received, by code."""
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + seconds

    async def hammer(address: str) -> None:
        transport = httpx.AsyncHTTPTransport(local_address=address)
        async with httpx.AsyncClient(base_url=base, timeout=120, transport=transport) as heavy:
            while time.perf_counter() < deadline:
                r = await heavy.get("/api/allocations", params={**params, "seed": next(seeds)})
                statuses[r.status_code] = statuses.get(r.status_code, 0) + 1
                if r.status_code == 503:
                    await asyncio.sleep(0.2)

    await asyncio.gather(*(hammer(f"127.0.0.{i}") for i in (2, 3, 4)))
    return statuses


def loaded(base: str, params: dict, seconds: float) -> dict:
    """/api/editions p95 (this process, from 127.0.0.1) while three clients in another
    process send ``params`` (:func:`flood`), so that the measuring client never waits on the
    flood's own event loop."""
    child = subprocess.Popen(
        [sys.executable, __file__, "--flood", base, json.dumps(params), str(seconds + 1.0)],
        stdout=subprocess.PIPE,
        text=True,
    )
    time.sleep(0.5)  # let the flood start

    async def measure() -> tuple[float, int]:
        async with httpx.AsyncClient(base_url=base, timeout=60) as cheap:
            return await cheap_p95(cheap, seconds)

    p95, n = asyncio.run(measure())
    out, _ = child.communicate(timeout=seconds + 180)
    statuses = {int(k): v for k, v in json.loads(out.strip().splitlines()[-1]).items()}
    return {"p95": p95, "n": n, "statuses": statuses}


def timed(base: str, params: dict, times: int) -> tuple[float, int, str]:
    seconds, status, text = [], 0, ""
    for _ in range(times):
        t0 = time.perf_counter()
        query = {**params, "seed": next(seeds)}
        r = httpx.get(base + "/api/allocations", params=query, timeout=120)
        seconds.append(time.perf_counter() - t0)
        status, text = r.status_code, r.text[:240]
    return statistics.median(seconds), status, text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", default=os.environ.get("LEFTBEHIND_HOME"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=8.0, help="per measurement")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--serve", nargs=2, metavar=("HOME", "PORT"), help=argparse.SUPPRESS)
    parser.add_argument("--flood", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.flood:
        base, params, seconds = args.flood
        print(json.dumps(asyncio.run(flood(base, json.loads(params), float(seconds)))))
        return 0
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return 0
    if not args.home:
        from leftbehind.settings import get_settings

        args.home = str(get_settings().home)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    child = subprocess.Popen(
        [sys.executable, __file__, "--serve", args.home, str(port)], stdout=subprocess.DEVNULL
    )
    try:
        wait_ready(base)
        httpx.get(base + "/api/allocations", params={**HEAVIEST, "seed": 0}, timeout=120)  # warm
        issue_s, issue_status, issue_text = timed(base, ISSUE, 5)
        heavy_s, heavy_status, _ = timed(base, HEAVIEST, 5)
        rows = []
        for _ in range(args.runs):

            async def unloaded() -> tuple[float, int]:
                async with httpx.AsyncClient(base_url=base, timeout=60) as c:
                    return await cheap_p95(c, args.seconds)

            base_p95, base_n = asyncio.run(unloaded())
            under_issue = loaded(base, ISSUE, args.seconds)
            under_heavy = loaded(base, HEAVIEST, args.seconds)
            rows.append((base_p95, under_issue, under_heavy))
            print(
                f"unloaded p95 {base_p95:.1f} ms (n={base_n}); 3 x issue request: "
                f"{under_issue['p95']:.1f} ms {under_issue['statuses']}; 3 x heaviest allowed: "
                f"{under_heavy['p95']:.1f} ms {under_heavy['statuses']}",
                flush=True,
            )
    finally:
        child.terminate()
        child.wait(timeout=30)
    base_p95 = statistics.median(r[0] for r in rows)
    issue_p95 = statistics.median(r[1]["p95"] for r in rows)
    heavy_p95 = statistics.median(r[2]["p95"] for r in rows)
    statuses: dict[int, int] = {}
    for r in rows:
        for code, n in r[2]["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    ok_issue = issue_s <= 2.0
    ok_ratio = max(issue_p95, heavy_p95) <= 3 * base_p95
    verdict = (
        f"issue request: {issue_status} in {issue_s:.3f} s (median of 5; target <= 2 s: "
        f"{'met' if ok_issue else 'NOT met'}); heaviest allowed allocation: {heavy_status} in "
        f"{heavy_s:.2f} s; /api/editions p95 unloaded {base_p95:.1f} ms, with 3 x the issue "
        f"request {issue_p95:.1f} ms ({issue_p95 / base_p95:.2f}x), with 3 x the heaviest "
        f"allowed {heavy_p95:.1f} ms ({heavy_p95 / base_p95:.2f}x) (target <= 3x: "
        f"{'met' if ok_ratio else 'NOT met'}); heavy answers {dict(sorted(statuses.items()))}"
    )
    print(verdict)
    print("issue request answer:", issue_text)
    if not args.no_write:
        stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
        text = (
            f"\n## Bounded work: cheap requests while expensive ones run ({stamp})\n\n"
            f"`python bench/bench_hardening.py --runs {args.runs} --seconds {args.seconds:g}` "
            f"on {platform.machine()}, {os.cpu_count()} cores (shared), Python "
            f"{platform.python_version()}; one uvicorn process on 127.0.0.1 with the default "
            "per-client allocation limit; the measuring httpx client in a second process, the "
            "three flooding clients (127.0.0.2-4) in a third; medians of the runs, baseline "
            "measured in the same run.\n\n"
            f"{verdict}.\n"
        )
        doc = REPO / "docs" / "performance.md"
        doc.write_text(doc.read_text(encoding="utf-8") + text, encoding="utf-8")
    return 0 if ok_issue and ok_ratio else 1


if __name__ == "__main__":
    raise SystemExit(main())
