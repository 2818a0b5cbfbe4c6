"""The runner's one connection to the target database (SQLite or PostgreSQL).

The runner needs things a pooled SQLAlchemy connection hides: a session-level
advisory lock held across many transactions, switching between "inside a
transaction" and autocommit per migration (``CREATE INDEX CONCURRENTLY``), and
``BEGIN IMMEDIATE`` on SQLite. So it talks to the DBAPI driver directly through
this small wrapper; URLs still follow the storage adapter's rules.

The connection starts in autocommit mode: every statement outside
:meth:`Database.transaction` commits on its own.
"""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from changegate.adapters.storage.engine import describe, normalise_url
from changegate.errors import EnvironmentProblem, InputError

Dialect = Literal["sqlite", "postgresql"]
# One lock for every runner on a database, whatever the set: two deploys at once
# must not interleave even when they touch different sets.
_LOCK_KEY = int.from_bytes(
    hashlib.sha256(b"changegate_schema_migrations").digest()[:8], "big", signed=True
)


class StatementFailed(Exception):
    """The database refused a statement; ``reason`` is the driver's first line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


class Database:
    """A DBAPI connection in autocommit mode with explicit transactions and a run lock."""

    def __init__(
        self, raw: Any, dialect: Dialect, where: str, errors: tuple[type[Exception], ...]
    ) -> None:
        self.raw = raw
        self.dialect: Dialect = dialect
        self.where = where  # the URL without password, for messages
        self._errors = errors  # the driver's error classes

    @property
    def server_version(self) -> int:
        """PostgreSQL's ``server_version_num`` (e.g. 160002); 0 on SQLite."""
        if self.dialect == "sqlite":
            return 0
        return int(self.raw.info.server_version)

    def _sql(self, sql: str) -> str:
        # Queries are written with %s; sqlite3 wants ?.
        return sql.replace("%s", "?") if self.dialect == "sqlite" else sql

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> None:
        """Run one statement; a refusal by the database becomes :class:`StatementFailed`."""
        try:
            if params is None:
                self.raw.execute(sql)  # no parameter processing: a literal % stays a %
            else:
                self.raw.execute(self._sql(sql), tuple(params))
        except self._errors as exc:
            raise StatementFailed(_first_line(exc)) from exc

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        cur = self.raw.execute(self._sql(sql), tuple(params))
        return [tuple(r) for r in cur.fetchall()]

    def has_table(self, name: str) -> bool:
        if self.dialect == "sqlite":
            sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = %s"
        else:
            sql = "SELECT 1 WHERE to_regclass(%s) IS NOT NULL"
        return bool(self.rows(sql, (name,)))

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One transaction: committed when the block ends, rolled back when it raises.

        On SQLite it starts with ``BEGIN IMMEDIATE`` so the write lock is taken
        before the runner re-reads the tracking table: a second runner waits here
        and then sees the first one's row.
        """
        if self.dialect == "postgresql":
            with self.raw.transaction():
                yield
            return
        self.raw.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self.raw.execute("ROLLBACK")
            raise
        self.raw.execute("COMMIT")

    @contextmanager
    def run_lock(self, timeout: float) -> Iterator[None]:
        """Hold the runner lock for the whole run (PostgreSQL: a session advisory lock).

        The lock is taken by polling so a stuck runner becomes a clear error after
        ``timeout`` seconds rather than a deploy that hangs. SQLite has no session
        locks; each migration's ``BEGIN IMMEDIATE`` plus a re-check of the tracking
        row keeps two runners from applying the same migration twice.
        """
        if self.dialect == "sqlite":
            yield
            return
        deadline = time.monotonic() + timeout
        while not self.rows("SELECT pg_try_advisory_lock(%s)", (_LOCK_KEY,))[0][0]:
            if time.monotonic() >= deadline:
                raise EnvironmentProblem(
                    f"{self.where}: another migration runner has held the lock for "
                    f"{timeout:g}s; wait for it to finish or find it in pg_locks "
                    "(locktype 'advisory') and stop it"
                )
            time.sleep(0.2)
        try:
            yield
        finally:
            self.rows("SELECT pg_advisory_unlock(%s)", (_LOCK_KEY,))


@contextmanager
def connect(database_url: str, *, read_only: bool = False) -> Iterator[Database]:
    """An autocommit connection to ``database_url``; unreachable is an EnvironmentProblem.

    ``read_only`` (plan, applied_versions) opens a missing SQLite file as an
    empty database rather than creating it; they only read.
    """
    url = normalise_url(database_url)
    where = describe(url)
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if not database or database == ":memory:":
            raise InputError(
                f"{database_url}: the runner needs a database file; use sqlite:///PATH"
            )
        target = database
        if read_only and not Path(database).exists():
            target = ":memory:"  # nothing applied yet; plan must not create the file
        elif not read_only:
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        try:
            raw: Any = sqlite3.connect(target, isolation_level=None, timeout=60)
            raw.execute("PRAGMA busy_timeout = 60000")
        except sqlite3.Error as exc:
            raise EnvironmentProblem(f"{database}: cannot open the database ({exc})") from exc
        dialect: Dialect = "sqlite"
        errors: tuple[type[Exception], ...] = (sqlite3.Error,)
    else:
        import psycopg

        libpq = url.set(drivername="postgresql").render_as_string(hide_password=False)
        try:
            raw = psycopg.connect(libpq, autocommit=True, connect_timeout=30)
        except psycopg.Error as exc:
            raise EnvironmentProblem(
                f"cannot reach the database at {where} ({_first_line(exc)}); "
                "check the URL and that the server runs"
            ) from exc
        dialect = "postgresql"
        errors = (psycopg.Error,)
    try:
        yield Database(raw, dialect, where, errors)
    finally:
        raw.close()
