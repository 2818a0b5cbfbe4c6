"""Emergency changes as data: who may bypass what, and the state folded from the ledger.

Policy §3: only the severities and reasons the policy names may bypass, only
the gates it lets be skipped (never secret scanning), the deviation is
logged, a retroactive review is due within N business days, and skipped
gates are re-run before the change is considered closed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from changegate.core.ledger import Event, parse_timestamp
from changegate.core.policy import Emergency as Rules

DECLARED = "emergency.declared"
CLOSED = "emergency.closed"
# The change reached production: the retroactive-review clock restarts from the
# deploy (§3 "reviewed retroactively within one business day" of shipping).
DEPLOYED = "emergency.deployed"


def refusal(rules: Rules, sev: str, reason_kind: str, skip: list[str]) -> str | None:
    """Why the policy does not allow this bypass, or None when it does."""
    if sev not in rules.severities:
        return (
            f"{sev} may not bypass the normal process: the policy allows "
            f"{', '.join(rules.severities)}"
        )
    if reason_kind not in rules.reasons:
        return f"reason {reason_kind!r} is not one the policy allows: {', '.join(rules.reasons)}"
    if "secrets" in skip:
        return "secret scanning can never be skipped: a leaked credential is not fixed by shipping"
    extra = [g for g in skip if g not in rules.may_skip]
    if extra:
        return (
            f"the policy does not let {', '.join(extra)} be skipped (may skip: "
            f"{', '.join(rules.may_skip)})"
        )
    return None


@dataclass
class EmergencyState:
    id: str
    incident: str
    sev: str
    reason: str
    reason_kind: str
    commit: str
    base: str
    patch_id: str
    skipped: list[str]
    declared_by: str
    declared_at: str
    due: str
    seq: int
    closed_at: str | None = None
    closed_by: str | None = None
    late: bool = False
    retro_reviewers: list[str] = field(default_factory=list)
    deployed_at: str | None = None
    deployment: str | None = None

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    def overdue(self, now: datetime) -> bool:
        return self.is_open and now > datetime.fromisoformat(self.due)

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "incident": self.incident,
            "sev": self.sev,
            "reason": self.reason,
            "reason_kind": self.reason_kind,
            "commit": self.commit,
            "base": self.base,
            "patch_id": self.patch_id,
            "skipped": self.skipped,
            "declared_by": self.declared_by,
            "declared_at": self.declared_at,
            "due": self.due,
            "closed_at": self.closed_at,
            "closed_by": self.closed_by,
            "late": self.late,
            "retro_reviewers": self.retro_reviewers,
            "deployed_at": self.deployed_at,
            "deployment": self.deployment,
            "open": self.is_open,
        }


def fold(events: Iterable[Event]) -> dict[str, EmergencyState]:
    out: dict[str, EmergencyState] = {}
    for e in events:
        data = e.data()
        if e.action == DECLARED:
            out[e.subject] = EmergencyState(
                id=e.subject,
                incident=str(data["incident"]),
                sev=str(data["sev"]),
                reason=str(data["reason"]),
                reason_kind=str(data.get("reason_kind", "")),
                commit=str(data["commit"]),
                # The merge base, not a branch name: the shipped diff must stay the same
                # after the hotfix is merged and the branch moves on.
                base=str(data.get("merge_base") or data["base"]),
                patch_id=str(data["patch_id"]),
                skipped=list(data["skipped"]),
                declared_by=e.actor,
                declared_at=e.ts,
                due=str(data["due"]),
                seq=e.seq,
            )
        elif e.action == DEPLOYED and e.subject in out and out[e.subject].deployed_at is None:
            state = out[e.subject]
            state.deployed_at = str(data.get("deployed_at", e.ts))
            state.deployment = data.get("deployment")
            state.due = str(data.get("due", state.due))
        elif e.action == CLOSED and e.subject in out:
            state = out[e.subject]
            state.closed_at, state.closed_by = e.ts, e.actor
            state.late = bool(data.get("late"))
            state.retro_reviewers = list(data.get("retro_reviewers", []))
    return out


def declared_at(state: EmergencyState) -> datetime:
    return parse_timestamp(state.declared_at)
