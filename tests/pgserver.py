"""A throwaway PostgreSQL server for the tests: initdb in a temporary folder, started with
pg_ctl on a free loopback port, stopped at the end. Finds Debian's binaries in
/usr/lib/postgresql/*/bin (``apt-get install postgresql``) or on PATH. PostgreSQL refuses to run
as root, so as root the server runs as the ``postgres`` account the Debian package creates."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path


def find_bindir() -> Path | None:
    candidates = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"),
        key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0,
    )
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class PgServer:
    bindir: Path
    datadir: Path
    port: int
    user: str | None  # the OS account the server runs as (None: this one)

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def _run(self, *args: str) -> None:
        subprocess.run(
            [str(self.bindir / args[0]), *args[1:]],
            check=True,
            capture_output=True,
            user=self.user,
            cwd=self.datadir.parent,
            timeout=120,
        )

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.datadir), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.datadir.parent, ignore_errors=True)

    def create_database(self, name: str) -> str:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as con:
            con.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(
            f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True
        ) as con:
            con.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start() -> PgServer:
    """Start a server; raises ``RuntimeError`` saying why when that is impossible here."""
    bindir = find_bindir()
    if bindir is None:
        raise RuntimeError(
            "PostgreSQL is not installed (apt-get install postgresql; .ci/run does this)"
        )
    user = None
    root = tempfile.mkdtemp(prefix="leftbehind-pg-")
    os.chmod(root, 0o755)
    if os.geteuid() == 0:
        try:
            account = pwd.getpwnam("postgres")
        except KeyError:
            raise RuntimeError("running as root and there is no 'postgres' account") from None
        user = "postgres"
        os.chown(root, account.pw_uid, account.pw_gid)
    datadir = Path(root) / "data"
    server = PgServer(bindir, datadir, _free_port(), user)
    try:
        server._run(
            "initdb", "-D", str(datadir), "-U", "postgres", "--auth=trust", "-E", "UTF8",
            "--no-sync", "--locale=C",
        )  # fmt: skip
        options = (
            f"-p {server.port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c max_connections=200 -c synchronous_commit=on"
        )
        server._run(
            "pg_ctl", "-D", str(datadir), "-o", options, "-l", str(Path(root) / "log"), "-w",
            "-t", "60", "start",
        )  # fmt: skip
    except (subprocess.CalledProcessError, OSError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(root, ignore_errors=True)
        raise RuntimeError(
            f"could not start PostgreSQL from {bindir}: {exc} {detail.decode(errors='replace')}"
        ) from None
    return server
