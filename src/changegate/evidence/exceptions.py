"""The exceptions of a period: every place where the trail shows the policy was not met.

An auditor tests the population for these by hand; here each is a row with
the ledger seqs or commits to look at. Kinds (stable strings, also used by
the dashboard):

``review-missing``  a merged change whose required review did not pass (nor was
                    closed retroactively after an emergency bypass)
``self-approval``   an author or committer of a change tried to approve it
``direct-push``     a commit on a protected branch that no recorded change accounts for
``unrecorded-deploy`` a deployed commit without a recorded verdict, merge or emergency,
                    or a deployed tag that is not the recorded release
``retro-review-late`` an emergency closed after its deadline
``retro-review-overdue`` an emergency still open past its deadline
``open-leak``       a leaked secret not yet rotated and purged
``config-drift``    the running configuration differed from the applied version
``history-rewritten`` a recorded merge, release or deployed commit that is gone
``ledger-damaged``  the ledger failed verification, or an event's payload cannot be read
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from changegate.adapters.storage.store import EventFilter
from changegate.app import App
from changegate.core import emergency as em
from changegate.core.ledger import Event, VerifyReport
from changegate.evidence.events import read
from changegate.evidence.period import Period
from changegate.evidence.rows import (
    ChangeRow,
    DeploymentRow,
    EmergencyRow,
    ExceptionRow,
    LeakRow,
)
from changegate.workflows.history import DirectPush

KINDS = (
    "review-missing",
    "self-approval",
    "direct-push",
    "unrecorded-deploy",
    "retro-review-late",
    "retro-review-overdue",
    "open-leak",
    "config-drift",
    "history-rewritten",
    "ledger-damaged",
)


@dataclass(frozen=True)
class Recorded:
    """Commits the ledger allows to ship, and the commit each release tag was recorded on."""

    allowed: set[str]
    releases: dict[str, str]

    @classmethod
    def load(cls, app: App, until: str) -> Recorded:
        allowed = {e.subject for e in read(app, EventFilter(action="change.merged", until=until))}
        allowed |= {
            e.subject
            for e in read(app, EventFilter(action="check.verdict", until=until))
            if e.data().get("verdict") == "pass"
        }
        allowed |= {
            s.commit
            for s in em.fold(read(app, EventFilter(action="emergency.*", until=until))).values()
        }
        releases = {
            e.subject: str(e.data().get("commit", ""))
            for e in read(app, EventFilter(action="release.created", until=until))
        }
        return cls(allowed, releases)


def review_exceptions(
    changes: Iterable[ChangeRow], emergencies: dict[str, bool]
) -> list[ExceptionRow]:
    """Missing reviews and self-approval attempts. ``emergencies``: id -> closed."""
    out = []
    for c in changes:
        for gate in ("review", "adversarial_review"):
            status = c.gates.get(gate)
            if status is None or status in ("pass", "skipped"):
                continue
            if status == "bypassed" and c.emergency and emergencies.get(c.emergency):
                continue  # reviewed retroactively: the emergency closed
            why = (
                f"bypassed by emergency {c.emergency}, retroactive review not recorded yet"
                if status == "bypassed"
                else f"{gate} gate {status}"
            )
            out.append(
                ExceptionRow(
                    "review-missing",
                    c.id,
                    f"{c.title or c.head[:12]}: merged into {c.into} without the {gate}: {why}",
                    c.merged_at,
                    [f"seq {c.seq}", f"verdict seq {c.verdict_seq}"],
                )
            )
        tried = {r.reviewer.lower() for r in c.reviews if r.reviewer.lower() in c.authors}
        tried |= {
            r.split(":", 1)[0].strip().lower()
            for r in c.rejected_reviews
            if "author or committer" in r
        }
        for who in sorted(tried):
            out.append(
                ExceptionRow(
                    "self-approval",
                    c.id,
                    f"{who} authored {c.title or c.head[:12]} and tried to approve it "
                    "(refused: it did not count toward the review gate)",
                    c.merged_at,
                    [f"seq {c.seq}", c.head],
                )
            )
    return out


def deploy_exceptions(
    deployments: Iterable[DeploymentRow], recorded: Recorded
) -> list[ExceptionRow]:
    out = []
    for d in deployments:
        if d.outcome == "failed":
            continue  # nothing reached the environment
        tagged = recorded.releases.get(d.tag)
        if d.commit not in recorded.allowed:
            out.append(
                ExceptionRow(
                    "unrecorded-deploy",
                    d.deployment,
                    f"{d.environment}: {d.kind} of {d.tag} ({d.commit[:12]}) by {d.deployer}: "
                    "the commit has no passing recorded verdict, merge or emergency",
                    d.ended_at,
                    [f"seq {d.seq}", d.commit],
                )
            )
        elif d.tag and tagged is not None and tagged != d.commit:
            out.append(
                ExceptionRow(
                    "unrecorded-deploy",
                    d.deployment,
                    f"{d.environment}: {d.tag} deployed as {d.commit[:12]} but released "
                    f"on {tagged[:12]}",
                    d.ended_at,
                    [f"seq {d.seq}", d.commit],
                )
            )
    return out


def emergency_exceptions(rows: Iterable[EmergencyRow]) -> list[ExceptionRow]:
    out = []
    for e in rows:
        if e.late:
            out.append(
                ExceptionRow(
                    "retro-review-late",
                    e.id,
                    f"{e.incident} ({e.sev}): retroactive review due {e.due}, closed "
                    f"{e.closed_at} by {e.closed_by}",
                    e.closed_at or "",
                    [f"seq {e.seq}"],
                )
            )
        elif e.overdue:
            out.append(
                ExceptionRow(
                    "retro-review-overdue",
                    e.id,
                    f"{e.incident} ({e.sev}): retroactive review due {e.due}, still open",
                    e.due,
                    [f"seq {e.seq}"],
                )
            )
    return out


def leak_exceptions(rows: Iterable[LeakRow]) -> list[ExceptionRow]:
    return [
        ExceptionRow(
            "open-leak",
            leak.fingerprint,
            f"{leak.rule} in {leak.path} ({leak.preview}), introduced by "
            f"{leak.introduced_by or 'unknown'}: {leak.state}",
            leak.opened_at,
            [leak.first_commit or ""],
        )
        for leak in rows
        if leak.open
    ]


def drift_exceptions(drifts: Iterable[tuple[Event, Event | None]]) -> list[ExceptionRow]:
    out = []
    for e, fix in drifts:
        d = e.data()
        keys = ", ".join(
            f"{x.get('key')} ({x.get('kind')})" for x in d.get("differences", []) or []
        )
        env = str(d.get("environment") or e.subject)
        resolved = (
            f"resolved {fix.ts} by {fix.actor} ({fix.data().get('how')})" if fix else "unresolved"
        )
        out.append(
            ExceptionRow(
                "config-drift",
                env,
                f"{env}: running configuration differs from version {d.get('version')}: "
                f"{keys or 'no detail'}; {resolved}",
                e.ts,
                [f"seq {e.seq}"] + ([f"seq {fix.seq}"] if fix else []),
            )
        )
    return out


def pushes_exceptions(pushes: Iterable[DirectPush]) -> list[ExceptionRow]:
    return [
        ExceptionRow(
            "direct-push",
            p.commit,
            f"{p.branch}: {p.title!r} by {p.author} (committed by {p.committer}) is not a "
            "recorded change"
            + (
                f"; dated {p.committed_at}, outside the period, but nothing recorded shows it "
                f"on {p.branch} before the period began (commit dates are set by the committer)"
                if p.dated_outside_period
                else ""
            ),
            p.committed_at,
            [p.commit],
        )
        for p in pushes
    ]


def ledger_exceptions(report: VerifyReport, unreadable: Iterable[int] = ()) -> list[ExceptionRow]:
    out = [ExceptionRow("history-rewritten", "git", problem) for problem in report.history]
    if report.finding is not None:
        f = report.finding
        out.append(
            ExceptionRow("ledger-damaged", f"seq {f.seq}", f"{f.kind} at seq {f.seq}: {f.detail}")
        )
    out += [
        ExceptionRow(
            "ledger-damaged",
            f"seq {seq}",
            f"the payload at seq {seq} is not a JSON object (changegate never writes one): "
            "the event is left out of every population",
        )
        for seq in unreadable
    ]
    return out


def all_exceptions(
    app: App,
    period: Period,
    *,
    changes: list[ChangeRow],
    deployments: list[DeploymentRow],
    emergencies: list[EmergencyRow],
    leaks: list[LeakRow],
    drifts: list[tuple[Event, Event | None]],
    pushes: list[DirectPush],
    verification: VerifyReport,
    unreadable: Iterable[int] = (),
) -> list[ExceptionRow]:
    """Every exception of the period, in the order of :data:`KINDS`."""
    closed = {
        s.id: not s.is_open for s in em.fold(read(app, EventFilter(action="emergency.*"))).values()
    }
    rows = (
        review_exceptions(changes, closed)
        + pushes_exceptions(pushes)
        + deploy_exceptions(deployments, Recorded.load(app, period.until))
        + emergency_exceptions(emergencies)
        + leak_exceptions(leaks)
        + drift_exceptions(drifts)
        + ledger_exceptions(verification, unreadable)
    )
    return sorted(rows, key=lambda r: (KINDS.index(r.kind), r.at, r.subject))
