"""Gate results and the verdict: plain data that the check workflow records and renders.

A gate that could not decide (``error``: a missing tool, a timeout, a bad
answer from a model) blocks exactly like a failure: a pre-merge control that
lets a change through because it broke would not be a control.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "skipped", "error", "bypassed"]
BLOCKING: frozenset[str] = frozenset({"fail", "error"})


@dataclass(frozen=True)
class GateFinding:
    message: str
    path: str | None = None
    line: int | None = None
    rule: str | None = None
    severity: Literal["error", "warning"] = "error"

    def as_dict(self) -> dict[str, Any]:
        return {
            "message": self.message,
            "path": self.path,
            "line": self.line,
            "rule": self.rule,
            "severity": self.severity,
        }


@dataclass
class GateResult:
    gate: str
    status: Status
    reason: str
    findings: list[GateFinding] = field(default_factory=list)
    evidence: dict[str, Any] = field(default_factory=dict)
    duration_s: float = 0.0

    @property
    def blocking(self) -> bool:
        return self.status in BLOCKING

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.gate,
            "status": self.status,
            "reason": self.reason,
            "findings": [f.as_dict() for f in self.findings],
            "evidence": self.evidence,
            "duration_s": round(self.duration_s, 3),
        }


def verdict(results: list[GateResult]) -> Literal["pass", "blocked"]:
    return "blocked" if any(r.blocking for r in results) else "pass"
