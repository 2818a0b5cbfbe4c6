"""Emergency changes (policy §3): declare a recorded bypass, then close it properly.

The retroactive-review clock starts when the emergency is declared and
restarts when the change is deployed (``emergency.deployed``, recorded by the
deploy workflow): "reviewed retroactively within one business day" of
shipping. The deadline rule itself is in ``core.deadlines``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from changegate.app import App
from changegate.core import emergency as em
from changegate.core.deadlines import due
from changegate.core.ledger import Event, utc_timestamp
from changegate.errors import Blocked, InputError
from changegate.workflows.change import resolve

DEFAULT_SKIP = ("review", "adversarial_review")


def _events(app: App) -> list[Event]:
    from changegate.adapters.storage.store import EventFilter

    return app.store().events(EventFilter(action="emergency.*"))


def emergencies(app: App) -> dict[str, em.EmergencyState]:
    return em.fold(_events(app))


def for_change(
    states: Iterable[em.EmergencyState], head: str, patch_id: str
) -> list[em.EmergencyState]:
    """Open emergencies that cover this change (same commit, or the same diff)."""
    return [s for s in states if s.is_open and (s.commit == head or s.patch_id == patch_id)]


def _incident_file(app: App, state: em.EmergencyState) -> Path:
    path = app.root / "incidents" / f"{state.incident}.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists()
    with path.open("a", encoding="utf-8") as fh:
        if new:
            fh.write(f"# {state.incident}\n\n")
        fh.write(
            f"## Change-management deviation {state.id} ({state.sev})\n\n"
            f"- declared by {state.declared_by} at {state.declared_at}\n"
            f"- change: commit {state.commit} (patch-id {state.patch_id[:12]})\n"
            f"- bypassed: {', '.join(state.skipped)}\n"
            f"- reason ({state.reason_kind}): {state.reason}\n"
            f"- retroactive review due: {state.due}\n"
            f"- close with: `changegate emergency close {state.id}`\n\n"
        )
    return path


def declare(
    app: App,
    incident: str,
    sev: str,
    reason: str,
    *,
    reason_kind: str = "incident",
    rev: str | None = None,
    base: str | None = None,
    skip: list[str] | None = None,
) -> tuple[em.EmergencyState, Path]:
    if not incident.strip() or not reason.strip():
        raise InputError(
            "--incident and --reason are required: the deviation is logged in the incident record"
        )
    change = resolve(app.git, base, rev)
    rules = app.policy_at(change.base).emergency
    chosen: list[str] = list(skip) if skip else [g for g in DEFAULT_SKIP if g in rules.may_skip]
    refused = em.refusal(rules, sev, reason_kind, chosen)
    if refused:
        raise Blocked(f"emergency refused: {refused}")
    now = datetime.now(UTC)
    deadline = due(
        now,
        rules.retro_review_business_days,
        rules.calendar_country,
        rules.calendar_subdivision,
        rules.timezone,
    )
    ident = (
        "EMG-"
        + hashlib.sha256(f"{incident}|{change.head}|{now.isoformat()}".encode()).hexdigest()[:8]
    )
    event = app.store().append(
        app.actor(),
        em.DECLARED,
        ident,
        {
            "incident": incident,
            "sev": sev,
            "reason": reason,
            "reason_kind": reason_kind,
            "commit": change.head,
            "base": change.base_name,
            "merge_base": change.merge_base,
            "patch_id": change.patch_id,
            "skipped": chosen,
            "due": deadline.isoformat(),
        },
    )
    state = em.fold([event])[ident]
    return state, _incident_file(app, state)


@dataclass
class Closure:
    state: em.EmergencyState
    problems: list[str]


def close(app: App, ident: str) -> Closure:
    from changegate.workflows.check import check

    state = emergencies(app).get(ident)
    if state is None:
        raise InputError(f"{ident}: no such emergency; see `changegate emergency list`")
    if not state.is_open:
        raise InputError(f"{ident}: already closed at {state.closed_at}")
    # Re-run every gate on the shipped commit, with no bypass this time.
    report = check(app, state.base, state.commit, honour_emergency=False)
    by_gate = {r.gate: r for r in report.results}
    problems = []
    review = by_gate.get("review")
    if review is None or review.status != "pass":
        why = review.reason if review else "no review gate"
        problems.append(f"retroactive review missing for exactly the shipped diff: {why}")
    for gate in state.skipped:
        result = by_gate.get(gate)
        if gate == "review" or result is None:
            continue
        if result.status not in ("pass", "skipped"):
            problems.append(
                f"skipped gate {gate} re-run on {state.commit[:12]}: "
                f"{result.status}: {result.reason}"
            )
    if problems:
        return Closure(state, problems)
    now = datetime.now(UTC)
    late = now > datetime.fromisoformat(state.due)
    app.store().append(
        app.actor(),
        em.CLOSED,
        ident,
        {
            "late": late,
            "closed_at": utc_timestamp(now),
            "retro_reviewers": (review.evidence.get("approved_by", []) if review else []),
            "gates": {g: by_gate[g].status for g in state.skipped if g in by_gate},
            "verdict_seq": report.seq,
        },
    )
    return Closure(emergencies(app)[ident], [])
