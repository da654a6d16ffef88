"""Community database under load, on SQLite and PostgreSQL (a script, not a test).

For each backend it starts ``leftbehind serve`` in its own process on a free 127.0.0.1 port
(SQLite: a WAL file in a temporary folder; PostgreSQL: a throwaway server started like the test
fixtures do), makes an editor with an API token and one measure, then:

1. **Concurrent writers**: 50 clients (threads, one keep-alive connection each) post 20
   observations each to the one measure; counts 201s and errors, and the rows stored
   (target: 1,000 stored, 0 errors); writes/s = 1,000 / wall time (target >= 200/s on SQLite).
2. **Reads**: ``GET /api/areas/{code}/measures`` (the area has 5 published measures) from one
   client, against the baseline ``GET /api/editions`` (a document prepared at build time) in the
   same run; p50/p95 (target p95 <= 20 ms).
3. **SIGKILL mid-load**: the same 50 x 20 load, the server killed with SIGKILL after 1 s,
   restarted; every observation whose 201 reached a client must still be there.

Each of 1 and 2 is run ``--runs`` times (median reported). Appends a table to
``docs/performance.md`` unless ``--no-write``.

    python bench/bench_community.py [--home DIR] [--runs 3] [--backends sqlite,postgresql]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))  # the throwaway PostgreSQL server of the test fixtures

CODE = "E05000028"
CLIENTS, EACH = 50, 20


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, home: Path, url: str) -> None:
        self.home, self.url, self.port = home, url, free_port()
        self.proc: subprocess.Popen | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        env = {
            **os.environ,
            "LEFTBEHIND_HOME": str(self.home),
            "LEFTBEHIND_DATABASE_URL": self.url,
            "LEFTBEHIND_SECRET_KEY": "bench-" + "k" * 40,
            "PYTHONPATH": str(REPO / "src"),
        }
        cmd = [sys.executable, "-m", "leftbehind", "serve", "--port", str(self.port)]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 180  # the store's views load first (slow on a busy machine)
        while time.monotonic() < deadline:
            try:
                if httpx.get(self.base + "/api/editions", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise SystemExit("server did not start within 180 s")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(timeout=30)
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:  # still warming profiles: do not wait for it
                self.proc.kill()
                self.proc.wait(timeout=30)
            self.proc = None


def load(base: str, token: str, measure_id: int, stop_after: float | None = None):
    """50 clients x 20 observations; returns (acknowledged ids, errors, seconds)."""
    acked: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()
    start = threading.Barrier(CLIENTS + 1)

    def client(i: int) -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base, headers=headers, timeout=60) as c:
            start.wait()
            for j in range(EACH):
                body = {"value": i * 1000 + j, "date": "2024-06-01", "note": f"client {i}"}
                try:
                    r = c.post(f"/api/measures/{measure_id}/observations", json=body)
                except httpx.HTTPError as exc:
                    with lock:
                        errors.append(type(exc).__name__)
                    if stop_after is not None:
                        return
                    continue
                with lock:
                    if r.status_code == 201:
                        acked.append(r.json()["id"])
                    else:
                        errors.append(str(r.status_code))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    if stop_after is not None:
        time.sleep(stop_after)
        return acked, errors, t0
    for t in threads:
        t.join()
    return acked, errors, time.perf_counter() - t0


def latencies(base: str, path: str, n: int) -> list[float]:
    out = []
    with httpx.Client(base_url=base, timeout=30) as c:
        for _ in range(20):
            c.get(path)  # warm the connection and the path
        for _ in range(n):
            t0 = time.perf_counter()
            r = c.get(path)
            out.append((time.perf_counter() - t0) * 1000)
            assert r.status_code == 200, (path, r.status_code)
    return out


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[94]


def stored(url: str, measure_id: int) -> set[int]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            text("SELECT id FROM observations WHERE measure_id = :m"), {"m": measure_id}
        )
        ids = {r for (r,) in rows}
    engine.dispose()
    return ids


def setup(url: str, home: Path) -> tuple[str, int]:
    from leftbehind.community import Community, accounts
    from leftbehind.community.inputs import MeasureIn
    from leftbehind.community.measures import create_measure
    from leftbehind.community.schema import upgrade

    upgrade(url)
    db = Community(url)
    who = accounts.add_user(db, "bench@example.org", "bench password", "editor", [CODE])
    token = accounts.issue_token(db, who.email)
    ids = [
        create_measure(db, who, CODE, MeasureIn(name=f"Measure {i}", status="published"))["id"]
        for i in range(5)
    ]
    db.dispose()
    return token, ids[0]


def run_backend(name: str, url: str, home: Path, runs: int) -> dict:
    token, measure_id = setup(url, home)
    server = Server(home, url)
    server.start()
    result: dict = {"backend": name, "write_runs": [], "errors": 0, "stored_ok": True}
    try:
        for _ in range(runs):
            before = stored(url, measure_id)
            acked, errors, seconds = load(server.base, token, measure_id)
            after = stored(url, measure_id)
            result["write_runs"].append(CLIENTS * EACH / seconds)
            result["errors"] += len(errors)
            new = after - before
            result["stored_ok"] &= len(new) == CLIENTS * EACH and set(acked) == new
            result.setdefault("stored", []).append(len(new))
        reads, floors = [], []
        for _ in range(runs):
            floors.append(latencies(server.base, "/api/editions", 300))
            reads.append(latencies(server.base, f"/api/areas/{CODE}/measures", 300))
        result["read_p50"] = statistics.median(statistics.median(r) for r in reads)
        result["read_p95"] = statistics.median(p95(r) for r in reads)
        result["floor_p50"] = statistics.median(statistics.median(r) for r in floors)
        result["floor_p95"] = statistics.median(p95(r) for r in floors)

        # SIGKILL mid-load: whatever was acknowledged must survive
        before = stored(url, measure_id)
        acked, _, _ = load(server.base, token, measure_id, stop_after=1.0)
        server.kill()
        acked_now = set(acked)  # 201s received before the kill
        time.sleep(1.0)  # let the clients see the connection drop
        server = Server(home, url)
        server.start()
        survived = stored(url, measure_id) - before
        result["killed_acked"] = len(acked_now)
        result["killed_lost"] = len(acked_now - survived)
    finally:
        server.stop()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    home_default = os.environ.get("LEFTBEHIND_TEST_HOME") or os.environ.get("LEFTBEHIND_HOME")
    parser.add_argument("--home", default=home_default, help="folder with the built store")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    if not args.home or not (Path(args.home) / "leftbehind.duckdb").exists():
        raise SystemExit("give --home, a folder with a built leftbehind.duckdb")
    home = Path(args.home)
    results = []
    for backend in args.backends.split(","):
        if backend == "sqlite":
            tmp = Path(tempfile.mkdtemp(prefix="bench-community-"))
            results.append(run_backend("SQLite (WAL)", f"sqlite:///{tmp / 'c.sqlite3'}", home,
                                       args.runs))  # fmt: skip
        else:
            import pgserver

            server = pgserver.start()
            try:
                url = server.create_database("bench")
                results.append(run_backend("PostgreSQL 15", url, home, args.runs))
            finally:
                server.stop()
    lines = [
        "",
        f"## Community database under load (`bench/bench_community.py`, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC)",
        "",
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; one "
        "`leftbehind serve` process (uvicorn) on 127.0.0.1, the clients (threads) in the bench's "
        "process; "
        f"median of {args.runs} runs. Writes: {CLIENTS} concurrent clients x {EACH} "
        "observations to one measure. Reads: one client, 300 requests; baseline in the same "
        "run: `/api/editions` (prepared at build time).",
        "",
        "| backend | writes/s (median; runs) | stored per run | errors | reads p50 / p95 ms "
        "| baseline p50 / p95 ms | SIGKILL: acknowledged / lost |",
        "|---|---|---|---:|---|---|---|",
    ]
    for r in results:
        runs = ", ".join(f"{x:.0f}" for x in r["write_runs"])
        lines.append(
            f"| {r['backend']} | {statistics.median(r['write_runs']):.0f} ({runs}) | "
            f"{', '.join(str(x) for x in r['stored'])} | {r['errors']} | "
            f"{r['read_p50']:.1f} / {r['read_p95']:.1f} | "
            f"{r['floor_p50']:.1f} / {r['floor_p95']:.1f} | "
            f"{r['killed_acked']} / {r['killed_lost']} |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if not args.no_write:
        with open(REPO / "docs" / "performance.md", "a", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
