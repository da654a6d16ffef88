"""Load and latency benchmark of the web observatory on loopback (a script, not a test).

Starts ``leftbehind serve``'s app in a separate process on a free 127.0.0.1 port, with one extra
static folder holding ``floor.json`` (a copy of the profile JSON being measured, so both serve
the same bytes): the static-file floor. Then, with 1, 10 and 50 concurrent clients (httpx,
asyncio), it sends a bounded number of requests (and stops early at a time limit) to

* ``/api/areas/{code}/profile`` (the API's main document),
* ``/areas/{code}`` (the area page, HTML),
* ``/bench-static/floor.json`` (the floor),

and reports p50/p95/p99 latency and requests per second, checks the targets (profile p95
within 3x of the floor at 50 clients, >= 300 requests/s) and appends a table to
``docs/performance.md``.

    python bench/bench_web.py [--home DIR] [--code E05000028] [--requests 2000] [--no-write]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
CONCURRENCY = (1, 10, 50)
TIME_LIMIT = 20.0  # seconds per run, at most


def serve(home: str, port: int, static_dir: str) -> None:
    """Child process: the observatory plus a static folder for the floor."""
    import uvicorn
    from fastapi.staticfiles import StaticFiles

    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=Path(home)))
    app.mount("/bench-static", StaticFiles(directory=static_dir), name="bench-static")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1))))
    return ordered[k]


async def run(base: str, path: str, clients: int, total: int) -> dict:
    latencies: list[float] = []
    errors = 0
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    headers = {"Accept-Encoding": "gzip"}
    async with httpx.AsyncClient(base_url=base, limits=limits, headers=headers) as client:
        for _ in range(min(20, total)):  # warm-up: connections and caches
            await client.get(path)
        remaining = total
        deadline = time.perf_counter() + TIME_LIMIT

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                t0 = time.perf_counter()
                r = await client.get(path)
                await r.aread()
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - started
    ms = [x * 1000 for x in latencies]
    return {
        "path": path,
        "clients": clients,
        "requests": len(ms),
        "errors": errors,
        "p50": percentile(ms, 50),
        "p95": percentile(ms, 95),
        "p99": percentile(ms, 99),
        "mean": statistics.fmean(ms),
        "rps": len(ms) / elapsed,
    }


def wait_ready(base: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/api/editions", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise SystemExit("the server did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", default=os.environ.get("LEFTBEHIND_HOME"))
    parser.add_argument("--code", default="E05000028")
    parser.add_argument("--requests", type=int, default=2000, help="per run at 10 and 50 clients")
    parser.add_argument("--no-write", action="store_true", help="do not append to the docs")
    parser.add_argument(
        "--serve", nargs=3, metavar=("HOME", "PORT", "STATIC"), help=argparse.SUPPRESS
    )
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.serve[2])
        return 0
    if not args.home:
        from leftbehind.settings import get_settings

        args.home = str(get_settings().home)
    if not (Path(args.home) / "leftbehind.duckdb").exists():
        raise SystemExit(f"no store in {args.home}; build it with 'leftbehind build' first")

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory() as static_dir:
        child = subprocess.Popen(
            [sys.executable, __file__, "--serve", args.home, str(port), static_dir],
            stdout=subprocess.DEVNULL,
        )
        try:
            wait_ready(base)
            profile_path = f"/api/areas/{args.code}/profile"
            page_path = f"/areas/{args.code}"
            body = httpx.get(base + profile_path, timeout=60).content  # also warms the cache
            httpx.get(base + page_path, timeout=60)
            (Path(static_dir) / "floor.json").write_bytes(body)
            results = []
            for clients in CONCURRENCY:
                total = 300 if clients == 1 else args.requests
                for path in ("/bench-static/floor.json", profile_path, page_path):
                    res = asyncio.run(run(base, path, clients, total))
                    results.append(res)
                    print(
                        f"{clients:>3} clients {path:<36} n={res['requests']:>5} "
                        f"p50={res['p50']:6.1f} p95={res['p95']:6.1f} p99={res['p99']:6.1f} ms "
                        f"{res['rps']:7.0f} req/s errors={res['errors']}",
                        flush=True,
                    )
        finally:
            child.terminate()
            child.wait(timeout=20)

    def get(path: str, clients: int) -> dict:
        return next(r for r in results if r["path"] == path and r["clients"] == clients)

    floor50 = get("/bench-static/floor.json", 50)
    prof50 = get(profile_path, 50)
    ratio = prof50["p95"] / floor50["p95"]
    ok_ratio = ratio <= 3.0
    ok_rps = prof50["rps"] >= 300
    verdict = (
        f"profile p95 at 50 clients = {prof50['p95']:.1f} ms, {ratio:.2f}x the floor "
        f"({floor50['p95']:.1f} ms): {'met' if ok_ratio else 'NOT met'} (target <= 3x); "
        f"{prof50['rps']:.0f} req/s: {'met' if ok_rps else 'NOT met'} (target >= 300)"
    )
    print(verdict)
    if not args.no_write:
        write_docs(results, verdict, body_bytes=len(body))
    return 0 if ok_ratio and ok_rps else 1


def write_docs(results: list[dict], verdict: str, body_bytes: int) -> None:
    doc = REPO / "docs" / "performance.md"
    lines = []
    if not doc.exists():
        lines += ["# Performance", ""]
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines += [
        "",
        f"## Web observatory load test ({stamp})",
        "",
        f"`python bench/bench_web.py` on {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}; one uvicorn process on 127.0.0.1, httpx asyncio "
        "clients in another process (same machine), `Accept-Encoding: gzip`, keep-alive. "
        f"The floor is a static file with the same bytes as the profile ({body_bytes:,} bytes).",
        "",
        "| clients | path | requests | p50 ms | p95 ms | p99 ms | req/s |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r['clients']} | `{r['path']}` | {r['requests']:,} | {r['p50']:.1f} | "
            f"{r['p95']:.1f} | {r['p99']:.1f} | {r['rps']:.0f} |"
        )
    lines += ["", f"Result: {verdict}.", ""]
    with doc.open("a", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    print(f"appended to {doc}")


if __name__ == "__main__":
    sys.exit(main())
