"""A lean ledger appender for the default SQLite database, on the stdlib driver.

Why a second way in: importing SQLAlchemy costs about 0.17 s, a third of the
budget of a cached ``changegate check``. This module does only what the verdict
cache's fast path needs — read the head, append chained events — with the same
rules as :mod:`changegate.adapters.storage.store`: the same connection settings
(WAL, ``synchronous=FULL``, a long busy timeout), the write lock taken at
``BEGIN IMMEDIATE`` before the head is read, and every event built by
:func:`changegate.core.ledger.chain_event`, so the chain cannot tell which path
appended it. Anything unexpected raises :class:`LeanUnavailable`; the caller then
takes the normal path, which reports problems properly.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from changegate.core.ledger import Event, canonical_json, chain_event, utc_timestamp

_INSERT = (
    "INSERT INTO ledger_events (seq, ts, actor, action, subject, payload, prev_hash, hash) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)


class LeanUnavailable(Exception):
    """The lean path cannot be used here (no database, another schema, a locked head...)."""


class LeanWriter:
    """Appends inside one ``BEGIN IMMEDIATE`` transaction; the head is tracked in memory."""

    def __init__(self, cur: sqlite3.Cursor, head: tuple[int, str] | None) -> None:
        self._cur = cur
        self.head = head
        self._rows: list[tuple[Any, ...]] = []

    def append(self, actor: str, action: str, subject: str, payload: dict[str, Any]) -> Event:
        event = chain_event(
            self.head, utc_timestamp(), actor, action, subject, canonical_json(payload)
        )
        self._rows.append(
            (
                event.seq,
                event.ts,
                event.actor,
                event.action,
                event.subject,
                event.payload,
                event.prev_hash,
                event.hash,
            )
        )
        self.head = (event.seq, event.hash)
        return event

    def flush(self) -> None:
        if self._rows:
            self._cur.executemany(_INSERT, self._rows)
            self._rows = []


def _connect(path: Path) -> sqlite3.Connection:
    if not path.is_file():
        raise LeanUnavailable(f"{path}: no database")
    try:
        conn = sqlite3.connect(str(path), isolation_level=None, timeout=60)
        conn.execute("PRAGMA busy_timeout = 60000")
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
    except sqlite3.Error as exc:
        raise LeanUnavailable(str(exc)) from exc
    return conn


@contextmanager
def writer(path: Path, revision: str) -> Iterator[tuple[LeanWriter, Event | None]]:
    """A locked append transaction on the SQLite ledger at ``path``, with its head event.

    Refuses (``LeanUnavailable``) unless the schema is at ``revision``. The head
    event is read after the lock is held, so the caller can decide on it and
    append without anyone slipping in between. Commits when the block ends
    normally, rolls back otherwise.
    """
    conn = _connect(path)
    try:
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            row = cur.execute("SELECT version_num FROM alembic_version").fetchone()
            if row is None or row[0] != revision:
                raise LeanUnavailable(f"schema revision {row and row[0]!r}, not {revision!r}")
            last = cur.execute(
                "SELECT seq, ts, actor, action, subject, payload, prev_hash, hash "
                "FROM ledger_events ORDER BY seq DESC LIMIT 1"
            ).fetchone()
            head = Event(*last) if last else None
            w = LeanWriter(cur, (head.seq, head.hash) if head else None)
            yield w, head
            w.flush()
        except BaseException:
            cur.execute("ROLLBACK")
            raise
        cur.execute("COMMIT")
    except sqlite3.Error as exc:
        raise LeanUnavailable(str(exc)) from exc
    finally:
        conn.close()
