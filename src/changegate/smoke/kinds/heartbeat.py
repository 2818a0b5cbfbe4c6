"""``kind = "heartbeat"``: a scheduled job ran recently (§2 "scheduled job liveness").

A deploy can silently stop a job (a cron entry not carried over, a worker that
no longer starts), and nothing fails until someone misses its output. The job's
last run time is read from one source — a file (its mtime, or a timestamp
written inside it), an HTTP endpoint (a JSON path to a timestamp) or a database
row (a query returning one timestamp) — and must be newer than
``max_age_seconds``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from changegate.core.policy import SmokeCheck
from changegate.smoke import jsonpath, timestamps
from changegate.smoke.httpget import Unreachable
from changegate.smoke.kinds.http import request
from changegate.smoke.probe import Context, Misconfigured, Outcome, one_line

FUTURE_TOLERANCE_S = 60  # clocks disagree a little; more than this is a wrong timestamp


class _NoTimestamp(Exception):
    """The source answered but holds no usable last-run time (the message says why)."""


def probe(check: SmokeCheck, ctx: Context) -> Outcome:
    """One attempt: read the last run time, then compare its age with the limit."""
    assert check.max_age_seconds is not None
    try:
        if check.path:
            where, last = _from_file(check, ctx)
        elif check.url:
            where, last = _from_url(check, ctx)
        else:
            where, last = _from_database(check, ctx)
    except _NoTimestamp as exc:
        return Outcome(False, str(exc))
    age = (datetime.now(UTC) - last).total_seconds()
    limit = f"max_age_seconds = {check.max_age_seconds:g}"
    stamp = last.isoformat(timespec="seconds")
    if age < -FUTURE_TOLERANCE_S:
        return Outcome(
            False, f"{where}: last run {stamp} is {timestamps.describe_age(-age)} in the future"
        )
    if age > check.max_age_seconds:
        return Outcome(
            False,
            f"{where}: last run {stamp}, {timestamps.describe_age(age)} ago; expected within "
            f"{limit}",
        )
    return Outcome(True, f"{where}: last run {timestamps.describe_age(max(age, 0))} ago ({limit})")


def _parse(where: str, value: object) -> datetime:
    try:
        return timestamps.parse(value)
    except ValueError as exc:
        raise _NoTimestamp(f"{where}: {exc}") from exc


def _from_file(check: SmokeCheck, ctx: Context) -> tuple[str, datetime]:
    assert check.path is not None
    path = ctx.resolve(check.path)
    where = f"heartbeat file {path}"
    try:
        if check.timestamp_from == "mtime":
            return where, datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)
        with path.open("rb") as fh:
            return where, _parse(where, fh.read(4096))
    except FileNotFoundError:
        raise _NoTimestamp(f"{where}: missing (the job has not run here)") from None
    except OSError as exc:
        raise _NoTimestamp(f"{where}: unreadable ({exc.strerror or exc})") from None


def _from_url(check: SmokeCheck, ctx: Context) -> tuple[str, datetime]:
    where = f"GET {check.url}"
    try:
        resp = request(check, ctx, with_credential=True)
    except Unreachable as exc:
        raise _NoTimestamp(str(exc)) from exc
    if not 200 <= resp.status < 300:
        raise _NoTimestamp(
            f"{where}: expected HTTP 2xx, got {resp.status} ({one_line(resp.text, 80)!r})"
        )
    if not check.json_path:
        return where, _parse(where, resp.text)
    try:
        found, value = jsonpath.lookup(resp.json(), check.json_path)
    except ValueError:
        raise _NoTimestamp(f"{where}: expected JSON, got {one_line(resp.text, 80)!r}") from None
    if not found or value is None:
        raise _NoTimestamp(f"{where}: no timestamp at {check.json_path}")
    return f"{where} {check.json_path}", _parse(where, value)


def _from_database(check: SmokeCheck, ctx: Context) -> tuple[str, datetime]:
    # Lazy: only database heartbeats pay for SQLAlchemy and a driver.
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import URL
    from sqlalchemy.exc import SQLAlchemyError
    from sqlalchemy.pool import NullPool

    from changegate.adapters.storage.engine import describe, normalise_url
    from changegate.errors import InputError

    assert check.database_url_env is not None and check.query is not None
    raw = ctx.secret(check.database_url_env, "the database URL of the heartbeat query")
    try:
        url = normalise_url(raw)
    except InputError:
        # normalise_url's message quotes the URL, which may carry a password.
        raise Misconfigured(
            f"{check.database_url_env} does not hold a usable database URL "
            "(sqlite:///PATH or postgresql://USER@HOST/DB)"
        ) from None
    connect_args: dict[str, object] = {}
    options: dict[str, object] = {}
    if url.get_backend_name() == "sqlite":
        path = ctx.resolve(url.database or "")
        if not url.database or not path.is_file():
            raise _NoTimestamp(f"database {check.database_url_env}: no SQLite file at {path}")
        # Read-only: a smoke query must never change the data it looks at.
        url = URL.create(
            "sqlite+pysqlite", database=f"file:{path}", query={"mode": "ro", "uri": "true"}
        )
        connect_args["timeout"] = check.timeout_seconds
    else:
        timeout_ms = int(check.timeout_seconds * 1000)
        connect_args["connect_timeout"] = max(1, int(check.timeout_seconds))
        connect_args["options"] = f"-c statement_timeout={timeout_ms}"
        options["postgresql_readonly"] = True
    where = f"database {check.database_url_env} ({describe(url)})"
    engine = None
    try:
        engine = create_engine(url, poolclass=NullPool, connect_args=connect_args)
        with engine.connect() as conn:
            row = conn.execution_options(**options).execute(text(check.query)).first()
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None) or exc
        reason = (str(orig).strip().splitlines() or [type(orig).__name__])[0]
        raise _NoTimestamp(f"{where}: query failed ({one_line(reason, 120)})") from exc
    finally:
        if engine is not None:
            engine.dispose()
    if row is None or row[0] is None:
        raise _NoTimestamp(f"{where}: the query returned no timestamp (has the job ever run?)")
    return where, _parse(where, row[0])
