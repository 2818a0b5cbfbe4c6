"""Whole-ledger reductions the pages share, kept current by folding only new events.

The ledger is append-only and writers are serialized (SQLite's write lock, a
PostgreSQL advisory lock, each event chained to its predecessor), so what a
reader sees is always a gap-free prefix ``1..head``. A reduction that covers
``1..n`` therefore becomes one that covers ``1..head`` by folding the events
``n < seq <= head`` -- a keyset read that costs as much as what was appended,
not as much as the ledger. Recomputing from scratch on every new head made the
first page after an append cost a full scan (hundreds of milliseconds at 70k
events).

A full rebuild happens only when the cached prefix is no longer a prefix of
the ledger: the ledger is shorter than what was folded, or the event at the
cached head has another hash (a different or damaged database).

Each :class:`Incremental` serializes its own updates with a lock, so two
requests at once never fold the same events twice; the value it hands out is
never mutated afterwards (each fold publishes a fresh value), so a page that
is still rendering the previous value is not disturbed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from sqlalchemy import case, func, or_, select

from changegate.adapters.storage.schema import ledger_events as le
from changegate.adapters.storage.store import Store
from changegate.core import emergency as em
from changegate.core import leaks as lk
from changegate.core.ledger import Event
from changegate.web import reads

S = TypeVar("S")  # the accumulator a fold keeps between heads
V = TypeVar("V")  # the value it publishes (never mutated once handed out)
Head = tuple[int, str]


def events_between(store: Store, actions: Sequence[str], after: int, upto: int) -> list[Event]:
    """Events of ``actions`` with ``after < seq <= upto``, in ledger order (a keyset range)."""
    conds = [le.c.seq > after, le.c.seq <= upto]
    if actions:
        conds.append(or_(*(reads.action_is(a) for a in actions)))
    q = select(le).where(*conds).order_by(le.c.seq)
    with store.engine.connect() as conn:
        return [reads._event(r) for r in conn.execute(q)]


@dataclass
class Fold(Generic[S, V]):
    """How one reduction is built: from scratch, by steps, and what it shows.

    ``rebuild(store, upto)`` may use an aggregate query (it must read only
    ``seq <= upto``); ``step`` must give the same accumulator as a rebuild
    over the longer prefix -- tests/web/test_folds.py holds it to that.
    """

    name: str
    actions: tuple[str, ...]
    rebuild: Callable[[Store, int], S]
    step: Callable[[S, list[Event]], S]
    publish: Callable[[S], V]


@dataclass(frozen=True)
class _Built(Generic[S, V]):
    covered: Head | None  # the head folded up to (None: an empty ledger)
    acc: S
    value: V


class Incremental(Generic[S, V]):
    """One fold's accumulator and the head (seq, hash) it covers."""

    def __init__(self, fold: Fold[S, V]) -> None:
        self.fold = fold
        self._lock = threading.Lock()
        self._built: _Built[S, V] | None = None
        self.rebuilds = 0  # how many full rebuilds (tests and the bench look)

    def get(self, store: Store) -> V:
        """The value at the current head, folding in what was appended since the last call."""
        with self._lock:
            head = store.head()
            built = self._built
            if built is not None and head == built.covered:
                return built.value
            upto = head[0] if head else 0
            if built is not None and _is_prefix(store, built.covered, head):
                after = built.covered[0] if built.covered else 0
                new = events_between(store, self.fold.actions, after, upto)
                self._built = None  # a failing step may leave the accumulator half-changed
                acc = self.fold.step(built.acc, new)
            else:
                acc = self.fold.rebuild(store, upto)
                self.rebuilds += 1
            self._built = _Built(head, acc, self.fold.publish(acc))
            return self._built.value


def _is_prefix(store: Store, covered: Head | None, head: Head | None) -> bool:
    """Whether the ledger that was folded up to ``covered`` is still the start of this one."""
    if covered is None:
        return True  # an empty ledger: anything is a continuation of it
    if head is None or head[0] < covered[0]:
        return False
    return head == covered or store.hash_at(covered[0]) == covered[1]


# --------------------------------------------------------------- newest verdicts


def _verdict(payload: str) -> str:
    """The same test as the rebuild's SQL (``reads.payload_has``): canonical-JSON substring."""
    return "pass" if '"verdict":"pass"' in payload else "blocked"


def _verdicts_rebuild(store: Store, upto: int) -> dict[str, reads.Newest]:
    grouped = (
        select(func.max(le.c.seq).label("seq"), func.count().label("n"))
        .where(le.c.action == "check.verdict", le.c.seq <= upto)
        .group_by(le.c.subject)
        .subquery()
    )
    passed = case((reads.payload_has("verdict", "pass"), "pass"), else_="blocked")
    q = (
        select(le.c.seq, grouped.c.n, le.c.subject, le.c.ts, passed)
        .join(grouped, le.c.seq == grouped.c.seq)
        .order_by(le.c.seq)
    )
    with store.engine.connect() as conn:
        return {
            str(r[2]): reads.Newest(int(r[0]), int(r[1]), str(r[2]), str(r[3]), str(r[4]))
            for r in conn.execute(q)
        }


def _verdicts_step(acc: dict[str, reads.Newest], events: list[Event]) -> dict[str, reads.Newest]:
    """Move each re-checked change to the newest end (dicts keep insertion order = seq order)."""
    for e in events:
        prev = acc.pop(e.subject, None)
        count = prev.count + 1 if prev else 1
        acc[e.subject] = reads.Newest(e.seq, count, e.subject, e.ts, _verdict(e.payload))
    return acc


def _newest_first(acc: dict[str, reads.Newest]) -> tuple[reads.Newest, ...]:
    return tuple(reversed(acc.values()))


VERDICTS: Fold[dict[str, reads.Newest], tuple[reads.Newest, ...]] = Fold(
    "changes.newest", ("check.verdict",), _verdicts_rebuild, _verdicts_step, _newest_first
)


# ------------------------------------------------- newest event per subject / overall


def _newest_rebuild(action: str) -> Callable[[Store, int], dict[str, Event]]:
    def rebuild(store: Store, upto: int) -> dict[str, Event]:
        newest = (
            select(func.max(le.c.seq))
            .where(le.c.action == action, le.c.seq <= upto)
            .group_by(le.c.subject)
        )
        with store.engine.connect() as conn:
            rows = conn.execute(select(le).where(le.c.seq.in_(newest)))
            return {e.subject: e for e in map(reads._event, rows)}

    return rebuild


def _newest_step(acc: dict[str, Event], events: list[Event]) -> dict[str, Event]:
    acc.update((e.subject, e) for e in events)
    return acc


def _by_subject(acc: dict[str, Event]) -> tuple[Event, ...]:
    return tuple(acc[s] for s in sorted(acc))


LATEST_DEPLOYS: Fold[dict[str, Event], tuple[Event, ...]] = Fold(
    "deploys.latest",
    ("deploy.finished",),
    _newest_rebuild("deploy.finished"),
    _newest_step,
    _by_subject,
)


def _last_rebuild(action: str) -> Callable[[Store, int], Event | None]:
    def rebuild(store: Store, upto: int) -> Event | None:
        q = select(le).where(le.c.action == action, le.c.seq <= upto)
        with store.engine.connect() as conn:
            row = conn.execute(q.order_by(le.c.seq.desc()).limit(1)).first()
        return reads._event(row) if row is not None else None

    return rebuild


def _last_step(acc: Event | None, events: list[Event]) -> Event | None:
    return events[-1] if events else acc


def last_of(action: str) -> Fold[Event | None, Event | None]:
    """The newest event of one action (e.g. the last policy review)."""
    return Fold(f"last:{action}", (action,), _last_rebuild(action), _last_step, lambda e: e)


# ------------------------------------------------------- deployment outcome counts

OUTCOMES = ("deployed", "rolled-back", "failed")
Counts = dict[str, dict[str, int]]


def _outcomes_rebuild(store: Store, upto: int) -> Counts:
    cols = [
        func.sum(case((reads.payload_has("outcome", o), 1), else_=0)).label(o) for o in OUTCOMES
    ]
    q = (
        select(le.c.subject, func.count().label("total"), *cols)
        .where(le.c.action == "deploy.finished", le.c.seq <= upto)
        .group_by(le.c.subject)
    )
    with store.engine.connect() as conn:
        return {
            str(r.subject): {
                "total": int(r.total),
                **{o: int(r._mapping[o] or 0) for o in OUTCOMES},
            }
            for r in conn.execute(q)
        }


def _outcomes_step(acc: Counts, events: list[Event]) -> Counts:
    for e in events:
        c = acc.setdefault(e.subject, {"total": 0, **dict.fromkeys(OUTCOMES, 0)})
        c["total"] += 1
        for o in OUTCOMES:  # the rebuild's substring test, so both count alike
            if f'"outcome":"{o}"' in e.payload:
                c[o] += 1
    return acc


def _copy_counts(acc: Counts) -> Counts:
    return {env: dict(c) for env, c in acc.items()}


DEPLOY_OUTCOMES: Fold[Counts, Counts] = Fold(
    "deploys.outcomes", ("deploy.finished",), _outcomes_rebuild, _outcomes_step, _copy_counts
)


# ------------------------------------------------- tags that deployed, per environment

Tags = dict[str, tuple[str, ...]]


def _tags_step(acc: Tags, events: list[Event]) -> Tags:
    """Each environment's successfully deployed tags, newest deploy first, each tag once."""
    for e in events:
        data = e.data()
        if data.get("outcome") != "deployed":
            continue
        tag = str(data["tag"])
        acc[e.subject] = (tag, *(t for t in acc.get(e.subject, ()) if t != tag))
    return acc


DEPLOYED_TAGS: Fold[Tags, Tags] = Fold(
    "deploys.tags",
    ("deploy.finished",),
    lambda store, upto: _tags_step({}, events_between(store, ("deploy.finished",), 0, upto)),
    _tags_step,
    dict,
)


# ------------------------------------------- per-subject state machines (core folds)


@dataclass
class BySubject(Generic[V]):
    """A core fold's input grouped by subject, and its output per subject.

    The emergency and leak folds never let one subject's events touch another
    subject's state, so after new events only the touched subjects are
    re-folded (over their own few events) with the core's own fold: one way to
    compute a state, whether it is built at once or bit by bit.
    """

    events: dict[str, list[Event]] = field(default_factory=dict)
    states: dict[str, V] = field(default_factory=dict)


def _subject_fold(
    name: str, prefix: str, core_fold: Callable[[Iterable[Event]], dict[str, V]]
) -> Fold[BySubject[V], dict[str, V]]:
    def step(acc: BySubject[V], events: list[Event]) -> BySubject[V]:
        touched: set[str] = set()
        for e in events:
            acc.events.setdefault(e.subject, []).append(e)
            touched.add(e.subject)
        for subject in touched:
            acc.states.pop(subject, None)
            found = core_fold(acc.events[subject]).get(subject)
            if found is not None:
                acc.states[subject] = found
        return acc

    def rebuild(store: Store, upto: int) -> BySubject[V]:
        return step(BySubject(), events_between(store, (prefix,), 0, upto))

    return Fold(name, (prefix,), rebuild, step, lambda acc: dict(acc.states))


EMERGENCIES: Fold[BySubject[em.EmergencyState], dict[str, em.EmergencyState]] = _subject_fold(
    "emergencies", "emergency.*", em.fold
)
LEAKS: Fold[BySubject[lk.Leak], dict[str, lk.Leak]] = _subject_fold("leaks", "secrets.*", lk.fold)


class LedgerFolds:
    """The dashboard's shared reductions, one :class:`Incremental` each."""

    def __init__(self) -> None:
        from changegate.workflows.policy_review import REVIEWED

        self.verdicts = Incremental(VERDICTS)
        self.latest_deploys = Incremental(LATEST_DEPLOYS)
        self.deploy_outcomes = Incremental(DEPLOY_OUTCOMES)
        self.emergencies = Incremental(EMERGENCIES)
        self.leaks = Incremental(LEAKS)
        self.last_review = Incremental(last_of(REVIEWED))
        self.deployed_tags = Incremental(DEPLOYED_TAGS)

    def all(self) -> list[Incremental[Any, Any]]:
        return [
            self.verdicts,
            self.latest_deploys,
            self.deploy_outcomes,
            self.emergencies,
            self.leaks,
            self.last_review,
            self.deployed_tags,
        ]
