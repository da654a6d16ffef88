"""Benchmark: home page ready (areas painted) in headless Debian Chromium on loopback.

Issue 5's target: the home page is ready (every area painted on the map) within 2 s. The test
suite checks that the map paints; this script measures how fast, as a benchmark (median of
several runs), with a baseline measured in the same run: the same page's DOMContentLoaded (the
server-rendered HTML without the map). Each run uses a fresh browser context (a cold cache)
and then reloads it (a warm cache).

    python bench/bench_browser.py [--home DIR] [--runs 7] [--write]
"""

from __future__ import annotations

import argparse
import multiprocessing
import platform
import socket
import statistics
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--use-angle=swiftshader", "--enable-unsafe-swiftshader"]  # fmt: skip
PAINTED = "() => document.documentElement.getAttribute('data-map') === 'painted'"


def serve(home: str, port: int) -> None:
    import uvicorn

    from leftbehind.settings import fresh_settings
    from leftbehind.web import create_app

    app = create_app(fresh_settings(home=home))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(url: str, runs: int) -> dict[str, list[float]]:
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {"dom": [], "cold": [], "warm": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url, wait_until="domcontentloaded")
            out["dom"].append(time.perf_counter() - start)
            page.wait_for_function(PAINTED, timeout=30000)
            out["cold"].append(time.perf_counter() - start)
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_function(PAINTED, timeout=30000)
            out["warm"].append(time.perf_counter() - start)
            context.close()
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", default=str(REPO / ".test-home"))
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--write", action="store_true", help="append to docs/performance.md")
    args = parser.parse_args()
    port = free_port()
    server = multiprocessing.Process(target=serve, args=(args.home, port), daemon=True)
    server.start()
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(url + "api/areas.geojson?detail=map", timeout=60).status_code == 200:
                break  # the map data is built and cached: measure the page, not the warm-up
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.5)
    try:
        times = measure(url, args.runs)
    finally:
        server.terminate()
    med = {k: statistics.median(v) for k, v in times.items()}
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## Home page ready in Chromium (`bench/bench_browser.py`, {stamp})",
        "",
        f"Headless Debian Chromium on loopback, {platform.machine()}, 2 cores; median of "
        f"{args.runs} runs, each in a fresh browser context. Target: areas painted <= 2 s. "
        "Baseline (same run): DOMContentLoaded of the same page.",
        "",
        "| measure | median (s) | runs (s) |",
        "|---|---|---|",
    ]
    labels = {"dom": "baseline: HTML loaded (DOMContentLoaded)",
              "cold": "areas painted, cold cache", "warm": "areas painted, warm cache"}  # fmt: skip
    for key, label in labels.items():
        runs = ", ".join(f"{x:.2f}" for x in times[key])
        lines.append(f"| {label} | {med[key]:.2f} | {runs} |")
    verdict = "met" if med["cold"] <= 2.0 else "not met"
    lines += [
        "",
        f"Result: {med['cold']:.2f} s cold ({med['cold'] / med['dom']:.1f}x the HTML baseline), "
        f"{med['warm']:.2f} s warm: target {verdict}.",
        "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.write:
        with (REPO / "docs" / "performance.md").open("a", encoding="utf-8") as handle:
            handle.write("\n" + text)


if __name__ == "__main__":
    main()
