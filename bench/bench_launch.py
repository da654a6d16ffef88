"""Launch and first-request benchmark of the web observatory (a script, not a test).

Every measurement starts a fresh ``python -m leftbehind serve --port P`` process (the real CLI,
``LEFTBEHIND_HOME`` selecting the store) on a free 127.0.0.1 port and stops it afterwards:

1. **launch to first 200**: wall time from spawning the server to the first HTTP 200 from
   ``GET /`` (median of ``--runs`` launches; target <= 3 s). Baseline, same run: spawning a
   trivial FastAPI app under uvicorn (same interpreter, same fastapi/uvicorn imports) to its
   first 200, reported as a ratio.
2. **first request vs warm**, per page type: one fresh server per page type per run
   (``--page-runs``), readiness probed with ``/api/editions`` (so the page under test is not
   warmed by the probe), then the first request of the page, then the median of ``--warm``
   requests of the same URL. Target: first <= 2x warm; the first LSOA map GeoJSON also
   <= 0.5 s absolute. ``Accept-Encoding: gzip``, keep-alive, per-request timeout 120 s.
3. **warm profile in-process**: ``leftbehind.profiles.profile.profile(con, "E05000028",
   "england-2019-ward")`` on a read-only DuckDB connection, median of 21 warm calls after an
   untimed first call; target <= 5 ms.

Prints a Markdown report; ``--write-docs`` replaces (or appends) the section between
``<!-- launch:start -->`` and ``<!-- launch:end -->`` in docs/performance.md.

    LEFTBEHIND_HOME=/tmp/bench-home python bench/bench_launch.py [--runs 5] [--page-runs 3]
        [--warm 20] [--page SUBSTRING ...] [--skip-launch] [--skip-pages] [--skip-profile]
        [--write-docs]

Use a copy of the store (``--home`` or ``LEFTBEHIND_HOME``): the servers open it read-only.
"""

from __future__ import annotations

import argparse
import os
import platform
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
DOC = REPO / "docs" / "performance.md"
START, END = "<!-- launch:start -->", "<!-- launch:end -->"
TIMEOUT = 120.0  # seconds, per request and per launch
HEADERS = {"Accept-Encoding": "gzip"}
READY_PROBE = "/api/editions"
LSOA = "england-2023-lsoa"
WARD = "E05000028"
LAUNCH_TARGET = 3.0  # s
FIRST_RATIO_TARGET = 2.0  # first / warm
LSOA_MAP = f"/api/areas.geojson?edition={LSOA}&detail=map"
ABSOLUTE_TARGETS = {LSOA_MAP: 0.5}  # s, first request
PROFILE_TARGET = 0.005  # s


#: Per-area pages are computed on their first request by design (33,755 LSOAs x 3 editions is
#: too many to prepare); for them "warm" is the first request of ANOTHER area on the same warm
#: server (not cached), the fair comparison for "as fast as its hundredth".
OTHER_WARD = "E05000029"


def other_area(url: str, lsoa_code: str, other_lsoa: str) -> str | None:
    """The same page for another area (None for pages that are not per area)."""
    if WARD in url:
        return url.replace(WARD, OTHER_WARD)
    if lsoa_code in url:
        return url.replace(lsoa_code, other_lsoa)
    if "/local-authorities/E09000002" in url:
        return url.replace("E09000002", "E08000021")
    return None


def pages(lsoa_code: str) -> list[str]:
    return [
        "/",
        f"/?edition={LSOA}",
        f"/areas/{WARD}",
        f"/api/areas/{WARD}/profile",
        f"/areas/{lsoa_code}?edition={LSOA}",
        "/local-authorities/E09000002",
        "/summary",
        "/methods",
        "/funding",
        f"/api/summary?edition={LSOA}",
        LSOA_MAP,
        "/api/areas.geojson?detail=map",
        "/api/local-authorities.geojson",
        "/allocate?budget=10000000",
    ]


# --- child processes ------------------------------------------------------------------------


def serve_trivial(port: int) -> None:
    """Child process: the baseline, a trivial FastAPI app answering 200 on ``/``."""
    import uvicorn
    from fastapi import FastAPI
    from fastapi.responses import HTMLResponse

    app = FastAPI()

    @app.get("/")
    def home() -> HTMLResponse:
        return HTMLResponse("<!doctype html><title>ok</title><p>ok</p>")

    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A server subprocess on a free loopback port; ``kind`` is ``observatory`` or ``trivial``."""

    def __init__(self, home: str, kind: str = "observatory") -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("LEFTBEHIND_")}
        env["LEFTBEHIND_HOME"] = home
        env.setdefault("PYTHONUNBUFFERED", "1")
        if kind == "observatory":
            cmd = [sys.executable, "-m", "leftbehind", "serve", "--port", str(self.port)]
        else:
            cmd = [sys.executable, __file__, "--serve-trivial", str(self.port)]
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 (closed in stop())
        self.started = time.perf_counter()
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=self.log)

    def wait_for(self, client: httpx.Client, path: str) -> tuple[float, httpx.Response]:
        """Poll ``path`` until it answers 200; seconds since spawning, and the response."""
        deadline = self.started + TIMEOUT
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.stderr()}")
            try:
                r = client.get(self.base + path)
            except httpx.TransportError:  # not listening yet
                time.sleep(0.02)
                continue
            if r.status_code == 200:
                return time.perf_counter() - self.started, r
            raise RuntimeError(f"GET {path} answered {r.status_code}: {r.text[:200]}")
        raise RuntimeError(f"no 200 from {path} within {TIMEOUT:.0f} s: {self.stderr()}")

    def stderr(self) -> str:
        """The server's last stderr line (usually the exception), or a placeholder."""
        self.log.seek(0)
        lines = self.log.read().decode("utf-8", "replace").strip().splitlines()
        return lines[-1].strip()[:300] if lines else "(no stderr)"

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def client() -> httpx.Client:
    timeout = httpx.Timeout(TIMEOUT, connect=2.0)
    return httpx.Client(timeout=timeout, headers=HEADERS)


def timed_get(c: httpx.Client, url: str) -> float:
    t0 = time.perf_counter()
    r = c.get(url)
    r.read()
    elapsed = time.perf_counter() - t0
    if r.status_code != 200:
        raise RuntimeError(f"GET {url} answered {r.status_code}: {r.text[:200]}")
    return elapsed


# --- measurements ---------------------------------------------------------------------------


def measure_launch(home: str, runs: int) -> dict:
    """Spawn to first 200 of ``/``, for the observatory and for the trivial baseline."""
    out: dict[str, list[float]] = {"observatory": [], "trivial": []}
    errors: list[str] = []
    for i in range(runs):
        for kind in ("trivial", "observatory"):  # alternate, so drift hits both
            try:
                with Server(home, kind) as server, client() as c:
                    seconds, _ = server.wait_for(c, "/")
                out[kind].append(seconds)
                print(f"  launch run {i + 1}/{runs} {kind:<11} {seconds:7.2f} s", flush=True)
            except Exception as exc:  # report, keep going
                errors.append(f"launch {kind} run {i + 1}: {exc}")
                print(f"  launch run {i + 1}/{runs} {kind:<11} FAILED: {exc}", flush=True)
    return {**out, "errors": errors}


def measure_pages(
    home: str, urls: list[str], runs: int, warm: int, others: dict[str, str | None]
) -> dict:
    """One fresh server per URL per run: readiness, first request, then warm requests."""
    res = {
        u: {"first": [], "warm": [], "fresh": [], "ready": [], "bytes": None, "errors": []}
        for u in urls
    }
    for i in range(runs):
        for url in urls:
            entry = res[url]
            try:
                with Server(home) as server, client() as c:
                    ready, _ = server.wait_for(c, READY_PROBE)
                    first = timed_get(c, server.base + url)
                    r = c.get(server.base + url)
                    entry["bytes"] = (len(r.content), r.headers.get("content-encoding", ""))
                    warm_times = [timed_get(c, server.base + url) for _ in range(warm)]
                    if others.get(url):
                        entry["fresh"].append(timed_get(c, server.base + others[url]))
                entry["ready"].append(ready)
                entry["first"].append(first)
                entry["warm"].append(statistics.median(warm_times))
                print(
                    f"  pages run {i + 1}/{runs} {url:<52} ready {ready:6.2f} s  "
                    f"first {first * 1000:9.1f} ms  warm {entry['warm'][-1] * 1000:8.1f} ms",
                    flush=True,
                )
            except Exception as exc:  # report, keep going
                entry["errors"].append(f"run {i + 1}: {exc}")
                print(f"  pages run {i + 1}/{runs} {url:<52} FAILED: {exc}", flush=True)
    return res


def measure_profile(store: Path, calls: int = 21) -> dict:
    """The library's profile call, in this process, on a read-only connection."""
    import duckdb

    from leftbehind.profiles.profile import profile

    con = duckdb.connect(str(store), read_only=True)
    try:
        edition = "england-2019-ward"
        t0 = time.perf_counter()
        profile(con, WARD, edition)
        first = time.perf_counter() - t0
        times = []
        for _ in range(calls):
            t0 = time.perf_counter()
            profile(con, WARD, edition)
            times.append(time.perf_counter() - t0)
    finally:
        con.close()
    return {"first": first, "warm": statistics.median(times), "calls": calls}


def lsoa_codes(store: Path) -> tuple[str, str]:
    """Two LSOA codes of the LSOA edition (the page's area and another one)."""
    import duckdb

    con = duckdb.connect(str(store), read_only=True)
    try:
        rows = con.execute(
            "SELECT code FROM identification WHERE edition = ? ORDER BY code LIMIT 2", [LSOA]
        ).fetchall()
    finally:
        con.close()
    if len(rows) < 2:
        raise SystemExit(f"no {LSOA} areas in {store}")
    return rows[0][0], rows[1][0]


def code_origin() -> str:
    """Where ``leftbehind`` is imported from (the servers inherit this environment)."""
    import importlib.util

    spec = importlib.util.find_spec("leftbehind")
    origin = Path(spec.origin).parent if spec and spec.origin else None
    return str(origin) if origin else "leftbehind not importable"


# --- report ---------------------------------------------------------------------------------


def med(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


def fmt_s(x: float | None) -> str:
    return "n/a" if x is None else f"{x:.2f} s"


def fmt_ms(x: float | None) -> str:
    return "n/a" if x is None else f"{x * 1000:.1f}"


def yes_no(ok: bool | None) -> str:
    return "n/a" if ok is None else ("yes" if ok else "**no**")


def report(
    args: argparse.Namespace,
    launch: dict | None,
    page_res: dict | None,
    prof: dict | None,
    prof_error: str | None,
) -> tuple[str, bool]:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"## Launch and first requests (`bench/bench_launch.py`, {stamp})",
        "",
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        "each server is a fresh `python -m leftbehind serve` on 127.0.0.1 (store opened "
        "read-only), httpx client in the benchmark process, `Accept-Encoding: gzip`, "
        f"keep-alive. Code: `{code_origin()}`.",
        "",
    ]
    all_ok = True
    if launch is not None:
        obs, base = med(launch["observatory"]), med(launch["trivial"])
        ok = None if obs is None else obs <= LAUNCH_TARGET
        all_ok &= bool(ok)
        ratio = f"{obs / base:.1f}x" if obs is not None and base else "n/a"
        runs_obs = ", ".join(f"{x:.2f}" for x in launch["observatory"])
        runs_base = ", ".join(f"{x:.2f}" for x in launch["trivial"])
        lines += [
            f"### Launch to first 200 from `GET /` (median of {args.runs} launches)",
            "",
            "| measure | median | runs (s) | target | met |",
            "|---|---:|---|---|---|",
            f"| observatory: spawn to first 200 of `/` | {fmt_s(obs)} | {runs_obs} | "
            f"<= {LAUNCH_TARGET:g} s | {yes_no(ok)} |",
            f"| baseline: trivial FastAPI app under uvicorn | {fmt_s(base)} | {runs_base} | | |",
            f"| observatory / baseline | {ratio} | | | |",
            "",
        ]
    if page_res is not None:
        readies = [x for e in page_res.values() for x in e["ready"]]
        lines += [
            f"### First request after launch vs warm ({args.page_runs} fresh servers per page; "
            f"warm = median of {args.warm})",
            "",
            f"Readiness probe `{READY_PROBE}`: median {fmt_s(med(readies))} after spawning "
            f"({len(readies)} launches).",
            "",
            "Warm: the median of repeated requests of the URL; for per-area pages (computed "
            "on the first request of each area by design), the first request of another area "
            "on the same warm server, in brackets the cached repeat.",
            "",
            "| URL | first ms (median) | first runs ms | warm ms | first / warm | target | met |",
            "|---|---:|---|---:|---:|---|---|",
        ]
        for url, e in page_res.items():
            first, cached = med(e["first"]), med(e["warm"])
            warm = med(e["fresh"]) if e["fresh"] else cached
            ratio = first / warm if first is not None and warm else None
            target = f"<= {FIRST_RATIO_TARGET:g}x"
            ok = None if ratio is None else ratio <= FIRST_RATIO_TARGET
            if url in ABSOLUTE_TARGETS:
                limit = ABSOLUTE_TARGETS[url]
                target += f" and <= {limit:g} s"
                ok = None if first is None else bool(ok) and first <= limit
            if e["errors"]:
                ok = False
            all_ok &= bool(ok)
            runs = ", ".join(f"{x * 1000:.0f}" for x in e["first"])
            if e["errors"]:
                runs += f" ({len(e['errors'])} failed)"
            shown = fmt_ms(warm) + (f" ({fmt_ms(cached)} cached)" if e["fresh"] else "")
            lines.append(
                f"| `{url}` | {fmt_ms(first)} | {runs} | {shown} | "
                f"{'n/a' if ratio is None else f'{ratio:.1f}x'} | {target} | {yes_no(ok)} |"
            )
        lines.append("")
    if prof is not None or prof_error is not None:
        lines += [
            "### One warm profile in-process",
            "",
            "| measure | value | target | met |",
            "|---|---:|---|---|",
        ]
        if prof is not None:
            ok = prof["warm"] <= PROFILE_TARGET
            all_ok &= ok
            lines += [
                f'| `profile(con, "{WARD}", "england-2019-ward")`, first call | '
                f"{prof['first'] * 1000:.1f} ms | | |",
                f"| same, warm (median of {prof['calls']}) | {prof['warm'] * 1000:.2f} ms | "
                f"<= {PROFILE_TARGET * 1000:g} ms | {yes_no(ok)} |",
            ]
        else:
            all_ok = False
            lines.append(f"| profile | failed: {prof_error} | | |")
        lines.append("")
    errors = (launch or {}).get("errors", []) + [
        f"{url} {err}" for url, e in (page_res or {}).items() for err in e["errors"]
    ]
    if prof_error:
        errors.append(f"profile: {prof_error}")
    if errors:
        lines += ["Failures:", ""] + [f"* {e.splitlines()[0][:300]}" for e in errors] + [""]
    lines.append(f"Result: {'all targets met' if all_ok else 'targets NOT all met'}.")
    return "\n".join(lines) + "\n", all_ok


def write_docs(section: str) -> None:
    from docsection import replace_section

    replace_section(DOC, START, END, f"{START}\n{section.rstrip()}\n{END}\n")
    print(f"wrote the launch section of {DOC}")


def attempt(fn: Callable[[], dict]) -> tuple[dict | None, str | None]:
    try:
        return fn(), None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {exc}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", default=os.environ.get("LEFTBEHIND_HOME"))
    parser.add_argument("--runs", type=int, default=5, help="launches for part 1 (default 5)")
    parser.add_argument(
        "--page-runs", type=int, default=3, help="fresh servers per page type (default 3)"
    )
    parser.add_argument("--warm", type=int, default=20, help="warm requests per page")
    parser.add_argument(
        "--page",
        action="append",
        default=[],
        metavar="SUBSTRING",
        help="only the page URLs containing SUBSTRING (repeatable)",
    )
    parser.add_argument("--skip-launch", action="store_true")
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--skip-profile", action="store_true")
    parser.add_argument("--write-docs", action="store_true", help="update docs/performance.md")
    parser.add_argument("--serve-trivial", type=int, metavar="PORT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_trivial:
        serve_trivial(args.serve_trivial)
        return 0
    if not args.home:
        raise SystemExit("set LEFTBEHIND_HOME or --home (use a copy of the store)")
    args.home = str(Path(args.home).resolve())
    store = Path(args.home) / "leftbehind.duckdb"
    if not store.exists():
        raise SystemExit(f"no store in {args.home}; build it with 'leftbehind build' first")

    launch = page_res = prof = prof_error = None
    if not args.skip_launch:
        print("part 1: launch to first 200", flush=True)
        launch = measure_launch(args.home, args.runs)
    if not args.skip_pages:
        code, other = lsoa_codes(store)
        urls = pages(code)
        if args.page:
            urls = [u for u in urls if any(s in u for s in args.page)]
        print(f"part 2: first request vs warm, {len(urls)} URLs", flush=True)
        others = {u: other_area(u, code, other) for u in urls}
        page_res = measure_pages(args.home, urls, args.page_runs, args.warm, others)
    if not args.skip_profile:
        print("part 3: warm profile in-process", flush=True)
        prof, prof_error = attempt(lambda: measure_profile(store))
    section, ok = report(args, launch, page_res, prof, prof_error)
    print()
    print(section)
    if args.write_docs:
        write_docs(section)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
