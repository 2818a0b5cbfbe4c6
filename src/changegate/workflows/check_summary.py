"""What a check leaves behind, as plain data: rendered, recorded and replayed the same way.

Both the full check and the verdict cache's fast path produce a
:class:`CheckSummary` and record it through :func:`record`, so the two cannot
drift apart in what they print or what they append to the ledger. This module
must stay light (no policy model, no database driver): the fast path imports it
before deciding whether the heavy machinery is needed at all.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from changegate.core.ledger import Event
from changegate.core.verdict import GateFinding, GateResult

# Appends one event: (actor, action, subject, payload) -> the recorded event.
Append = Callable[[str, str, str, dict[str, Any]], Event]


@dataclass
class CheckSummary:
    """The change as the renderers show it, the gate results and the verdict."""

    verdict: str
    base: str
    head: str
    merge_base: str
    patch_id: str
    base_name: str
    head_name: str
    file_count: int
    classification: dict[str, Any]  # core.classify.Classification.as_dict()
    results: list[GateResult]
    evidence_digest: str
    seq: int | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def labels(self) -> list[str]:
        return [str(label) for label in self.classification.get("labels", [])]

    @property
    def reasons(self) -> list[str]:
        return [str(reason) for reason in self.classification.get("reasons", [])]

    def as_dict(self) -> dict[str, Any]:
        """The ``--format json`` document."""
        return {
            "verdict": self.verdict,
            "base": self.base,
            "head": self.head,
            "merge_base": self.merge_base,
            "patch_id": self.patch_id,
            "classification": self.classification,
            "gates": [r.as_dict() for r in self.results],
            "evidence_digest": self.evidence_digest,
            "ledger_seq": self.seq,
            "notes": self.notes,
        }


def evidence_digest(results: list[GateResult]) -> str:
    """The digest a release or merge later cites: every gate result, canonically."""
    evidence = json.dumps([r.as_dict() for r in results], sort_keys=True, default=str)
    return hashlib.sha256(evidence.encode()).hexdigest()


def result_from_dict(data: dict[str, Any]) -> GateResult:
    """A gate result back from its ``as_dict()`` form (ledger payload or cache entry)."""
    findings = [GateFinding(**f) for f in data.get("findings", [])]
    return GateResult(
        data["name"],
        data["status"],
        data["reason"],
        findings,
        dict(data.get("evidence", {})),
        float(data.get("duration_s", 0.0)),
    )


def record(
    append: Append,
    actor: str,
    summary: CheckSummary,
    policy_sha256: str,
    extra: dict[str, Any] | None = None,
) -> tuple[list[Event], Event]:
    """Append every gate result and then the verdict (the caller holds one transaction).

    Returns the gate events (their seqs are what a later check cites as
    ``cached_from_seq``) and the verdict event.
    """
    gate_events = [
        append(
            actor,
            "gate.result",
            summary.head,
            {**r.as_dict(), "patch_id": summary.patch_id, "base": summary.merge_base},
        )
        for r in summary.results
    ]
    verdict_event = append(
        actor,
        "check.verdict",
        summary.head,
        {
            "verdict": summary.verdict,
            "base": summary.merge_base,
            "base_ref": summary.base_name,
            "patch_id": summary.patch_id,
            "classification": summary.classification,
            "gates": {r.gate: r.status for r in summary.results},
            "evidence_digest": summary.evidence_digest,
            "policy_sha256": policy_sha256,
            "notes": summary.notes,
            **(extra or {}),
        },
    )
    return gate_events, verdict_event
