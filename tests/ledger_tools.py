"""Test helpers for the ledger: build chains in Python and play the attacker.

The attacker here has full write access to the database: they can drop the
append-only triggers and constraints, rewrite rows, recompute hashes. The
verifier must still tell what they did (or, for a full rewrite, that the chain
is not the one a checkpoint signed).
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import text

from changegate.adapters.storage.store import Store
from changegate.core.ledger import Event, chain_event, utc_timestamp

COLUMNS = ("seq", "ts", "actor", "action", "subject", "payload", "prev_hash", "hash")


def make_chain(n: int) -> list[Event]:
    events: list[Event] = []
    head = None
    for i in range(n):
        e = chain_event(
            head,
            utc_timestamp(),
            f"dev{i % 3}@example.com",
            ("review.approve", "gate.result", "deploy.start")[i % 3],
            f"change/{i // 2}",
            f'{{"i":{i},"note":"évènement {i}"}}',
        )
        events.append(e)
        head = (e.seq, e.hash)
    return events


def rehash(e: Event, *, seq: int | None = None, prev_hash: str | None = None) -> Event:
    moved = replace(
        e,
        seq=e.seq if seq is None else seq,
        prev_hash=e.prev_hash if prev_hash is None else prev_hash,
    )
    return replace(moved, hash=moved.computed_hash())


def rewrite_table(store: Store, rows: list[Event]) -> None:
    """Replace the ledger with ``rows`` in a table without triggers or constraints."""
    with store.engine.begin() as conn:
        conn.execute(text("DROP TABLE IF EXISTS ledger_events"))
        conn.execute(
            text(
                "CREATE TABLE ledger_events (seq BIGINT, ts VARCHAR(32), actor TEXT, "
                "action VARCHAR(128), subject TEXT, payload TEXT, prev_hash VARCHAR(64), "
                "hash VARCHAR(64))"
            )
        )
        if rows:
            conn.execute(
                text(
                    "INSERT INTO ledger_events VALUES "
                    "(:seq, :ts, :actor, :action, :subject, :payload, :prev_hash, :hash)"
                ),
                [{c: getattr(r, c) for c in COLUMNS} for r in rows],
            )
