"""The migration runner: bring a database to the tree's migrations, or back.

The deploy workflow calls it with the release's exported tree as ``root`` and
the sets ``discover()`` found there, before any code switch (policy §2:
"Schema migrations apply ahead of the application changes that depend on
them"). Schema rollback (§4: "rare and requires explicit approval") is a
separate function the workflow calls only after that approval.

Each set is known in the database by its directory relative to ``root``, so
the same set in the next release's tree is the same set. Sets apply in the
order given and roll back in the reverse order. One runner at a time: on
PostgreSQL a session advisory lock is held for the whole run; on SQLite every
migration re-reads its tracking row under ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from changegate.errors import InputError
from changegate.migrations import runner_alembic, runner_plain, tracking
from changegate.migrations.model import MigrationSet
from changegate.migrations.runner_db import Database, connect
from changegate.migrations.runner_model import (
    AlembicOptions,
    AppliedMigration,
    MigrationPlan,
    PlanStep,
    Problem,
)
from changegate.migrations.runner_plain import MigrationFailed

LOCK_TIMEOUT = 300.0


def set_key(root: Path, mset: MigrationSet) -> str:
    """The set's name in the tracking table: its directory relative to the tree root."""
    try:
        return mset.root.resolve().relative_to(Path(root).resolve()).as_posix()
    except ValueError:
        raise InputError(
            f"{mset.root}: migration set is not inside {root}; discover the sets from the "
            "tree you pass as root"
        ) from None


def _plan(root: Path, sets: Sequence[MigrationSet], db: Database) -> MigrationPlan:
    rows = tracking.read(db)
    pending: list[PlanStep] = []
    applied: list[PlanStep] = []
    problems: list[Problem] = []
    for mset in sets:
        key = set_key(root, mset)
        if mset.format == "alembic":
            p, a, x = runner_alembic.compare(db, root, key, mset)
        else:
            mine = [r for r in rows if r.set == key]
            p, a, x = runner_plain.compare(root, key, mset, mine)
        pending += p
        applied += a
        problems += x
    return MigrationPlan(tuple(pending), tuple(applied), tuple(problems))


def plan(root: Path, sets: Sequence[MigrationSet], database_url: str) -> MigrationPlan:
    """What ``apply`` would run, what is already applied, and what stops it. Read-only."""
    with connect(database_url, read_only=True) as db:
        return _plan(Path(root), sets, db)


def apply(
    root: Path,
    sets: Sequence[MigrationSet],
    database_url: str,
    *,
    actor: str,
    alembic: AlembicOptions | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> list[AppliedMigration]:
    """Apply every pending migration, set by set, oldest first; what ran (empty: nothing to do).

    Refuses (``InputError``, nothing run) when ``plan`` reports a problem: an
    applied migration edited since, a recorded one missing from the tree, a
    new one sorting below the newest applied. A failing migration raises
    ``MigrationFailed`` (exit 1) whose ``applied`` lists what this call ran
    before it; the database stays at the last good migration.
    """
    root = Path(root)
    options = alembic or AlembicOptions()
    done: list[AppliedMigration] = []
    with connect(database_url) as db, db.run_lock(lock_timeout):
        tracking.ensure(db)
        current = _plan(root, sets, db)
        if current.problems:
            first, *rest = current.problems
            raise InputError(first.message, details=[p.message for p in rest])
        try:
            for mset in sets:
                key = set_key(root, mset)
                if mset.format == "alembic":
                    done += runner_alembic.upgrade(
                        db, root, key, mset, database_url, actor, options
                    )
                    continue
                todo = {s.version for s in current.pending if s.set == key}
                for mig in mset.migrations:
                    if mig.version in todo:
                        ran = runner_plain.run_up(db, root, key, mig, actor)
                        if ran is not None:
                            done.append(ran)
        except MigrationFailed as exc:
            exc.applied = done + exc.applied
            raise
    return done


def rollback(
    root: Path,
    sets: Sequence[MigrationSet],
    database_url: str,
    *,
    to: Mapping[str, str | None],
    actor: str,
    alembic: AlembicOptions | None = None,
    lock_timeout: float = LOCK_TIMEOUT,
) -> list[AppliedMigration]:
    """Run down migrations, newest first, until each set in ``to`` is at ``to[set]``.

    ``to`` maps a set (as in ``applied_versions``) to the version to keep, or
    None for nothing applied; sets not in ``to`` are left alone. ``root`` must
    be the tree that holds the migrations being undone (the release rolled
    back from). Every down is checked before the first runs: a migration
    without one stops the rollback with its name and its ``-- rollback:`` note.
    """
    root = Path(root)
    options = alembic or AlembicOptions()
    keys = {set_key(root, m): m for m in sets}
    unknown = sorted(set(to) - keys.keys())
    if unknown:
        raise InputError(
            f"rollback target names unknown migration set(s) {', '.join(unknown)}; "
            f"the tree has: {', '.join(keys) or 'none'}"
        )
    done: list[AppliedMigration] = []
    with connect(database_url) as db, db.run_lock(lock_timeout):
        tracking.ensure(db)
        downs = {
            key: runner_plain.plan_downs(root, key, mset, tracking.read(db, key), to[key])
            for key, mset in keys.items()
            if key in to and mset.format != "alembic"
        }
        for key, mset in keys.items():
            if key in to and mset.format == "alembic":
                runner_alembic.resolve_target(db, key, mset, to[key])
        try:
            for key, mset in reversed(keys.items()):
                if key not in to:
                    continue
                if mset.format == "alembic":
                    done += runner_alembic.downgrade(
                        db, root, key, mset, database_url, to[key], actor, options
                    )
                    continue
                for mig, row in downs[key]:
                    ran = runner_plain.run_down(db, root, key, mig, row)
                    if ran is not None:
                        done.append(ran)
        except MigrationFailed as exc:
            exc.applied = done + exc.applied
            raise
    return done


def applied_versions(database_url: str) -> dict[str, list[str]]:
    """Per set, the applied versions in order: what to record for a release, and the
    ``to`` of a later rollback to it."""
    with connect(database_url, read_only=True) as db:
        out: dict[str, list[str]] = {}
        for row in tracking.read(db):
            out.setdefault(row.set, []).append(row.version)
        return out
