"""The typed rows of each population: what one line of a CSV, or one dashboard row, says.

Flat where an auditor filters (ids, people, times), nested only where the
thing is a list by nature (reviews, gates, smoke results). Secrets never
appear: leaks carry fingerprints and redacted previews, config rows value
hashes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


class Row:
    """Shared serialisation for the population rows (all dataclasses)."""

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = asdict(self)  # type: ignore[call-overload]
        return out


@dataclass(frozen=True)
class Review(Row):
    reviewer: str
    kind: str  # approve | request-changes
    adversarial: bool
    at: str
    commit: str  # the commit reviewed
    patch_id: str  # the exact diff reviewed
    source: str  # ssh-signed | github | model
    seq: int


@dataclass(frozen=True)
class ChangeRow(Row):
    id: str  # the merge commit that brought the change onto its branch
    title: str
    authors: list[str]
    head: str
    merge_commit: str
    branch: str
    into: str
    merged_at: str
    merged_by: str
    base: str
    patch_id: str
    classification: list[str]
    rules: list[str]  # why it was classified so: the policy rule that matched
    reviews: list[Review]
    approved_by: list[str]
    rejected_reviews: list[str]  # attestations that did not count, and why
    adversarial_by: list[str]
    adversarial_basis: str
    gates: dict[str, str]
    verdict: str
    verdict_seq: int | None
    verdict_at: str
    evidence_digest: str
    policy_sha256: str
    emergency: str | None
    committed_at: str = ""  # the head commit's date: start of the review-latency clock
    seq: int = 0


@dataclass(frozen=True)
class DeploymentRow(Row):
    deployment: str
    kind: str
    tag: str
    commit: str
    environment: str
    deployer: str
    started_at: str
    ended_at: str
    outcome: str
    migrations: list[dict[str, Any]]
    config_version: int | None
    smoke: list[dict[str, Any]]
    rollback_of: str | None
    reason: str | None
    basis: str | None
    emergency: str | None
    seq: int


@dataclass(frozen=True)
class ConfigChangeRow(Row):
    """One key changed by one configuration version (not one delivery: a re-apply changes
    nothing). Built from the version history by :mod:`changegate.evidence.config_history`."""

    environment: str
    version: int
    key: str  # "*": a revert to content the ledger cannot give (op "unknown")
    op: str  # set | unset | unknown
    secret: bool
    value_hash: str | None  # the keyed hash the ledger holds (never a secret's value)
    value: str | None  # plain values only: already in the ledger, as in a code review
    length: int | None
    previous_value_hash: str | None  # the key's keyed hash in the version before
    origin: str  # proposal | revert | unrecorded (delivered, its creation not on the ledger)
    proposal: str | None
    reverted_to: int | None  # a revert: the version whose content it copies
    proposed_by: str | None  # a revert: who ran it
    approver: str | None  # a revert: "revert by X of vN"
    approved_at: str  # approval (or revert) time
    first_applied_at: str | None  # this version's first delivery
    first_applied_by: str | None
    first_applied_reason: str | None  # proposal | revert | deploy | rollback | reapply
    redeliveries: int  # deliveries of this version after the first
    live_from: str | None  # when the change first went live (maybe with a later version)
    live_with_version: int | None
    seq: int  # the approval's (or revert's) ledger event


@dataclass(frozen=True)
class EmergencyRow(Row):
    id: str
    incident: str
    sev: str
    reason_kind: str
    reason: str
    commit: str
    declared_by: str
    declared_at: str
    bypassed: list[str]
    due: str
    closed_at: str | None
    closed_by: str | None
    retro_reviewers: list[str]
    gates_rerun: dict[str, str]
    late: bool
    open: bool
    overdue: bool
    seq: int


@dataclass(frozen=True)
class LeakRow(Row):
    fingerprint: str
    rule: str
    preview: str  # redacted by the scanner
    first_commit: str | None
    path: str
    introduced_by: str
    opened_at: str
    rotated_at: str | None
    rotated_by: str | None
    purged_at: str | None
    closed_at: str | None
    state: str
    open: bool


@dataclass(frozen=True)
class PolicyReviewRow(Row):
    reviewed_by: str
    reviewed_on: str
    previous_review: str
    next_due: str
    note: str
    policy_sha256: str
    at: str
    seq: int


@dataclass(frozen=True)
class ExceptionRow(Row):
    kind: str
    subject: str
    detail: str
    at: str = ""
    refs: list[str] = field(default_factory=list)  # ledger seqs / commits to look at


@dataclass(frozen=True)
class SodFlag(Row):
    kind: str  # author=reviewer | author=deployer
    person: str
    subject: str
    detail: str
    at: str = ""
