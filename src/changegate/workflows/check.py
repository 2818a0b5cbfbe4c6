"""``changegate check``: classify a change, run every gate the policy requires, one verdict.

The policy is the one committed at BASE. Independent gates run side by side
(they spend their time in subprocesses: linters, test runners, git). Every
gate result and the verdict are appended to the ledger in one transaction,
with a digest of the evidence that a release can later cite.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from changegate.app import App
from changegate.core.classify import Classification, classify
from changegate.core.verdict import GateFinding, GateResult, verdict
from changegate.errors import ChangegateError
from changegate.gates.base import Gate, GateContext
from changegate.gates.fingerprint import tool_of
from changegate.workflows.change import Change, resolve
from changegate.workflows.check_summary import CheckSummary, evidence_digest, record

Progress = Callable[[str, GateResult | None], None]


@dataclass
class CheckReport:
    change: Change
    classification: Classification
    results: list[GateResult]
    verdict: str
    evidence_digest: str
    seq: int | None = None
    notes: list[str] = field(default_factory=list)

    def summary(self) -> CheckSummary:
        """The plain data that is rendered and recorded (shared with the verdict cache)."""
        c = self.change
        return CheckSummary(
            verdict=self.verdict,
            base=c.base,
            head=c.head,
            merge_base=c.merge_base,
            patch_id=c.patch_id,
            base_name=c.base_name,
            head_name=c.head_name,
            file_count=len(c.files),
            classification=self.classification.as_dict(),
            results=self.results,
            evidence_digest=self.evidence_digest,
            seq=self.seq,
            notes=self.notes,
        )

    def as_dict(self) -> dict[str, Any]:
        return self.summary().as_dict()


def _cached(payload: dict[str, Any], seq: int) -> GateResult:
    findings = [GateFinding(**f) for f in payload.get("findings", [])]
    evidence = {**payload.get("evidence", {}), "cached_from_seq": seq}
    return GateResult(
        payload["name"], payload["status"], payload["reason"], findings, evidence, 0.0
    )


def _run_one(
    gate: Gate, ctx: GateContext, cache: dict[str, tuple[dict[str, Any], int]]
) -> GateResult:
    start = time.monotonic()
    try:
        reason = gate.skip_reason(ctx)
        if reason is not None:
            return GateResult(gate.name, "skipped", reason)
        key_of = getattr(gate, "cache_key", None)
        key = key_of(ctx) if key_of else None
        if key and key in cache:
            return _cached(*cache[key])
        result = gate.run(ctx)
        if key and result.status == "pass":
            # Only passes are reused: a failure is re-run, so a flaky test or a fixed
            # tool gets its second chance (and an emergency can close).
            result.evidence["cache_key"] = key
    except ChangegateError as exc:
        result = GateResult(gate.name, "error", exc.message)
    except Exception as exc:  # a broken gate must block, never pass or crash the verdict
        result = GateResult(gate.name, "error", f"gate crashed: {type(exc).__name__}: {exc}")
    result.duration_s = result.duration_s or time.monotonic() - start
    return result


def _previous_results(app: App, head: str) -> dict[str, tuple[dict[str, Any], int]]:
    """Earlier gate results for this commit, by cache key (opens the store before threads)."""
    from changegate.adapters.storage.store import EventFilter

    out: dict[str, tuple[dict[str, Any], int]] = {}
    # The newest results are enough: every check records one per gate.
    recent = app.store().events(
        EventFilter(action="gate.result", subject=head, limit=200, newest_first=True)
    )
    for event in recent:
        data = event.data()
        key = data.get("evidence", {}).get("cache_key")
        if key and "cached_from_seq" not in data.get("evidence", {}):
            out.setdefault(key, (data, event.seq))
    return out


def check(
    app: App,
    base: str | None = None,
    head: str | None = None,
    progress: Progress | None = None,
    gates: list[Gate] | None = None,
    every_commit: bool = False,
    honour_emergency: bool = True,
    remember: bool = False,
) -> CheckReport:
    """Judge BASE..HEAD and record the verdict.

    ``remember`` (the CLI's ``check``) keeps a verdict-cache entry when every
    result would be reproduced unchanged by the next identical check, so that
    one can skip straight to recording (see :mod:`changegate.workflows.verdict_cache`).
    """
    from changegate.gates.registry import BUILTIN, all_gates
    from changegate.workflows import verdict_cache
    from changegate.workflows.emergency import emergencies, for_change
    from changegate.workflows.policy_review import reminders

    change = resolve(app.git, base, head)
    # Taken before any gate reads notes or the ledger: a verdict-cache entry is only kept
    # when neither moved while the gates ran.
    before = (
        (verdict_cache.snapshot(app, change.base_name, change.head_name), app.store().head())
        if remember
        else (None, None)
    )
    policy, policy_bytes = app.policy_source_at(change.base, change.base_name)
    schema_dirs = [s.path for s in policy.gates.migrations.sets]
    classification = classify(change.files, policy.classification, schema_dirs)
    ctx = GateContext(
        app=app,
        policy=policy,
        base=change.base,
        head=change.head,
        merge_base=change.merge_base,
        changes=change.files,
        classification=classification,
        patch_id=change.patch_id,
        authors=change.authors,
        tree=change.tree,
        policy_sha256=hashlib.sha256(policy_bytes).hexdigest(),
        every_commit=every_commit,
    )
    chosen = gates if gates is not None else all_gates()
    cache = _previous_results(app, change.head)
    bypass: dict[str, str] = {}
    today = date.today()
    notes: list[str] = reminders(policy, [c.path for c in change.files], today)
    valid_until: datetime | None = None  # when an open emergency becomes overdue
    if honour_emergency:
        states = emergencies(app).values()
        for state in for_change(states, change.head, change.patch_id):
            for skipped in state.skipped:
                bypass[skipped] = (
                    f"bypassed by emergency {state.id} ({state.incident}, "
                    f"{state.sev}); retroactive review due {state.due}"
                )
        now = datetime.now(UTC)
        upcoming = [
            datetime.fromisoformat(s.due) for s in states if s.is_open and not s.overdue(now)
        ]
        valid_until = min(upcoming, default=None)
        notes += [
            f"emergency {s.id} ({s.incident}) is overdue: its retroactive review was due {s.due}"
            for s in states
            if s.overdue(now)
        ]
    results: list[GateResult] = []
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:
            pending: list[GateResult | Future[GateResult]] = []
            for gate in chosen:
                if progress:
                    progress(gate.name, None)
                if gate.name in bypass and gate.skip_reason(ctx) is None:
                    pending.append(GateResult(gate.name, "bypassed", bypass[gate.name]))
                else:
                    pending.append(pool.submit(_run_one, gate, ctx, cache))
            for gate, item in zip(chosen, pending, strict=True):
                result = item if isinstance(item, GateResult) else item.result()
                results.append(result)
                if progress:
                    progress(gate.name, result)
    finally:
        ctx.close()
    outcome = verdict(results)
    report = CheckReport(
        change, classification, results, outcome, evidence_digest(results), notes=notes
    )
    summary = report.summary()
    with app.store().writer() as w:
        recorded = record(w.append, app.actor(), summary, ctx.policy_sha256)
    report.seq = recorded[1].seq
    if remember and honour_emergency and gates is None:
        from changegate.adapters.storage.store import HEAD_REVISION

        builtin_only = all(r.gate in BUILTIN for r in results)
        commands = [policy.gates.lint.command, policy.gates.types.command]
        commands += [suite.command for suite in policy.gates.tests.suites]
        tools = [tool_of(c) for c in commands if c]
        if builtin_only:
            summary.seq = report.seq
            verdict_cache.remember(
                app,
                (base, head, every_commit),
                summary,
                before,
                recorded,
                policy_sha256=ctx.policy_sha256,
                tools=tools,
                revision=HEAD_REVISION,
                today=today,
                valid_until=valid_until,
            )
        else:
            verdict_cache.forget(app, base, head, every_commit)
    return report
