"""Read-only ledger queries shaped for pages: keyset pages, newest first, filtered in SQL.

``Store.events`` returns whole result sets; a page needs "the 50 before seq N"
with filters the indexes serve (action, subject, ts), plus a few payload
matches that only ever scan one action's rows. Canonical JSON (sorted keys,
no spaces) makes ``"key":"value"`` a reliable substring of a payload.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, or_, select

from changegate.adapters.storage.schema import ledger_events as le
from changegate.adapters.storage.store import Store
from changegate.core.ledger import Event

PAGE = 50


@dataclass
class Page:
    events: list[Event]
    next_before: int | None  # seq to pass as ?before= for the next (older) page
    extra: dict[str, int] = field(default_factory=dict)


def _event(r: object) -> Event:
    m = r._mapping  # type: ignore[attr-defined]
    return Event(
        int(m["seq"]),
        m["ts"],
        m["actor"],
        m["action"],
        m["subject"],
        m["payload"],
        m["prev_hash"],
        m["hash"],
    )


def payload_has(key: str, value: str) -> ColumnElement[bool]:
    """The payload holds ``"key":"value"`` (string values, canonical JSON)."""
    needle = json.dumps({key: value}, ensure_ascii=False, separators=(",", ":"))[1:-1]
    return le.c.payload.contains(needle, autoescape=True)


def action_is(action: str) -> ColumnElement[bool]:
    """An exact action, or a prefix ending in '*' as a range (LIKE would skip the index)."""
    if action.endswith("*"):
        prefix = action[:-1]
        if not prefix:
            return le.c.action.is_not(None)
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return and_(le.c.action >= prefix, le.c.action < upper)
    return le.c.action == action


def page(
    store: Store,
    *,
    actions: Sequence[str] = (),
    subject: str | None = None,
    since: str | None = None,
    until: str | None = None,
    before: int | None = None,
    where: Sequence[ColumnElement[bool]] = (),
    limit: int = PAGE,
) -> Page:
    """The newest ``limit`` events matching, older than ``before``."""
    conds: list[ColumnElement[bool]] = list(where)
    if actions:
        conds.append(or_(*(action_is(a) for a in actions)))
    if subject:
        conds.append(le.c.subject == subject)
    if since:
        conds.append(le.c.ts >= since)
    if until:
        conds.append(le.c.ts < until)
    if before is not None:
        conds.append(le.c.seq < before)
    q = select(le).where(*conds).order_by(le.c.seq.desc()).limit(limit + 1)
    with store.engine.connect() as conn:
        rows = [_event(r) for r in conn.execute(q)]
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1].seq if more and rows else None)


def by_seqs(store: Store, seqs: Sequence[int]) -> list[Event]:
    if not seqs:
        return []
    with store.engine.connect() as conn:
        rows = conn.execute(select(le).where(le.c.seq.in_(list(seqs))).order_by(le.c.seq.desc()))
        return [_event(r) for r in rows]


def related(
    store: Store, actions: Sequence[str], keys: Sequence[str], values: Sequence[str]
) -> list[Event]:
    """Events of ``actions`` whose payload names one of ``values`` under one of ``keys``."""
    if not values:
        return []
    match = or_(*(payload_has(k, v) for k in keys for v in values))
    q = select(le).where(or_(*(action_is(a) for a in actions)), match).order_by(le.c.seq)
    with store.engine.connect() as conn:
        return [_event(r) for r in conn.execute(q)]


def for_subject(store: Store, subject: str) -> list[Event]:
    q = select(le).where(le.c.subject == subject).order_by(le.c.seq)
    with store.engine.connect() as conn:
        return [_event(r) for r in conn.execute(q)]


def subjects_with_prefix(store: Store, action: str, prefix: str, limit: int = 2) -> list[str]:
    q = (
        select(le.c.subject)
        .where(le.c.action == action, le.c.subject >= prefix, le.c.subject < prefix + "\uffff")
        .distinct()
        .limit(limit)
    )
    with store.engine.connect() as conn:
        return [str(r[0]) for r in conn.execute(q)]


def page_of(
    store: Store, newest: list[tuple[int, int]], before: int | None, limit: int = PAGE
) -> tuple[Page, dict[int, int]]:
    """One page out of (seq, count) pairs, newest first: the ``limit`` newest below ``before``."""
    chosen = [(s, n) for s, n in newest if before is None or s < before][: limit + 1]
    more = len(chosen) > limit
    chosen = chosen[:limit]
    events = by_seqs(store, [s for s, _ in chosen])
    return Page(events, events[-1].seq if more and events else None), dict(chosen)


@dataclass(frozen=True)
class Newest:
    """The newest event of a subject, reduced to what list filters need."""

    seq: int
    count: int
    subject: str
    ts: str
    verdict: str
