"""Opening the database: URL rules, SQLite durability settings, and errors a person can act on.

SQLite is the zero-set-up default (one file in the repository's ``.changegate``
directory, WAL, ``synchronous=FULL`` so a committed event survives a power
cut); PostgreSQL is for teams. Both go through the same SQLAlchemy Core code.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from changegate.errors import EnvironmentProblem, InputError

DEFAULT_SQLITE = Path(".changegate") / "state.db"


def normalise_url(url: str) -> URL:
    """Accept the URLs people type (``postgresql://``, ``postgres://``, ``sqlite:///x.db``)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InputError(
            f"database URL {url!r} is not a URL; use sqlite:///PATH or postgresql://USER@HOST/DB"
        ) from exc
    if parsed.drivername in ("postgresql", "postgresql+psycopg"):
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        return parsed.set(drivername="sqlite+pysqlite")
    raise InputError(
        f"database URL scheme {parsed.drivername!r} is not supported; "
        "use sqlite:///PATH or postgresql://USER@HOST/DB"
    )


def describe(url: URL) -> str:
    """The URL with any password hidden, for messages."""
    return url.render_as_string(hide_password=True)


def _sqlite_hooks(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Take transaction control away from pysqlite so that we can say
        # BEGIN IMMEDIATE for writers (see _on_begin).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA busy_timeout = 60000")
        cur.execute("PRAGMA journal_mode = WAL")
        cur.execute("PRAGMA synchronous = FULL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        # Writers take the write lock at BEGIN, so two appenders cannot both
        # read the same head and then race to extend it.
        mode = "IMMEDIATE" if conn.get_execution_options().get("changegate_write") else "DEFERRED"
        conn.exec_driver_sql(f"BEGIN {mode}")


def create(url: URL, *, must_exist: bool) -> Engine:
    """An engine that has connected once, so every problem surfaces here as one clear line."""
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database and database != ":memory:":
            path = Path(database)
            if must_exist and not path.exists():
                raise InputError(
                    f"{path}: no changegate database here; run `changegate init` first "
                    "(or point --db / CHANGEGATE_DB at your database)"
                )
            path.parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(url, future=True)
    except NoSuchModuleError as exc:  # pragma: no cover - drivers are dependencies
        raise EnvironmentProblem(f"no database driver for {describe(url)}: {exc}") from exc
    if url.get_backend_name() == "sqlite":
        _sqlite_hooks(engine)
    try:
        with engine.connect() as conn:
            conn.execute(
                text("SELECT 1 FROM sqlite_master LIMIT 1")
                if url.get_backend_name() == "sqlite"
                else text("SELECT 1")
            )
    except DBAPIError as exc:
        engine.dispose()
        raise translate(exc, url) from exc
    return engine


def translate(exc: DBAPIError, url: URL) -> EnvironmentProblem:
    """A driver error turned into one line that says what is wrong and what to do."""
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
    where = describe(url)
    if url.get_backend_name() == "sqlite":
        if "not a database" in reason or "malformed" in reason:
            return EnvironmentProblem(
                f"{url.database}: not a valid SQLite database ({reason}); restore it from a "
                "backup or move it aside and run `changegate init`"
            )
        return EnvironmentProblem(f"{url.database}: cannot open the database ({reason})")
    return EnvironmentProblem(
        f"cannot reach the database at {where} ({reason}); check the URL and that the server runs"
    )
