"""The configuration population: one row per (version, key changed), replayed from the ledger.

A configuration change is a *version*, not a delivery: applying a version
twice changes nothing the second time, and a version approved but never
applied still changed the record (and goes live with the next version applied
on top of it). So the population is built from the version history alone, per
environment, in version order:

- an approved proposal's state is its changes (``config.proposed``) applied to
  the previous version's state;
- a revert's state is the state of the version whose content it copies
  (``config.reverted`` ``to_content_of``);

and every key whose value (keyed hash, secrecy) differs from the previous
version's is one row. The deliveries (``config.applied``) are joined in: the
version's first delivery and how many re-deliveries followed, and when the
change itself first went live, which may be with a later version that still
carried it.

Only what the ledger holds is used: key names, keyed value hashes (a secret is
never more than its keyed hash and length; a plain value is in the ledger
already, as in a code review). A version whose previous state the ledger
cannot give (history before the ledger, an unreadable payload) lists the
proposal's own changes; a revert to such a version says so in one ``*`` row
(``op`` ``unknown``) rather than guessing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from changegate.core.ledger import Event
from changegate.evidence.period import Period
from changegate.evidence.rows import ConfigChangeRow

State = dict[str, dict[str, Any]]  # key -> the change summary that set it


@dataclass
class _Version:
    env: str
    number: int
    origin: str  # proposal | revert | unrecorded (delivered, never created on the ledger)
    at: str  # approved or reverted at
    seq: int
    proposal: str | None = None
    proposed_by: str | None = None
    approver: str | None = None
    changes: list[dict[str, Any]] | None = None  # a proposal's changes
    reverted_to: int | None = None
    deliveries: list[Event] = field(default_factory=list)


def _int(value: Any) -> int | None:
    try:
        return int(value) if value is not None and not isinstance(value, bool) else None
    except (TypeError, ValueError):
        return None


def _env(e: Event) -> str:
    return str(e.data().get("environment") or e.subject)


def _versions(events: list[Event]) -> dict[str, dict[int, _Version]]:
    """Every version each environment's ledger records, with its deliveries."""
    proposed: dict[str, Event] = {}
    found: dict[str, dict[int, _Version]] = defaultdict(dict)
    applied: list[Event] = []
    for e in events:
        d = e.data()
        if e.action == "config.proposed":
            proposed[str(d.get("proposal"))] = e
        elif e.action == "config.applied":
            applied.append(e)
    # An approval written before it carried its version is placed by its first delivery.
    first_applied = {}
    for e in reversed(applied):
        first_applied[str(e.data().get("proposal"))] = _int(e.data().get("version"))
    for e in events:
        d = e.data()
        if e.action == "config.approved":
            pid = str(d.get("proposal"))
            number = _int(d.get("version"))
            if number is None:
                number = first_applied.get(pid)
            if number is None:
                continue  # neither created nor delivered: nothing to place
            prop = proposed.get(pid)
            found[_env(e)][number] = _Version(
                _env(e), number, "proposal", e.ts, e.seq, pid,
                prop.actor if prop else None, str(d.get("approver") or e.actor),
                list(prop.data().get("changes") or []) if prop else None,
            )  # fmt: skip
        elif e.action == "config.reverted":
            number = _int(d.get("new_version"))
            to = _int(d.get("to_content_of"))
            if number is None:
                continue
            found[_env(e)][number] = _Version(
                _env(e), number, "revert", e.ts, e.seq, None, e.actor,
                f"revert by {e.actor} of v{to}", None, to,
            )  # fmt: skip
    for e in applied:
        d = e.data()
        number = _int(d.get("version"))
        if number is None:
            continue
        versions = found[_env(e)]
        if number not in versions:  # delivered, but its creation is not on the ledger
            carried = d.get("proposal")
            prop = proposed.get(str(carried)) if carried else None
            versions[number] = _Version(
                _env(e), number, "unrecorded", "", e.seq, str(carried) if carried else None,
                prop.actor if prop else None, d.get("approver"),
                list(prop.data().get("changes") or []) if prop else None,
            )  # fmt: skip
        versions[number].deliveries.append(e)
    return found


def _same(a: dict[str, Any] | None, b: dict[str, Any] | None) -> bool:
    if a is None or b is None:
        return a is b
    return bool(a.get("secret")) == bool(b.get("secret")) and a.get("value_hash") == b.get(
        "value_hash"
    )


def _apply(base: State, changes: Iterable[dict[str, Any]]) -> State:
    out = dict(base)
    for c in changes:
        key = str(c.get("key", ""))
        if c.get("op") == "unset":
            out.pop(key, None)
        else:
            out[key] = c
    return out


@dataclass(frozen=True)
class _Diff:
    key: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    known: bool = True  # False: the "*" row of a revert to a state the ledger cannot give


def _replay(versions: dict[int, _Version]) -> dict[int, list[_Diff]]:
    """What each version changed relative to the one before it, key by key."""
    states: dict[int, State | None] = {}
    out: dict[int, list[_Diff]] = {}
    previous: State | None = {}
    for number in sorted(versions):
        v = versions[number]
        if states and number - 1 not in states:
            previous = None  # a gap: the previous version is not on the ledger
        elif not states and number > 1:
            previous = None  # history from before the ledger
        state: State | None
        if v.origin == "revert":
            state = states.get(v.reverted_to) if v.reverted_to is not None else None
        elif v.changes is not None and previous is not None:
            state = _apply(previous, v.changes)
        else:
            state = None
        if state is not None and previous is not None:
            diffs = [
                _Diff(k, previous.get(k), state.get(k))
                for k in sorted(previous.keys() | state.keys())
                if not _same(previous.get(k), state.get(k))
            ]
        elif v.changes is not None:  # the proposal's own changes, from an unknown base
            diffs = [
                _Diff(str(c.get("key", "")), None, None if c.get("op") == "unset" else c)
                for c in v.changes
            ]
        else:
            diffs = [_Diff("*", None, None, known=False)]
        out[number] = diffs
        states[number] = previous = state
    return out


def _live_from(
    versions: dict[int, _Version], changed: dict[int, list[_Diff]], number: int, key: str
) -> tuple[str | None, int | None]:
    """When the change to ``key`` in ``number`` first went live: the earliest delivery of
    this version or of a later one that still carries it (up to the next change of the key)."""
    best: tuple[str, int] | None = None
    for n in sorted(versions):
        if n < number:
            continue
        if n > number and any(d.key in (key, "*") for d in changed[n]):
            break
        for e in versions[n].deliveries:
            if best is None or e.ts < best[0]:
                best = (e.ts, n)
        if key == "*":
            break
    return (best[0], best[1]) if best else (None, None)


def rows(events: list[Event], period: Period) -> list[ConfigChangeRow]:
    """The population for ``period`` from the ``config.*`` events up to its end.

    A row belongs to the period when its version was created in it or when the
    change first went live in it (approved last quarter, applied in this one).
    """
    out: list[ConfigChangeRow] = []
    for env, versions in sorted(_versions(events).items()):
        changed = _replay(versions)
        for number in sorted(versions):
            v = versions[number]
            first = v.deliveries[0] if v.deliveries else None
            for d in changed[number]:
                live_at, live_with = _live_from(versions, changed, number, d.key)
                if not (period.contains(v.at) or (live_at and period.contains(live_at))):
                    continue
                after, before = d.after, d.before
                secret = bool((after or before or {}).get("secret", False))
                out.append(
                    ConfigChangeRow(
                        environment=env,
                        version=number,
                        key=d.key,
                        op=("set" if after is not None else "unset") if d.known else "unknown",
                        secret=secret,
                        value_hash=after.get("value_hash") if after else None,
                        value=None if secret or after is None else after.get("value"),
                        length=_int(after.get("length")) if after else None,
                        previous_value_hash=before.get("value_hash") if before else None,
                        origin=v.origin,
                        proposal=v.proposal,
                        reverted_to=v.reverted_to,
                        proposed_by=v.proposed_by,
                        approver=v.approver,
                        approved_at=v.at,
                        first_applied_at=first.ts if first else None,
                        first_applied_by=first.actor if first else None,
                        first_applied_reason=(
                            str(first.data().get("reason") or "") if first else None
                        ),
                        redeliveries=max(0, len(v.deliveries) - 1),
                        live_from=live_at,
                        live_with_version=live_with,
                        seq=v.seq,
                    )
                )
    return out
