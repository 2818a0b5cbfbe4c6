"""Review attestations and the rules that make them count (policy §1, §6).

An attestation says who reviewed exactly which diff (its ``git patch-id``,
which survives a rebase that does not change the diff) with what verdict,
checklist and findings. Whether it counts is decided here, purely: signed by
a listed reviewer's key, not by an author or committer of the change, for
this very diff; an adversarial review must also come from someone other than
the first approver, and each of its findings must be resolved or accepted.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["approve", "request-changes"]
CHECKLIST = ("correctness", "security", "schema_impact", "policy_adherence")


@dataclass(frozen=True)
class Attestation:
    reviewer: str
    kind: Kind
    adversarial: bool
    commit: str
    patch_id: str
    ts: str
    checklist: tuple[str, ...] = CHECKLIST
    findings: tuple[str, ...] = ()
    resolves: tuple[str, ...] = ()  # ids of earlier adversarial findings this review settles
    model: str | None = None  # an adversarial pass by a model: its name and version

    def payload(self) -> bytes:
        """The exact bytes that are signed."""
        return json.dumps(self.as_dict(), sort_keys=True, separators=(",", ":")).encode()

    def as_dict(self) -> dict[str, Any]:
        return {
            "version": 1,
            "reviewer": self.reviewer,
            "kind": self.kind,
            "adversarial": self.adversarial,
            "commit": self.commit,
            "patch_id": self.patch_id,
            "ts": self.ts,
            "checklist": list(self.checklist),
            "findings": list(self.findings),
            "resolves": list(self.resolves),
            "model": self.model,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Attestation:
        return cls(
            reviewer=str(d["reviewer"]),
            kind=d["kind"],
            adversarial=bool(d.get("adversarial", False)),
            commit=str(d["commit"]),
            patch_id=str(d["patch_id"]),
            ts=str(d["ts"]),
            checklist=tuple(d.get("checklist", CHECKLIST)),
            findings=tuple(d.get("findings", ())),
            resolves=tuple(d.get("resolves", ())),
            model=d.get("model"),
        )

    def finding_ids(self) -> list[str]:
        """Short, stable ids a reviewer can type: ``F`` + 8 hex digits of the finding's hash."""
        return [
            "F" + hashlib.sha256(f"{self.reviewer}|{self.ts}|{n}|{text}".encode()).hexdigest()[:8]
            for n, text in enumerate(self.findings, start=1)
        ]


@dataclass
class ReviewDecision:
    approved_by: list[str] = field(default_factory=list)
    changes_requested_by: list[str] = field(default_factory=list)
    adversarial_by: list[str] = field(default_factory=list)
    open_findings: list[tuple[str, str]] = field(default_factory=list)  # (id, text)
    resolved: set[str] = field(default_factory=set)  # finding ids settled by a counted review
    rejected: list[str] = field(default_factory=list)  # why an attestation did not count


def model_finding_ids(patch_id: str, model: str, findings: tuple[str, ...]) -> list[str]:
    """Ids for a model's findings: stable for the same diff, model and text."""
    return [
        "F" + hashlib.sha256(f"{patch_id}|{model}|{n}|{text}".encode()).hexdigest()[:8]
        for n, text in enumerate(findings, start=1)
    ]


def decide(
    attestations: list[tuple[Attestation, bool]],
    *,
    patch_id: str,
    authors: set[str],
    reviewers: set[str],
) -> ReviewDecision:
    """Fold (attestation, signature valid) pairs for this change into who counts.

    The latest attestation per (reviewer, adversarial) wins, so a reviewer
    who requested changes and later approves is an approver.
    """
    out = ReviewDecision()
    latest: dict[tuple[str, bool], Attestation] = {}
    lower_authors = {a.lower() for a in authors}
    lower_reviewers = {r.lower() for r in reviewers}
    counted: list[Attestation] = []
    for att, valid in sorted(attestations, key=lambda pair: pair[0].ts):
        who = att.reviewer.lower()
        if att.patch_id != patch_id:
            out.rejected.append(
                f"{att.reviewer}: reviewed another diff (patch-id "
                f"{att.patch_id[:12]}, the change is {patch_id[:12]})"
            )
            continue
        if not valid:
            out.rejected.append(
                f"{att.reviewer}: signature does not verify against the "
                "reviewer's key in the policy"
            )
            continue
        if who not in lower_reviewers:
            out.rejected.append(f"{att.reviewer}: not a reviewer listed in the policy")
            continue
        if who in lower_authors:
            out.rejected.append(
                f"{att.reviewer}: an author or committer of the change cannot approve it"
            )
            continue
        latest[(who, att.adversarial)] = att
        counted.append(att)
    for (_, adversarial), att in latest.items():
        if adversarial:
            out.adversarial_by.append(att.reviewer)
        elif att.kind == "approve":
            out.approved_by.append(att.reviewer)
        else:
            out.changes_requested_by.append(att.reviewer)
    resolved = out.resolved = {rid for att in counted for rid in att.resolves}
    for att in counted:
        if att.adversarial:
            for fid, text in zip(att.finding_ids(), att.findings, strict=True):
                if fid not in resolved:
                    out.open_findings.append((fid, text))
    # An adversarial reviewer must be independent of the first approver too.
    first = min(
        (a for a in counted if not a.adversarial and a.kind == "approve"),
        key=lambda a: a.ts,
        default=None,
    )
    if first is not None and first.reviewer in out.adversarial_by:
        approvers = {a.reviewer for a in counted if not a.adversarial and a.kind == "approve"}
        if approvers == {first.reviewer}:
            out.adversarial_by.remove(first.reviewer)
            out.rejected.append(
                f"{first.reviewer}: the adversarial review must come from "
                "someone other than the approver"
            )
    out.approved_by.sort()
    out.adversarial_by.sort()
    return out
