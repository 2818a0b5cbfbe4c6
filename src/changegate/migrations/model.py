"""Plain data shared by every stage of the migration engine.

Kept free of I/O and of pglast so the policy layer, the ledger and the
renderers can hold results without importing a parser.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Severity = Literal["error", "warning"]

FORMATS = ("golang-migrate", "flyway", "dbmate", "diesel", "plain", "alembic")


@dataclass(frozen=True)
class Script:
    """One direction of a migration as SQL text.

    ``text`` keeps the file's line layout (other sections blanked out) so a
    statement's line number is the line the author sees in their editor.
    """

    path: Path
    text: str
    # Whether the tool wraps the script in one transaction unless told otherwise.
    implicit_transaction: bool = True
    # golang-migrate (one multi-statement query) and Flyway (detects CONCURRENTLY)
    # run a file made only of non-transactional statements outside a transaction.
    alone_runs_outside: bool = False
    # For generated SQL (Alembic offline mode) lines refer to the generated text,
    # so findings point at line 1 of the source file instead.
    generated: bool = False
    # Why the SQL could not be obtained (Alembic offline mode failed for this revision).
    problem: str | None = None


@dataclass(frozen=True)
class Migration:
    """One versioned migration: its up script and, when it has one, its down script."""

    version: str
    name: str
    up: Script
    down: Script | None
    format: str
    # Files the migration is stored in, relative to the repository root when known;
    # used to compare with the base revision.
    sources: tuple[Path, ...] = ()

    @property
    def sort_key(self) -> tuple[tuple[int, int | str], ...]:
        return version_key(self.version)


def version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """Order versions the way the tools do: numeric parts as numbers, the rest as text."""
    import re

    parts = [p for p in re.split(r"[._\-]", version) if p]
    key = [(0, int(p)) if p.isdigit() else (1, p) for p in parts]
    while len(key) > 1 and key[-1] == (0, 0):
        key.pop()  # Flyway: 2.0 and 2 are the same version
    return tuple(key)


@dataclass(frozen=True)
class MigrationSet:
    """The migrations found under one directory, in apply order."""

    root: Path
    format: str
    migrations: tuple[Migration, ...]
    # Alembic only: revision graph edges (revision -> down revisions) for head checks.
    graph: dict[str, tuple[str, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Finding:
    """One problem in one file; ``lines`` lists every occurrence so a check counts once."""

    check: str
    severity: Severity
    line: int
    message: str
    lines: tuple[int, ...] = ()

    def with_severity(self, severity: Severity) -> Finding:
        return Finding(self.check, severity, self.line, self.message, self.lines)


@dataclass(frozen=True)
class Suppression:
    """An inline ``changegate: allow`` the caller records in the ledger as an exception."""

    path: str
    line: int
    check: str
    reason: str


@dataclass
class FileReport:
    """Everything found in one migration file."""

    path: str
    destructive: bool = False
    findings: list[Finding] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(f.severity == "error" for f in self.findings)


@dataclass
class LockRecord:
    """A lock one statement took on a pre-existing table during dynamic verification."""

    path: str
    line: int
    relation: str
    mode: str
    rewrote: bool


@dataclass
class CheckResult:
    """The engine's verdict: per-file reports plus the suppressions that were honoured."""

    files: list[FileReport] = field(default_factory=list)
    suppressions: list[Suppression] = field(default_factory=list)
    locks: list[LockRecord] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(f.blocked for f in self.files)

    def file(self, path: str) -> FileReport:
        """The report for ``path``, created on first use so stages can add to it."""
        for report in self.files:
            if report.path == path:
                return report
        report = FileReport(path)
        self.files.append(report)
        return report


@dataclass(frozen=True)
class Settings:
    """What the policy (``changegate.toml``) tells the engine; plain values only."""

    format: str = "auto"
    paths: tuple[str, ...] = ()
    # Lock and rewrite hazards are warnings unless the policy asks for them to block.
    block_on_hazards: bool = False
    # Per-check severity overrides, e.g. {"lock-timeout": "error"}.
    severities: dict[str, Severity] = field(default_factory=dict)
    disabled: frozenset[str] = frozenset()
    # Paths (globs) searched for code references are the whole base tree minus these
    # (the migration directories themselves are always excluded).
    code_exclude: tuple[str, ...] = ()
    # ACCESS EXCLUSIVE locks on existing tables need a lock_timeout set first.
    require_lock_timeout: bool = True
