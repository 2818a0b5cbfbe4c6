"""Leaked secrets as a lifecycle, folded from ledger events.

A leak is a detected credential that reached committed history. It closes
only when someone attests it was rotated *and* a rescan of every ref shows it
is gone from history (policy §1: "Detected secrets block the commit until
rotated and removed from history"). A false positive is closed by an explicit,
recorded allowance with a reason, never by a silent ignore file.

The state is not stored anywhere but the ledger: folding the events again
always gives the same answer, and the answer can be audited event by event.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from changegate.core.ledger import Event

OPENED = "secrets.leak.opened"
REOPENED = "secrets.leak.reopened"
ROTATED = "secrets.leak.rotated"
PURGE_CHECKED = "secrets.leak.purge_checked"
CLOSED = "secrets.leak.closed"
ALLOWED = "secrets.allowed"
ACTIONS = (OPENED, REOPENED, ROTATED, PURGE_CHECKED, CLOSED, ALLOWED)


@dataclass
class Leak:
    fingerprint: str
    rule: str = ""
    preview: str = ""
    first_commit: str | None = None
    path: str = ""
    line: int = 0
    introduced_by: str = ""
    refs: list[str] = field(default_factory=list)
    opened_at: str = ""
    rotated_at: str | None = None
    rotated_by: str | None = None
    rotation_note: str | None = None
    purged_at: str | None = None  # last purge-check that found it gone
    still_in: list[str] = field(default_factory=list)  # refs at the last failed purge-check
    closed_at: str | None = None
    allowed_by: str | None = None
    allow_reason: str | None = None

    @property
    def state(self) -> str:
        if self.allowed_by:
            return "allowed"
        if self.closed_at:
            return "closed"
        if self.rotated_at and self.still_in:
            return "rotated, still in history"
        if self.rotated_at:
            return "rotated, purge not checked"
        if self.purged_at:
            return "purged, not rotated"
        return "open"

    @property
    def is_open(self) -> bool:
        return self.state not in ("closed", "allowed")

    def ready_to_close(self) -> bool:
        return bool(self.is_open and self.rotated_at and self.purged_at and not self.still_in)

    def as_dict(self) -> dict[str, Any]:
        return {
            "fingerprint": self.fingerprint,
            "state": self.state,
            "rule": self.rule,
            "preview": self.preview,
            "first_commit": self.first_commit,
            "path": self.path,
            "line": self.line,
            "introduced_by": self.introduced_by,
            "refs": self.refs,
            "opened_at": self.opened_at,
            "rotated_at": self.rotated_at,
            "rotated_by": self.rotated_by,
            "purged_at": self.purged_at,
            "still_in": self.still_in,
            "closed_at": self.closed_at,
            "allowed_by": self.allowed_by,
            "allow_reason": self.allow_reason,
        }


def fold(events: Iterable[Event]) -> dict[str, Leak]:
    """Replay the secrets events (in seq order) into the current leaks by fingerprint."""
    leaks: dict[str, Leak] = {}
    for e in events:
        if e.action not in ACTIONS:
            continue
        data = e.data()
        leak = leaks.get(e.subject)
        if e.action in (OPENED, ALLOWED) and leak is None:
            leak = leaks[e.subject] = Leak(
                fingerprint=e.subject,
                rule=str(data.get("rule", "")),
                preview=str(data.get("preview", "")),
                opened_at=e.ts,
            )
        if leak is None:
            continue
        if e.action in (OPENED, REOPENED):
            leak.first_commit = data.get("commit") or leak.first_commit
            leak.path = str(data.get("path", leak.path))
            leak.line = int(data.get("line", leak.line))
            leak.introduced_by = str(data.get("introduced_by", leak.introduced_by))
            leak.refs = list(data.get("refs", leak.refs))
            if e.action == REOPENED:
                leak.opened_at, leak.closed_at = e.ts, None
                leak.rotated_at = leak.rotated_by = leak.rotation_note = None
                leak.purged_at, leak.still_in = None, []
        elif e.action == ROTATED:
            leak.rotated_at, leak.rotated_by = e.ts, e.actor
            leak.rotation_note = str(data.get("note", ""))
        elif e.action == PURGE_CHECKED:
            if data.get("clean"):
                leak.purged_at, leak.still_in = e.ts, []
            else:
                leak.still_in = list(data.get("refs", []))
        elif e.action == CLOSED:
            leak.closed_at = e.ts
        elif e.action == ALLOWED:
            leak.allowed_by, leak.allow_reason = e.actor, str(data.get("reason", ""))
    return leaks
