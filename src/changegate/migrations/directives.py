"""Inline comments that change a verdict: rollback notes, contract marks, suppressions.

They live in comments so they travel with the migration through review and
into the ledger; ``--`` in SQL and ``#`` in Alembic's Python scripts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PREFIX = r"(?:--|#)\s*"
_NOTE = re.compile(_PREFIX + r"(rollback|backup)\s*:\s*(\S.*)$", re.I)
_CONTRACT = re.compile(_PREFIX + r"changegate\s*:\s*contract\b", re.I)
_ALLOW = re.compile(
    _PREFIX + r"changegate\s*:\s*allow\s+([\w\-, ]+?)\s*(?:reason\s*:\s*(.*))?$", re.I
)


@dataclass(frozen=True)
class Allow:
    line: int
    check: str
    reason: str


@dataclass
class Directives:
    """What the comments of one migration say."""

    notes: list[tuple[int, str, str]] = field(default_factory=list)  # (line, kind, text)
    contract: bool = False
    allows: list[Allow] = field(default_factory=list)
    # ``allow`` comments without a reason: not honoured, reported instead.
    unreasoned: list[tuple[int, str]] = field(default_factory=list)

    @property
    def has_rollback_note(self) -> bool:
        return bool(self.notes)


_EMPTY_NOTES = {"none", "n/a", "na", "no", "nothing", "todo", "tbd", "-", "--", "?", "tba"}


def _says_something(note: str) -> bool:
    """A note that only says there is no plan is no rollback path."""
    text = note.strip().strip(".!").lower()
    return len(text) >= 3 and text not in _EMPTY_NOTES


def read_directives(text: str) -> Directives:
    """Every directive in ``text``; unknown ``changegate:`` comments are ignored."""
    found = Directives()
    for number, line in enumerate(text.splitlines(), start=1):
        if "--" not in line and "#" not in line:
            continue
        note = _NOTE.search(line)
        if note and _says_something(note.group(2)):
            found.notes.append((number, note.group(1).lower(), note.group(2).strip()))
        if _CONTRACT.search(line):
            found.contract = True
        allow = _ALLOW.search(line)
        if allow:
            checks = [c for c in re.split(r"[,\s]+", allow.group(1)) if c]
            reason = (allow.group(2) or "").strip()
            for check in checks:
                if reason:
                    found.allows.append(Allow(number, check.lower(), reason))
                else:
                    found.unreasoned.append((number, check.lower()))
    return found
