"""The populations of the period, as typed rows: changes, deployments, config changes,
emergencies, leaks and policy reviews.

Each function reads only the actions it needs, bounded by time in SQL (one
query per action family, never one scan per row), then joins in memory. The
dashboard calls them too: ``changes(..., detail=False)`` skips the per-change
git call that lists authors.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from changegate.adapters.storage.store import EventFilter
from changegate.app import App
from changegate.core import emergency as em
from changegate.core import leaks as lk
from changegate.core.ledger import Event, parse_timestamp, utc_timestamp
from changegate.evidence import config_history, gitinfo
from changegate.evidence.events import read
from changegate.evidence.period import Period
from changegate.evidence.rows import (
    ChangeRow,
    ConfigChangeRow,
    DeploymentRow,
    EmergencyRow,
    LeakRow,
    PolicyReviewRow,
    Review,
)


def _events(app: App, action: str, since: str | None, until: str | None) -> list[Event]:
    return read(app, EventFilter(action=action, since=since, until=until))


def _review(e: Event) -> Review:
    data = e.data()
    if e.action == "review.imported":
        return Review(
            str(data.get("reviewer", "")),
            str(data.get("kind", "")),
            False,
            str(data.get("submitted_at") or e.ts),
            e.subject,
            str(data.get("patch_id", "")),
            "github",
            e.seq,
        )
    if e.action == "review.model":
        return Review(
            f"model {data.get('model')}", "approve", True, e.ts, e.subject,
            str(data.get("patch_id", "")), "model", e.seq,
        )  # fmt: skip
    kind = "request-changes" if e.action.endswith("request_changes") else "approve"
    return Review(
        e.actor, kind, ".adversarial." in e.action, e.ts, e.subject,
        str(data.get("patch_id", "")), "ssh-signed", e.seq,
    )  # fmt: skip


def reviews_by_patch(app: App, until: str | None) -> dict[str, list[Review]]:
    """Every recorded review up to ``until``, by the patch-id of the diff it covers."""
    out: dict[str, list[Review]] = defaultdict(list)
    for e in _events(app, "review.*", None, until):
        r = _review(e)
        out[r.patch_id].append(r)
    return out


def _gate_evidence(app: App, verdicts: list[Event], until: str) -> dict[int, dict[str, Any]]:
    """The review gates' results recorded with each verdict, by verdict seq.

    A check writes its gate results right before its verdict, in one
    transaction: they are the events at ``verdict seq - len(gates) ..``.
    """
    if not verdicts:
        return {}
    # Appended in the verdict's transaction, a moment before it: a minute of slack.
    since = utc_timestamp(parse_timestamp(min(v.ts for v in verdicts)) - timedelta(minutes=1))
    by_seq = {e.seq: e for e in _events(app, "gate.result", since, until)}
    out: dict[int, dict[str, Any]] = {}
    for v in verdicts:
        n = len(v.data().get("gates", {}))
        found: dict[str, Any] = {}
        for seq in range(v.seq - n, v.seq):
            e = by_seq.get(seq)
            if e is not None and e.subject == v.subject:
                data = e.data()
                found[str(data.get("name"))] = data
        out[v.seq] = found
    return out


def _basis(adversarial_by: list[str], approved_by: list[str], authors: list[str]) -> str:
    """Why the adversarial reviewer is independent (policy §1), in one sentence."""
    if not adversarial_by:
        return ""
    parts = []
    for who in adversarial_by:
        if who.startswith("model "):
            parts.append(f"{who}: an independent model, not a person on the change")
        else:
            not_author = "not an author or committer" if who not in authors else "AN AUTHOR"
            not_approver = "not an approver" if who not in approved_by else "also an approver"
            parts.append(f"{who}: {not_author}, {not_approver}")
    return "; ".join(parts)


def _emergency_for(states: list[em.EmergencyState], head: str, patch_id: str) -> str | None:
    for s in states:
        if s.commit == head or s.patch_id == patch_id:
            return s.id
    return None


def changes(app: App, period: Period, *, detail: bool = True) -> list[ChangeRow]:
    """Changes merged onto a protected branch in the period (``change.merged``), each
    joined with the verdict that let it in, its reviews and gate results."""
    merges = _events(app, "change.merged", period.since, period.until)
    if not merges:
        return []
    verdict_by_seq = {e.seq: e for e in _events(app, "check.verdict", None, period.until)}
    used = [
        verdict_by_seq[s] for m in merges if (s := m.data().get("verdict_seq")) in verdict_by_seq
    ]
    gates = _gate_evidence(app, used, period.until)
    reviews = reviews_by_patch(app, period.until)
    states = list(em.fold(_events(app, "emergency.*", None, period.until)).values())
    heads = [str(m.data().get("head", "")) for m in merges]
    info = gitinfo.commits(app.git, heads)
    rows = []
    for m in merges:
        data = m.data()
        head = str(data.get("head", ""))
        v = verdict_by_seq.get(int(data.get("verdict_seq") or 0))
        vdata = v.data() if v else {}
        patch_id = str(data.get("patch_id") or vdata.get("patch_id") or "")
        base = str(vdata.get("base", ""))
        authors = gitinfo.people(app.git, base, head) if detail and base else []
        found = gates.get(v.seq, {}) if v else {}
        review_ev = found.get("review", {}).get("evidence", {})
        adv_ev = found.get("adversarial_review", {}).get("evidence", {})
        approved = list(review_ev.get("approved_by", []))
        adversaries = list(adv_ev.get("adversarial_by", []))
        cls = vdata.get("classification", {})
        commit = info.get(head)
        rows.append(
            ChangeRow(
                id=m.subject,
                title=commit.title if commit else "",
                authors=authors,
                head=head,
                merge_commit=m.subject,
                branch=str(data.get("branch", "")),
                into=str(data.get("into", "")),
                merged_at=m.ts,
                merged_by=m.actor,
                base=base,
                patch_id=patch_id,
                classification=list(cls.get("labels", [])),
                rules=list(cls.get("reasons", [])),
                reviews=sorted(reviews.get(patch_id, []), key=lambda r: r.seq),
                approved_by=approved,
                rejected_reviews=list(review_ev.get("rejected", [])),
                adversarial_by=adversaries,
                adversarial_basis=_basis(adversaries, approved, authors),
                gates=dict(vdata.get("gates", {})),
                verdict=str(vdata.get("verdict", "unknown")),
                verdict_seq=v.seq if v else None,
                verdict_at=v.ts if v else "",
                evidence_digest=str(data.get("evidence_digest") or ""),
                policy_sha256=str(vdata.get("policy_sha256", "")),
                emergency=_emergency_for(states, head, patch_id),
                committed_at=commit.committed_at if commit else "",
                seq=m.seq,
            )
        )
    return rows


def deployments(app: App, period: Period) -> list[DeploymentRow]:
    """Deployments and rollbacks that finished in the period (``deploy.finished``), as the
    deploy workflow folds them (:func:`changegate.core.deploy.fold`)."""
    from changegate.core.deploy import fold

    return [
        DeploymentRow(
            deployment=d.id,
            kind=d.kind,
            tag=d.tag,
            commit=d.commit,
            environment=d.environment,
            deployer=d.deployer,
            started_at=d.started_at,
            ended_at=d.ended_at,
            outcome=d.outcome,
            migrations=d.migrations_applied,
            config_version=d.config_version,
            smoke=d.smoke,
            rollback_of=d.rollback_of,
            reason=d.reason,
            basis=d.basis,
            emergency=d.emergency,
            seq=d.seq,
        )
        for d in fold(_events(app, "deploy.finished", period.since, period.until))
    ]


def config_changes(app: App, period: Period) -> list[ConfigChangeRow]:
    """One row per (version, key changed) created or gone live in the period, replayed
    from the version history (:mod:`changegate.evidence.config_history`).

    The history is read from the ledger's start to the period's end: a version's
    state depends on every version before it, and a proposal or approval may
    predate the period.
    """
    return config_history.rows(_events(app, "config.*", None, period.until), period)


def config_drifts(app: App, period: Period) -> list[tuple[Event, Event | None]]:
    """Drift open at some moment of the period: detected before its end and not resolved
    before it began (a drift left from the previous quarter still counts), each with the
    event that resolved it (or None). Folded from the start of the ledger."""
    resolved: dict[int, Event] = {}
    open_by_env: dict[str, list[Event]] = defaultdict(list)
    detected: list[Event] = []
    for e in _events(app, "config.drift*", None, None):
        env = str(e.data().get("environment") or e.subject)
        if e.action == "config.drift":
            detected.append(e)
            open_by_env[env].append(e)
        elif e.action == "config.drift_resolved":
            for d in open_by_env.pop(env, []):
                resolved[d.seq] = e
    out: list[tuple[Event, Event | None]] = []
    for e in detected:
        fix = resolved.get(e.seq)
        if e.ts < period.until and (fix is None or fix.ts >= period.since):
            out.append((e, fix))
    return out


def emergencies(app: App, period: Period, now: datetime | None = None) -> list[EmergencyRow]:
    """Emergencies open at some moment of the period: declared before its end and not
    closed before it began (one still overdue from the previous quarter counts), with
    their closure (even a later one). Folded from the start of the ledger."""
    now = now or datetime.now(UTC)
    events = _events(app, "emergency.*", None, None)
    closed = {e.subject: e for e in events if e.action == em.CLOSED}
    rows = []
    for s in em.fold(events).values():
        if s.declared_at >= period.until or (
            s.closed_at is not None and s.closed_at < period.since
        ):
            continue
        c = closed.get(s.id)
        rows.append(
            EmergencyRow(
                id=s.id,
                incident=s.incident,
                sev=s.sev,
                reason_kind=s.reason_kind,
                reason=s.reason,
                commit=s.commit,
                declared_by=s.declared_by,
                declared_at=s.declared_at,
                bypassed=list(s.skipped),
                due=s.due,
                closed_at=s.closed_at,
                closed_by=s.closed_by,
                retro_reviewers=list(s.retro_reviewers),
                gates_rerun=dict(c.data().get("gates", {})) if c else {},
                late=s.late,
                open=s.is_open,
                overdue=s.overdue(now),
                seq=s.seq,
            )
        )
    return rows


def leaks(app: App, period: Period) -> list[LeakRow]:
    """Leaks open at some moment of the period: opened before its end, not closed before it."""
    rows = []
    for leak in lk.fold(_events(app, "secrets.*", None, None)).values():
        if leak.opened_at >= period.until:
            continue
        ended = leak.closed_at or (leak.opened_at if leak.allowed_by else None)
        if ended is not None and ended < period.since:
            continue
        rows.append(
            LeakRow(
                fingerprint=leak.fingerprint,
                rule=leak.rule,
                preview=leak.preview,
                first_commit=leak.first_commit,
                path=leak.path,
                introduced_by=leak.introduced_by,
                opened_at=leak.opened_at,
                rotated_at=leak.rotated_at,
                rotated_by=leak.rotated_by,
                purged_at=leak.purged_at,
                closed_at=leak.closed_at,
                state=leak.state,
                open=leak.is_open,
            )
        )
    return rows


def policy_reviews(app: App, period: Period) -> list[PolicyReviewRow]:
    """The policy owner's recorded reviews (§6) in the period."""
    rows = []
    for e in _events(app, "policy.reviewed", period.since, period.until):
        d = e.data()
        rows.append(
            PolicyReviewRow(
                reviewed_by=e.actor,
                reviewed_on=str(d.get("reviewed_on", "")),
                previous_review=str(d.get("previous_review", "")),
                next_due=str(d.get("next_due", "")),
                note=str(d.get("note", "")),
                policy_sha256=str(d.get("policy_sha256", "")),
                at=e.ts,
                seq=e.seq,
            )
        )
    return rows
