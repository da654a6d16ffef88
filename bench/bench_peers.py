"""Benchmark against a real peer: the app vs nginx serving the same bytes pre-compressed.

Starts ``leftbehind serve --workers N`` and, in the same run, nginx (Debian's package; the
script installs ``nginx-light`` and ``wrk`` with apt-get when they are missing) on its own
config and port, serving copies of the very bytes the app sends (fetched from it, gzip copies
beside them, ``gzip_static on``). Then wrk (Debian's package) loads each at 1, 10 and 50
connections for ``--duration`` seconds with ``Accept-Encoding: gzip``, and the script reports
requests per second and p50/p95/p99 latency of both, and their ratios, for

* the profile JSON (``/api/areas/{code}/profile``),
* the area page (``/areas/{code}``),
* a vector tile of the home map (``/tiles/ward17/10/{x}/{y}.mvt``).

Two more servers are loaded in the same run, to read the ratios by:

* **the ceiling of any app on uvicorn**: a bare ASGI function under uvicorn (same workers, same
  event loop and HTTP parser as ``leftbehind serve``) answering each URL with the app's very
  status, headers and gzip bytes from a dict: what uvicorn itself costs, with no app at all;
* **the production layout** of ``docs/deployment.md``: nginx with ``proxy_cache`` in front of
  the app (keep-alive upstream), caching by the headers the app sends; what visitors get.

Targets (issue 18): at 10 and 50 connections the app's throughput >= 0.25x nginx's and its
p95 <= 3x nginx's, with no errors. All servers and wrk share the machine's 2 cores.

    LEFTBEHIND_HOME=DIR python bench/bench_peers.py [--workers 2] [--duration 10] [--runs 3]
        [--write]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import shutil
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
DOC = REPO / "docs" / "performance.md"
START, END = "<!-- peers:start -->", "<!-- peers:end -->"
CONNECTIONS = (1, 10, 50)
CODE = "E05000028"
TILE = "/tiles/ward17/10/512/340.mvt"  # Barking and Dagenham at zoom 10
WRK_SCRIPT = """
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.write(string.format('{"requests": %d, "seconds": %f, "p50": %f, "p95": %f, "p99": %f, '
    .. '"errors": %d}\\n', summary.requests, summary.duration / 1e6,
    latency:percentile(50) / 1e3, latency:percentile(95) / 1e3, latency:percentile(99) / 1e3,
    errors))
end
"""
NGINX_CONF = """
worker_processes {workers};
pid {root}/nginx.pid;
error_log {root}/error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 100000;
  types {{ application/json json; text/html html; application/vnd.mapbox-vector-tile mvt; }}
  server {{
    listen 127.0.0.1:{port};
    root {root}/www;
    gzip_static on;
    etag on;
  }}
}}
"""


PROXY_CONF = """
worker_processes {workers};
pid {root}/proxy.pid;
error_log {root}/proxy-error.log warn;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  keepalive_requests 100000;
  proxy_cache_path {root}/cache levels=1:2 keys_zone=lb:50m max_size=1g inactive=1d
                   use_temp_path=off;
  upstream leftbehind {{ server 127.0.0.1:{app_port}; keepalive 64; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://leftbehind;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $remote_addr;
      proxy_cache lb;
      proxy_cache_revalidate on;
      proxy_cache_use_stale updating error timeout;
      add_header X-Cache $upstream_cache_status;
    }}
  }}
}}
"""
BARE_APP = '''"""A bare ASGI function: each URL's recorded status, headers and bytes."""
import json
from pathlib import Path

RECORDED = json.loads((Path(__file__).parent / "recorded.json").read_text())
ANSWERS = {
    path: (
        {"type": "http.response.start", "status": r["status"],
         "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in r["headers"]]},
        {"type": "http.response.body", "body": bytes.fromhex(r["body"])},
    )
    for path, r in RECORDED.items()
}


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    start, body = ANSWERS[scope["path"]]
    await send(start)
    await send(body)
'''
SERVERS = ("app", "bare", "nginx", "proxy")


def ensure_tools() -> None:
    """nginx and wrk from Debian's packages (installed when missing)."""
    missing = [
        pkg for tool, pkg in (("nginx", "nginx-light"), ("wrk", "wrk")) if not shutil.which(tool)
    ]
    if missing:
        print(f"installing {' '.join(missing)} with apt-get", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", *missing], check=True, env=env)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait(url: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=10).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"no answer from {url}")


def raw_response(url: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """Status, headers and the bytes as sent, gzip included (not decoded)."""
    with httpx.stream("GET", url, headers={"Accept-Encoding": "gzip"}, timeout=60) as r:
        r.raise_for_status()
        body = b"".join(r.iter_raw())
        return r.status_code, [(k, v) for k, v in r.headers.multi_items()], body


def wrk(url: str, connections: int, duration: int, script: Path) -> dict:
    threads = min(2, connections)
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "-s", str(script),
         "-H", "Accept-Encoding: gzip", url],
        check=True, capture_output=True, text=True,
    )  # fmt: skip
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["rps"] = result["requests"] / result["seconds"]
    return result


def median_run(runs: list[dict]) -> dict:
    """Medians of each figure over runs; errors summed."""
    out = {key: statistics.median(r[key] for r in runs) for key in ("rps", "p50", "p95", "p99")}
    out["errors"] = sum(r["errors"] for r in runs)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", default=os.environ.get("LEFTBEHIND_HOME"))
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--runs", type=int, default=3, help="runs per row (medians reported)")
    parser.add_argument("--write", action="store_true", help="write to docs/performance.md")
    args = parser.parse_args()
    if not args.home or not (Path(args.home) / "leftbehind.duckdb").exists():
        raise SystemExit("give --home (or LEFTBEHIND_HOME) holding a built store")
    ensure_tools()
    args.load = " / ".join(Path("/proc/loadavg").read_text().split()[:3])
    paths = {
        "profile JSON": f"/api/areas/{CODE}/profile",
        "area page": f"/areas/{CODE}",
        "map tile": TILE,
    }
    files = {"profile JSON": "profile.json", "area page": "area.html", "map tile": "tile.mvt"}
    app_port, nginx_port, bare_port, proxy_port = (free_port() for _ in range(4))
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEFTBEHIND_")}
    env["LEFTBEHIND_HOME"] = args.home
    app = subprocess.Popen(
        [sys.executable, "-m", "leftbehind", "serve", "--port", str(app_port),
         "--workers", str(args.workers)],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    root = Path(tempfile.mkdtemp(prefix="leftbehind-peers-"))
    root.chmod(0o755)  # nginx workers run as an unprivileged user
    nginx = proxy = bare = None
    results: list[dict] = []
    try:
        app_base = f"http://127.0.0.1:{app_port}"
        wait(app_base + "/api/editions")
        (root / "www").mkdir()
        recorded = {}
        for name, path in paths.items():
            for _ in range(2 * args.workers):  # every worker has it cached
                status, headers, packed = raw_response(app_base + path)
            recorded[path] = {
                "status": status,
                "headers": [(k, v) for k, v in headers if k.lower() not in ("date", "server")],
                "body": packed.hex(),
            }
            body = gzip.decompress(packed) if packed[:2] == b"\x1f\x8b" else packed
            (root / "www" / files[name]).write_bytes(body)
            (root / "www" / (files[name] + ".gz")).write_bytes(
                gzip.compress(body, compresslevel=6, mtime=0)
            )
        (root / "nginx.conf").write_text(
            NGINX_CONF.format(workers=args.workers, root=root, port=nginx_port)
        )
        nginx = subprocess.Popen(
            ["nginx", "-c", str(root / "nginx.conf"), "-p", str(root), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        nginx_base = f"http://127.0.0.1:{nginx_port}"
        wait(nginx_base + "/" + files["profile JSON"])
        (root / "bare.py").write_text(BARE_APP)
        (root / "recorded.json").write_text(json.dumps(recorded))
        bare = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "bare:app", "--app-dir", str(root),
             "--port", str(bare_port), "--workers", str(args.workers), "--log-level", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        bare_base = f"http://127.0.0.1:{bare_port}"
        wait(bare_base + paths["profile JSON"])
        (root / "proxy.conf").write_text(
            PROXY_CONF.format(workers=args.workers, root=root, port=proxy_port, app_port=app_port)
        )
        proxy = subprocess.Popen(
            ["nginx", "-c", str(root / "proxy.conf"), "-p", str(root), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        proxy_base = f"http://127.0.0.1:{proxy_port}"
        wait(proxy_base + "/api/editions")
        args.proxy_cache = {}
        for name, path in paths.items():  # cached by the proxy before it is loaded
            for _ in range(3):
                headers = dict(raw_response(proxy_base + path)[1])
            cache, control = headers.get("x-cache"), headers.get("cache-control", "")
            # the proxy caches by the app's headers: pages are "no-cache" (community content
            # changes at any time), so the proxy passes them to the app
            storable = not any(word in control for word in ("no-cache", "no-store", "private"))
            if storable and cache != "HIT":
                raise SystemExit(f"the proxy does not cache {path} (X-Cache: {cache})")
            args.proxy_cache[name] = f"{cache} (`{control}`)"
        bases = {"app": app_base, "bare": bare_base, "proxy": proxy_base}
        script = root / "report.lua"
        script.write_text(WRK_SCRIPT)
        for name, path in paths.items():
            for connections in CONNECTIONS:
                runs: dict[str, list[dict]] = {who: [] for who in SERVERS}
                for _ in range(args.runs):  # the servers in turn, run after run
                    for who in SERVERS:
                        url = f"{nginx_base}/{files[name]}" if who == "nginx" else bases[who] + path
                        runs[who].append(wrk(url, connections, args.duration, script))
                row = {"name": name, "connections": connections, "runs": runs}
                row.update({who: median_run(runs[who]) for who in SERVERS})
                row["ratio"] = statistics.median(
                    a["rps"] / n["rps"] for a, n in zip(runs["app"], runs["nginx"], strict=True)
                )
                row["p95_ratio"] = statistics.median(
                    a["p95"] / max(n["p95"], 1e-3)
                    for a, n in zip(runs["app"], runs["nginx"], strict=True)
                )
                results.append(row)
                print(
                    f"{name:<13} c={connections:<3} "
                    + " | ".join(
                        f"{who} {row[who]['rps']:7.0f} req/s p95 {row[who]['p95']:5.2f} ms"
                        for who in SERVERS
                    ),
                    flush=True,
                )
    finally:
        for server in (proxy, nginx, bare):
            if server is not None:
                server.terminate()
                server.wait(timeout=20)
        app.terminate()
        app.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)
    section, ok = report(results, args)
    print(section)
    if args.write:
        write_docs(section)
    return 0 if ok else 1


def report(results: list[dict], args: argparse.Namespace) -> tuple[str, bool]:
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        START,
        f"## Against nginx serving the same bytes (`bench/bench_peers.py`, {stamp})",
        "",
        f"{platform.machine()}, {os.cpu_count()} cores (shared by every server and wrk), "
        f"Python {platform.python_version()}, load average before the run {args.load}; "
        f"`leftbehind serve --workers {args.workers}`; nginx {args.workers} workers with "
        "`gzip_static` on the same files; *bare uvicorn*: an ASGI function under uvicorn "
        f"({args.workers} workers) answering with the app's recorded status, headers and bytes "
        "(the ceiling of any app served by uvicorn); *proxy*: the production layout of "
        "docs/deployment.md, nginx `proxy_cache` in front of the app. wrk "
        f"{args.duration} s per server and row, `Accept-Encoding: gzip`, keep-alive; each row "
        f"is run {args.runs} times, the servers in turn; figures are medians over the runs, "
        "ratios to nginx the medians of each run's ratio (errors: summed). Targets at 10 and "
        "50 connections: app req/s >= 0.25x nginx, p95 <= 3x nginx, no errors.",
        "",
        "| response | conns | app req/s | nginx req/s | ratio | app p95 ms | nginx p95 ms | "
        "p95 ratio | errors | met | bare uvicorn req/s (/ nginx) | bare p95 ms (/ nginx) | "
        "app / bare | proxy req/s (/ nginx) | proxy p95 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]
    all_ok = True
    for row in results:
        a, n, b, x = row["app"], row["nginx"], row["bare"], row["proxy"]
        ratio, p95 = row["ratio"], row["p95_ratio"]
        errors = a["errors"] + n["errors"]
        checked = row["connections"] >= 10
        ok = (ratio >= 0.25 and p95 <= 3 and errors == 0) if checked else None
        if checked:
            all_ok &= bool(ok)
        met = "n/a" if ok is None else ("yes" if ok else "**no**")
        lines.append(
            f"| {row['name']} | {row['connections']} | {a['rps']:,.0f} | {n['rps']:,.0f} | "
            f"{ratio:.2f}x | {a['p95']:.2f} | {n['p95']:.2f} | {p95:.1f}x | {errors} | {met} | "
            f"{b['rps']:,.0f} ({b['rps'] / n['rps']:.2f}x) | "
            f"{b['p95']:.2f} ({b['p95'] / max(n['p95'], 1e-3):.1f}x) | "
            f"{a['rps'] / b['rps']:.2f}x | {x['rps']:,.0f} ({x['rps'] / n['rps']:.2f}x) | "
            f"{x['p95']:.2f} |"
        )
    errors = sum(row[w]["errors"] for row in results for w in ("bare", "proxy"))
    cache = "; ".join(f"{name}: {state}" for name, state in args.proxy_cache.items())
    lines += [
        "",
        f"The proxy's `X-Cache` after warming, by the app's `Cache-Control`: {cache}.",
        "",
        f"Result: {'all targets met' if all_ok else 'targets NOT all met'}. Errors from the bare "
        f"server and the proxy: {errors}.",
        END,
    ]
    return "\n".join(lines) + "\n", all_ok


def write_docs(section: str) -> None:
    from docsection import replace_section

    replace_section(DOC, START, END, section)
    print(f"wrote the peers section of {DOC}")


if __name__ == "__main__":
    sys.exit(main())
