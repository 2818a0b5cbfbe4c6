"""Everything the pack holds, gathered once: populations, exceptions, SoD flags, the
policy versions, the ledger's verification and the reproducible sample.

The sample is ``random.Random(seed).sample`` over the changes ordered by their
merge seq, so anyone with the ledger, the period and the recorded seed draws
the same changes.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from changegate.app import App
from changegate.core.ledger import VerifyReport
from changegate.evidence import populations as pop
from changegate.evidence.events import unreadable
from changegate.evidence.exceptions import all_exceptions
from changegate.evidence.period import Period
from changegate.evidence.policy_history import versions_in_force
from changegate.evidence.rows import (
    ChangeRow,
    ConfigChangeRow,
    DeploymentRow,
    EmergencyRow,
    ExceptionRow,
    LeakRow,
    PolicyReviewRow,
    SodFlag,
)
from changegate.evidence.sod import author_deployer, author_reviewer
from changegate.evidence.trail import Tracer
from changegate.workflows.history import DirectPush, reconcile


@dataclass
class Evidence:
    period: Period
    generated_at: str
    changes: list[ChangeRow]
    deployments: list[DeploymentRow]
    config_changes: list[ConfigChangeRow]
    emergencies: list[EmergencyRow]
    leaks: list[LeakRow]
    policy_reviews: list[PolicyReviewRow]
    direct_pushes: list[DirectPush]
    exceptions: list[ExceptionRow]
    sod: list[SodFlag]
    policy_versions: list[dict[str, Any]]
    verification: dict[str, Any]
    sample: dict[str, Any]
    notes: list[str] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            self.changes
            or self.deployments
            or self.config_changes
            or self.emergencies
            or self.policy_reviews
            or self.direct_pushes
        )


def verification_dict(report: VerifyReport, unreadable: list[int] | None = None) -> dict[str, Any]:
    """The verification as the pack records it. ``unreadable``: seqs whose payload is not a
    JSON object; damage even when the chain was recomputed to match (no checkpoint)."""
    cp = report.checkpoint
    return {
        "ok": report.ok and not unreadable,
        "events": report.events,
        "head": {"seq": report.head_seq, "hash": report.head_hash},
        "checkpoint": None
        if cp is None
        else {
            "seq": cp.seq,
            "hash": cp.hash,
            "ts": cp.ts,
            "key_id": cp.key_id,
            "signature": cp.signature,
            "source": cp.source,
        },
        "damage": None
        if report.finding is None
        else {
            "kind": str(report.finding.kind),
            "seq": report.finding.seq,
            "detail": report.finding.detail,
        },
        "history": report.history,
        "notes": report.notes,
        "unreadable_payloads": list(unreadable or []),
    }


def draw_sample(changes: list[ChangeRow], size: int, seed: int) -> list[ChangeRow]:
    ordered = sorted(changes, key=lambda c: c.seq)
    return random.Random(seed).sample(ordered, min(size, len(ordered)))


def collect(app: App, period: Period, *, sample: int = 25, seed: int | None = None) -> Evidence:
    from changegate.workflows.audit import verify

    seed = secrets.randbelow(2**31) if seed is None else seed
    report = verify(app)
    damaged = unreadable(app)
    changes = pop.changes(app, period)
    deployments = pop.deployments(app, period)
    emergencies = pop.emergencies(app, period)
    leaks = pop.leaks(app, period)
    pushes = reconcile(app, period)
    exceptions = all_exceptions(
        app,
        period,
        changes=changes,
        deployments=deployments,
        emergencies=emergencies,
        leaks=leaks,
        drifts=pop.config_drifts(app, period),
        pushes=pushes,
        verification=report,
        unreadable=damaged,
    )
    tracer = Tracer(app)
    drawn = draw_sample(changes, sample, seed)
    evidence = Evidence(
        period=period,
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        changes=changes,
        deployments=deployments,
        config_changes=pop.config_changes(app, period),
        emergencies=emergencies,
        leaks=leaks,
        policy_reviews=pop.policy_reviews(app, period),
        direct_pushes=pushes,
        exceptions=exceptions,
        sod=author_reviewer(changes) + author_deployer(app, period, deployments),
        policy_versions=versions_in_force(app, period),
        verification=verification_dict(report, damaged),
        sample={
            "seed": seed,
            "size": sample,
            "population": len(changes),
            "method": "random.Random(seed).sample(changes ordered by merge seq, min(size, N))",
            "changes": [{"change": c.as_dict(), "trail": tracer.trail(c)} for c in drawn],
        },
    )
    if evidence.empty:
        evidence.notes.append(
            f"nothing was recorded from {period.label_from} to {period.label_to}: "
            "the populations are empty (an empty population is itself evidence)"
        )
    if damaged:
        evidence.notes.append(
            f"{len(damaged)} event(s) have a payload that is not JSON (seq "
            f"{', '.join(map(str, damaged))}): left out of the populations"
        )
    if not evidence.verification["ok"]:
        evidence.notes.append("the ledger FAILED verification: see ledger_verification.json")
    return evidence
