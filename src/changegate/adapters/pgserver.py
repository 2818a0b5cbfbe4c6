"""A throwaway PostgreSQL server started from the local binaries.

Used by the migration verifier (``migrations check --verify``) and by the test
suite: a real server, never a mock. When we run as root, PostgreSQL refuses
to, so the server runs as the ``postgres`` user through ``runuser``.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

from changegate.adapters.proc import run
from changegate.errors import EnvironmentProblem

_EXTRA_BIN_DIRS = (
    "/usr/lib/postgresql/17/bin",
    "/usr/lib/postgresql/16/bin",
    "/usr/lib/postgresql/15/bin",
    "/usr/local/pgsql/bin",
)


def find_pg_binary(name: str) -> str | None:
    """Where ``initdb``/``pg_ctl`` live: PATH first, then Debian's versioned dirs."""
    found = shutil.which(name)
    if found:
        return found
    for d in _EXTRA_BIN_DIRS:
        candidate = Path(d) / name
        if candidate.exists():
            return str(candidate)
    return None


def free_port() -> int:
    """A TCP port nobody listens on right now (bind to 0, let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class PgServer:
    """One running throwaway server; use as a context manager or call :meth:`stop`."""

    base: Path
    port: int
    user: str = "postgres"
    _as_other_user: list[str] = field(default_factory=list)

    @property
    def url(self) -> str:
        """A SQLAlchemy URL for the default database (psycopg 3 driver)."""
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/postgres"

    def dsn(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        import psycopg

        with psycopg.connect(self.dsn(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')  # name is ours, not the user's
        return f"postgresql+psycopg://{self.user}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        pg_ctl = find_pg_binary("pg_ctl") or "pg_ctl"
        run(
            [
                *self._as_other_user,
                pg_ctl,
                "-D",
                str(self.base / "data"),
                "-m",
                "immediate",
                "stop",
            ],
            timeout=60,
        )
        shutil.rmtree(self.base, ignore_errors=True)

    def __enter__(self) -> PgServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_pg(fsync: bool = False) -> PgServer:
    """Start a fresh cluster in a temp dir on a free loopback port.

    ``fsync=False`` is for tests and migration rehearsals, where durability of
    the throwaway data is worthless; the ledger benchmark asks for ``True``.
    """
    initdb = find_pg_binary("initdb")
    pg_ctl = find_pg_binary("pg_ctl")
    if not initdb or not pg_ctl:
        raise EnvironmentProblem(
            "PostgreSQL binaries (initdb, pg_ctl) not found; install PostgreSQL 13+ "
            "or give a server URL instead"
        )
    base = Path(tempfile.mkdtemp(prefix="changegate-pg-"))
    as_user: list[str] = []
    if os.geteuid() == 0:
        runuser = shutil.which("runuser")
        if not runuser:
            raise EnvironmentProblem("running as root needs `runuser` to start PostgreSQL")
        as_user = [runuser, "-u", "postgres", "--"]
        shutil.chown(base, user="postgres")
        os.chmod(base, 0o700)
    data = base / "data"
    res = run(
        [
            *as_user,
            initdb,
            "-D",
            str(data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        ],
        timeout=120,
    )
    if not res.ok:
        shutil.rmtree(base, ignore_errors=True)
        raise EnvironmentProblem(f"initdb failed: {res.err.strip().splitlines()[-1:]}")
    for _ in range(5):
        port = free_port()
        opts = (
            f"-p {port} -k {base} -c listen_addresses=127.0.0.1 "
            f"-c fsync={'on' if fsync else 'off'} -c max_connections=50"
        )
        res = run(
            [
                *as_user,
                pg_ctl,
                "-D",
                str(data),
                "-l",
                str(base / "log"),
                "-w",
                "-t",
                "60",
                "-o",
                opts,
                "start",
            ],
            timeout=90,
        )
        if res.ok:
            return PgServer(base=base, port=port, _as_other_user=as_user)
    log = (base / "log").read_text(errors="replace") if (base / "log").exists() else ""
    shutil.rmtree(base, ignore_errors=True)
    raise EnvironmentProblem(f"PostgreSQL did not start: {log.strip().splitlines()[-1:]}")
