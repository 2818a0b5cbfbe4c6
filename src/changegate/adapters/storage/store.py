"""The store: schema upgrades and the append-only ledger, on SQLite or PostgreSQL.

Appends are serialized so concurrent writers never fork the chain: SQLite
takes its write lock at ``BEGIN IMMEDIATE``; PostgreSQL takes a transaction-
scoped advisory lock. Either way the head is read *after* the lock is held,
and the UNIQUE constraint on ``prev_hash`` is the last line of defence.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, func, inspect, select, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from changegate.adapters.storage import engine as engines
from changegate.adapters.storage.schema import ledger_events
from changegate.core.ledger import (
    Event,
    LedgerFieldError,
    LinkRow,
    canonical_json,
    chain_event,
    utc_timestamp,
)
from changegate.errors import EnvironmentProblem, InputError

# Bump together with a new Alembic revision (a test holds them equal), so
# opening an up-to-date database never imports Alembic.
HEAD_REVISION = "0003_config"
_ADVISORY_KEY = 0x636867_6C6467  # "chg" "ldg": one lock for the one ledger

_PG_CHUNK = 20_000  # events per page when reading the chain from PostgreSQL
_FIELDS = ("prev_hash", "seq", "ts", "actor", "action", "subject", "payload")
_MESSAGE_SQL = {
    # Builds core.ledger.event_message() in SQL: header, then each field as a
    # netstring. Verification streams these bytes instead of re-encoding rows.
    # SQLite: one printf per row is much cheaper than fourteen concatenations.
    "sqlite": (
        "SELECT seq, prev_hash, hash, CAST('changegate-ledger-v1' || char(10) || printf('"
        + "%d:%s," * len(_FIELDS)
        + "', "
        + ", ".join(f"length(CAST({col} AS BLOB)), {col}" for col in _FIELDS)
        + ") AS BLOB) FROM ledger_events"
    ),
    "postgresql": (
        "SELECT seq, prev_hash, hash, convert_to('changegate-ledger-v1' || chr(10)"
        + "".join(
            f" || octet_length({col}) || ':' || {col} || ','"
            for col in ("prev_hash", "seq::text", *_FIELDS[2:])
        )
        + ", 'UTF8') FROM ledger_events"
    ),
}


@dataclass(frozen=True)
class EventFilter:
    """Which events ``audit log`` shows; every field narrows, None means any."""

    actor: str | None = None
    action: str | None = None  # exact, or a prefix ending in '*' ("review.*")
    subject: str | None = None
    since: str | None = None  # ledger timestamp text, inclusive
    until: str | None = None  # ledger timestamp text, exclusive
    limit: int | None = None
    newest_first: bool = False


class LedgerWriter:
    """Appends inside one locked transaction; the head is tracked in memory.

    Rows are buffered and written with one multi-row INSERT at commit (or
    when the transaction's connection is handed out), which is what makes
    batched durable appends cheap.
    """

    def __init__(self, conn: Connection, head: tuple[int, str] | None) -> None:
        self._conn = conn
        self._head = head
        self._pending: list[dict[str, Any]] = []

    def append(self, actor: str, action: str, subject: str, payload: dict[str, Any]) -> Event:
        try:
            event = chain_event(
                self._head, utc_timestamp(), actor, action, subject, canonical_json(payload)
            )
        except LedgerFieldError as exc:
            raise InputError(f"cannot record {action!r}: {exc}") from exc
        self._pending.append(
            {
                "seq": event.seq,
                "ts": event.ts,
                "actor": event.actor,
                "action": event.action,
                "subject": event.subject,
                "payload": event.payload,
                "prev_hash": event.prev_hash,
                "hash": event.hash,
            }
        )
        self._head = (event.seq, event.hash)
        return event

    def flush(self) -> None:
        if self._pending:
            self._conn.execute(ledger_events.insert(), self._pending)
            self._pending = []

    @property
    def connection(self) -> Connection:
        """For workflows that write their own tables in the same transaction as the event."""
        self.flush()
        return self._conn


class Store:
    """One database: the ledger and (in later revisions) the state built around it."""

    def __init__(self, engine: Engine, url: URL) -> None:
        self.engine = engine
        self.url = url

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def describe(self) -> str:
        return engines.describe(self.url)

    def close(self) -> None:
        self.engine.dispose()

    # ----------------------------------------------------------------- schema

    def revision(self) -> str | None:
        """The schema revision, or None when the database has no changegate schema.

        A direct query (an error when the table is missing) rather than an
        inspector: this runs on every command and should cost one round trip.
        """
        try:
            with self.engine.connect() as conn:
                value = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
                return str(value) if value is not None else None
        except DBAPIError as exc:
            if "alembic_version" in str(exc.orig):
                return None
            raise engines.translate(exc, self.url) from exc

    def upgrade(self) -> None:
        """Bring the schema to the newest revision through Alembic."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", "changegate.adapters.storage:migrations")
        try:
            with self.engine.begin() as conn:
                cfg.attributes["connection"] = conn
                command.upgrade(cfg, "head")
        except DBAPIError as exc:
            raise engines.translate(exc, self.url) from exc

    def ensure_schema(self, *, create: bool) -> None:
        current = self.revision()
        if current == HEAD_REVISION:
            return
        if current is None:
            with self._connect() as conn:
                foreign = inspect(conn).get_table_names()
            if foreign:
                raise EnvironmentProblem(
                    f"{self.describe()} holds tables that are not changegate's "
                    f"({', '.join(sorted(foreign)[:3])}); point --db at a dedicated database"
                )
            if not create:
                raise InputError(
                    f"{self.describe()} has no changegate ledger yet; run `changegate init` "
                    "with the same --db / CHANGEGATE_DB"
                )
        self.upgrade()
        if self.revision() != HEAD_REVISION:
            raise EnvironmentProblem(
                f"{self.describe()} has schema revision {current!r}, newer than this "
                "changegate knows; upgrade changegate"
            )

    # ----------------------------------------------------------------- writing

    @contextmanager
    def writer(self) -> Iterator[LedgerWriter]:
        """A serialized append transaction: commit on success, roll back on error."""
        try:
            with self.engine.connect() as raw:
                conn = raw.execution_options(changegate_write=True)
                with conn.begin():
                    if self.dialect == "postgresql":
                        conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
                    writer = LedgerWriter(conn, self._head(conn))
                    yield writer
                    writer.flush()
        except DBAPIError as exc:
            raise engines.translate(exc, self.url) from exc

    def append(self, actor: str, action: str, subject: str, payload: dict[str, Any]) -> Event:
        with self.writer() as w:
            return w.append(actor, action, subject, payload)

    # ----------------------------------------------------------------- reading

    @contextmanager
    def _connect(self) -> Iterator[Connection]:
        try:
            with self.engine.connect() as conn:
                yield conn
        except DBAPIError as exc:
            raise engines.translate(exc, self.url) from exc

    @staticmethod
    def _head(conn: Connection) -> tuple[int, str] | None:
        row = conn.execute(
            select(ledger_events.c.seq, ledger_events.c.hash)
            .order_by(ledger_events.c.seq.desc())
            .limit(1)
        ).first()
        return (int(row[0]), str(row[1])) if row else None

    def head(self) -> tuple[int, str] | None:
        with self._connect() as conn:
            return self._head(conn)

    def count(self) -> int:
        with self._connect() as conn:
            return int(conn.execute(select(func.count()).select_from(ledger_events)).scalar_one())

    def hash_at(self, seq: int) -> str | None:
        with self._connect() as conn:
            value = conn.execute(
                select(ledger_events.c.hash).where(ledger_events.c.seq == seq)
            ).scalar()
            return str(value) if value is not None else None

    def events(self, flt: EventFilter | None = None) -> list[Event]:
        flt = flt or EventFilter()
        order = ledger_events.c.seq.desc() if flt.newest_first else ledger_events.c.seq
        q = select(ledger_events).order_by(order)
        c = ledger_events.c
        if flt.actor:
            q = q.where(c.actor == flt.actor)
        if flt.action:
            if flt.action.endswith("*"):
                q = q.where(c.action.startswith(flt.action[:-1], autoescape=True))
            else:
                q = q.where(c.action == flt.action)
        if flt.subject:
            q = q.where(c.subject == flt.subject)
        if flt.since:
            q = q.where(c.ts >= flt.since)
        if flt.until:
            q = q.where(c.ts < flt.until)
        if flt.limit:
            q = q.limit(flt.limit)
        with self._connect() as conn:
            return [_event(r._mapping) for r in conn.execute(q)]

    def seq_span(self) -> tuple[int, int]:
        """(lowest seq, highest seq), (0, 0) for an empty ledger: two index look-ups."""
        with self._connect() as conn:
            return self._span(conn)

    @staticmethod
    def _span(conn: Connection) -> tuple[int, int]:
        row = conn.execute(
            select(func.min(ledger_events.c.seq), func.max(ledger_events.c.seq))
        ).one()
        return (int(row[0] or 0), int(row[1] or 0))

    @contextmanager
    def link_rows(
        self, lo: int | None = None, hi: int | None = None
    ) -> Iterator[Iterator[LinkRow]]:
        """Events as (seq, prev_hash, hash, message) in seq order, optionally lo <= seq < hi.

        The driver's own cursor: SQLAlchemy's Row objects would cost more than
        the hashing. SQLite streams one query; PostgreSQL is read in seq
        ranges of :data:`_PG_CHUNK` (keyset pages: bounded memory, without the
        round trips of a server-side cursor) with binary results, so each
        message arrives as raw bytes rather than as hex text twice its size.
        """
        sql = _MESSAGE_SQL[self.dialect]
        with self._connect() as conn:
            dbapi: Any = conn.connection.driver_connection
            if self.dialect == "postgresql":
                if lo is None or hi is None:
                    first, last = self._span(conn)
                    lo, hi = first, last + 1
                yield self._pg_pages(dbapi, sql, lo, hi)
                return
            params: tuple[int, ...] = ()
            if lo is not None and hi is not None:
                sql += " WHERE seq >= ? AND seq < ?"
                params = (lo, hi)
            cur = dbapi.cursor()
            try:
                cur.execute(sql + " ORDER BY seq", params)
                yield iter(cur)
            finally:
                cur.close()

    @staticmethod
    def _pg_pages(dbapi: Any, sql: str, lo: int, hi: int) -> Iterator[LinkRow]:
        page = sql + " WHERE seq >= %s AND seq < %s ORDER BY seq"
        with dbapi.cursor() as cur:
            for start in range(lo, hi, _PG_CHUNK):
                cur.execute(page, (start, min(start + _PG_CHUNK, hi)), binary=True)
                yield from cur.fetchall()


def _event(m: Any) -> Event:
    return Event(
        seq=int(m["seq"]),
        ts=m["ts"],
        actor=m["actor"],
        action=m["action"],
        subject=m["subject"],
        payload=m["payload"],
        prev_hash=m["prev_hash"],
        hash=m["hash"],
    )


def open_store(url: str | None, repo_root: Path, *, create: bool = False) -> Store:
    """The store named by ``url`` or the repository's SQLite default.

    ``create`` is for ``init`` only: every other command refuses to invent an
    empty ledger where one was expected, which would hide a wrong path.
    """
    if url:
        parsed = engines.normalise_url(url)
    else:
        parsed = engines.normalise_url(f"sqlite:///{repo_root / engines.DEFAULT_SQLITE}")
    engine = engines.create(parsed, must_exist=not create)
    store = Store(engine, parsed)
    try:
        store.ensure_schema(create=create)
    except BaseException:
        store.close()
        raise
    return store
