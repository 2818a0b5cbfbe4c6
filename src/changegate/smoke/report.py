"""What a smoke run found, as plain data the deploy workflow records and renders.

Every attempt is kept (not only the last), because "passed on the third try" and
"failed three times the same way" are different stories for whoever reads the
deploy record. Nothing here holds a credential: a result names the environment
variable whose credential was sent, never its value.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Status = Literal["pass", "fail", "skip"]


@dataclass(frozen=True)
class Attempt:
    """One try of one check: its status, a one-line detail and how long it took."""

    number: int
    status: Literal["pass", "fail"]
    detail: str
    duration_s: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "number": self.number,
            "status": self.status,
            "detail": self.detail,
            "duration_s": round(self.duration_s, 3),
        }


@dataclass(frozen=True)
class SmokeResult:
    """One check's verdict. ``detail`` says what was expected and what came back."""

    name: str
    kind: str
    status: Status
    detail: str
    attempts: list[Attempt] = field(default_factory=list)
    duration_s: float = 0.0
    credential_env: str | None = None  # the variable whose credential was sent, if any

    @property
    def passed(self) -> bool:
        return self.status != "fail"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "kind": self.kind,
            "status": self.status,
            "detail": self.detail,
            "duration_s": round(self.duration_s, 3),
            "credential_env": self.credential_env,
            "attempts": [a.to_dict() for a in self.attempts],
        }


@dataclass(frozen=True)
class SmokeReport:
    """All checks of one phase, in policy order; ``passed`` when none failed."""

    phase: str
    results: list[SmokeResult]
    started_at: str  # ISO 8601, UTC
    duration_s: float

    @property
    def passed(self) -> bool:
        return all(r.passed for r in self.results)

    @property
    def failed(self) -> list[SmokeResult]:
        return [r for r in self.results if r.status == "fail"]

    def lines(self) -> list[str]:
        """One line per check (``PASS name (kind): detail``), for terminals and logs."""
        return [f"{r.status.upper():4}  {r.name} ({r.kind}): {r.detail}" for r in self.results]

    def to_dict(self) -> dict[str, Any]:
        """JSON-able, for the ledger and ``--json`` output; holds no secret."""
        return {
            "phase": self.phase,
            "passed": self.passed,
            "started_at": self.started_at,
            "duration_s": round(self.duration_s, 3),
            "results": [r.to_dict() for r in self.results],
        }
