"""Plain data of the migration runner: what is pending, what ran, what is wrong.

Kept apart from the runner so the deploy workflow and the ledger can hold a
plan or a run record without importing a database driver; every value turns
into JSON through ``as_dict`` because each run is recorded as an event.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Direction = Literal["up", "down"]
ProblemKind = Literal["changed", "missing", "out-of-order", "duplicate", "unknown-revision"]


@dataclass(frozen=True)
class AppliedMigration:
    """One migration the runner ran (``up``) or undid (``down``) on the database."""

    set: str  # the set's directory relative to the tree root: the key in the tracking table
    version: str
    name: str
    checksum: str  # sha256 of the up script (for Alembic: of the revision file)
    direction: Direction
    duration_ms: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "set": self.set,
            "version": self.version,
            "name": self.name,
            "checksum": self.checksum,
            "direction": self.direction,
            "duration_ms": self.duration_ms,
        }


@dataclass(frozen=True)
class PlanStep:
    """A migration of the tree, pending or already applied, with the file it comes from."""

    set: str
    version: str
    name: str
    path: str  # the up script relative to the tree root
    checksum: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "set": self.set,
            "version": self.version,
            "name": self.name,
            "path": self.path,
            "checksum": self.checksum,
        }


@dataclass(frozen=True)
class Problem:
    """Why the tree and the database disagree; any problem makes ``apply`` refuse.

    ``message`` is one line naming the file and what to do, ready for the user.
    """

    kind: ProblemKind
    set: str
    version: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "set": self.set,
            "version": self.version,
            "message": self.message,
        }


@dataclass(frozen=True)
class MigrationPlan:
    """What ``apply`` would do: pending migrations in apply order, applied ones, problems."""

    pending: tuple[PlanStep, ...] = ()
    applied: tuple[PlanStep, ...] = ()
    problems: tuple[Problem, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "pending": [s.as_dict() for s in self.pending],
            "applied": [s.as_dict() for s in self.applied],
            "problems": [p.as_dict() for p in self.problems],
        }


@dataclass(frozen=True)
class AlembicOptions:
    """How the runner calls Alembic for a set in that format.

    ``command`` is the Alembic executable to run (the deployed project's own,
    whose interpreter can import its models), or None for ``python -m alembic``
    from changegate's interpreter. The database URL reaches ``env.py`` three
    ways: the ``url_env`` environment variable, ``sqlalchemy.url`` in a copy of
    ``alembic.ini``, and, only when ``x_url`` is set, ``-x url=...`` (off by
    default: command lines are visible to every user of the machine).
    """

    command: tuple[str, ...] | None = None
    url_env: str = "DATABASE_URL"
    x_url: bool = False
    timeout: float = 3600.0
