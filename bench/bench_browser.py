"""Benchmark: the home map painted in headless Debian Chromium on loopback, ward and LSOA
editions.

The test suite checks that the map paints; this script measures how fast (median of several
runs), with a baseline measured in the same run: the same page with its area data (vector tiles
or GeoJSON) answered empty, i.e. the page with an empty map. It also records the bytes of area
data the first view transfers. Each run uses a fresh browser context (a cold cache) and then
reloads it (a warm cache).

    python bench/bench_browser.py [--home DIR] [--runs 5] [--write]
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


AREA_DATA = ("/tiles/", "/api/areas.geojson")
EDITIONS = ("england-2019-ward", "england-2023-lsoa")


def _empty_area_data(route) -> None:
    """The baseline: the same page with its area data answered empty (an empty map)."""
    if "/tiles/" in route.request.url:
        route.fulfill(status=204)
    else:
        route.fulfill(status=200, content_type="application/geo+json",
                      body='{"type":"FeatureCollection","features":[]}')  # fmt: skip


def measure(url: str, runs: int, empty: bool = False) -> dict[str, list[float]]:
    """Fresh contexts: DOMContentLoaded, areas painted (cold cache), bytes of area data
    transferred for the first view, then areas painted again (warm cache)."""
    from playwright.sync_api import sync_playwright

    out: dict[str, list[float]] = {"dom": [], "cold": [], "warm": [], "bytes": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        for _ in range(runs):
            context = browser.new_context(viewport={"width": 1280, "height": 900})
            if empty:
                for pattern in ("**/tiles/**", "**/api/areas.geojson*"):
                    context.route(pattern, _empty_area_data)
            page = context.new_page()
            fetched: list = []
            page.on(
                "requestfinished",
                lambda r, seen=fetched: (
                    seen.append(r) if any(a in r.url for a in AREA_DATA) else None
                ),
            )
            start = time.perf_counter()
            page.goto(url, wait_until="domcontentloaded")
            out["dom"].append(time.perf_counter() - start)
            page.wait_for_function(PAINTED, timeout=60000)
            out["cold"].append(time.perf_counter() - start)
            out["bytes"].append(float(sum(r.sizes()["responseBodySize"] for r in fetched)))
            start = time.perf_counter()
            page.goto(url)
            page.wait_for_function(PAINTED, timeout=60000)
            out["warm"].append(time.perf_counter() - start)
            context.close()
        browser.close()
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", default=str(REPO / ".test-home"))
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--write", action="store_true", help="write to docs/performance.md")
    args = parser.parse_args()
    port = free_port()
    server = multiprocessing.Process(target=serve, args=(args.home, port), daemon=True)
    server.start()
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 120
    while True:
        try:
            if httpx.get(base + "api/editions", timeout=60).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit("the server did not start")
        time.sleep(0.5)
    results = {}
    try:
        for edition in EDITIONS:  # the baseline and the map in turn, in the same run
            url = f"{base}?edition={edition}"
            results[edition] = {"empty": measure(url, args.runs, empty=True),
                                "map": measure(url, args.runs)}  # fmt: skip
    finally:
        server.terminate()
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "<!-- browser:start -->",
        f"## Home map painted in Chromium (`bench/bench_browser.py`, {stamp})",
        "",
        f"Headless Debian Chromium on loopback, {platform.machine()}, 2 cores; median of "
        f"{args.runs} runs, each in a fresh browser context (cold cache), then reloaded (warm). "
        "Baseline, same run: the same page with its area data answered empty (an empty map). "
        "Targets (issue 18): the LSOA map paints in <= 1.5x the empty-map page; the first view "
        "transfers <= 1 MB of area data.",
        "",
        "| edition | measure | empty map (s) | with areas (s) | ratio |",
        "|---|---|---:|---:|---:|",
    ]
    verdicts = []
    for edition, res in results.items():
        med = {v: {k: statistics.median(x) for k, x in r.items()} for v, r in res.items()}
        for key, label in (("cold", "painted, cold cache"), ("warm", "painted, warm cache")):
            ratio = med["map"][key] / med["empty"][key]
            lines.append(f"| {edition} | {label} | {med['empty'][key]:.2f} | "
                         f"{med['map'][key]:.2f} | {ratio:.2f}x |")  # fmt: skip
        mb = med["map"]["bytes"] / 1e6
        lines.append(f"| {edition} | area data transferred, first view | | {mb:.2f} MB | |")
        ratio = med["map"]["cold"] / med["empty"]["cold"]
        verdicts.append(f"{edition}: {ratio:.2f}x the empty map, {mb:.2f} MB")
    lines += ["", "Result: " + "; ".join(verdicts) + ".", "<!-- browser:end -->", ""]
    text = "\n".join(lines)
    print(text)
    if args.write:
        from docsection import replace_section

        replace_section(
            REPO / "docs" / "performance.md", "<!-- browser:start -->", "<!-- browser:end -->", text
        )


if __name__ == "__main__":
    main()
