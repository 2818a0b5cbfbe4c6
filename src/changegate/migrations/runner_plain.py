"""Running plain-SQL migration sets (golang-migrate, flyway, dbmate, diesel, plain).

Each migration runs in its own transaction together with its tracking row, so
a failure leaves the database at the last good migration with a table that
says so. A migration that needs to run outside a transaction (see
``sqlsplit``; or the tool's own flag: dbmate ``transaction:false``, diesel
``run_in_transaction = false``, Flyway ``executeInTransaction=false``) runs
statement by statement in autocommit and is recorded only when all succeeded;
a failure half-way says which statements already took effect.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from changegate.errors import Blocked, InputError
from changegate.migrations.directives import read_directives
from changegate.migrations.model import Migration, MigrationSet, Script, version_key
from changegate.migrations.runner_db import Database, StatementFailed
from changegate.migrations.runner_model import AppliedMigration, Direction, PlanStep, Problem
from changegate.migrations.sqlsplit import NO_TRANSACTION, bare, split
from changegate.migrations.tracking import Row, checksum, delete, insert, is_recorded


class MigrationFailed(Blocked):
    """A migration failed on the database (exit 1): the deploy must stop here.

    ``applied`` lists what this run applied (or undid) before the failure, so
    the caller can record exactly where the database is.
    """

    def __init__(self, message: str, *, path: str, line: int) -> None:
        super().__init__(message)
        self.path = path
        self.line = line
        self.applied: list[AppliedMigration] = []


def rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def changed_message(path: str, version: str, recorded: str, current: str) -> str:
    return (
        f"{path}: migration {version} was applied with checksum {recorded[:12]} but the file "
        f"now has {current[:12]}; applied migrations are immutable: restore the file as it "
        "was applied and put the change in a new migration"
    )


def compare(
    root: Path, key: str, mset: MigrationSet, rows: list[Row]
) -> tuple[list[PlanStep], list[PlanStep], list[Problem]]:
    """(pending, applied, problems) of one set against its recorded rows."""
    pending: list[PlanStep] = []
    applied: list[PlanStep] = []
    problems: list[Problem] = []
    recorded = {r.version: r for r in rows}
    top = max((r for r in rows), key=lambda r: version_key(r.version), default=None)
    same: dict[object, list[Migration]] = defaultdict(list)
    for mig in mset.migrations:
        same[mig.sort_key].append(mig)
    for mig in mset.migrations:
        path = rel(mig.up.path, root)
        step = PlanStep(key, mig.version, mig.name, path, checksum(mig.up.text))
        twins = same[mig.sort_key]
        if len(twins) > 1 and mig is not twins[0]:
            first = rel(twins[0].up.path, root)
            problems.append(
                Problem(
                    "duplicate",
                    key,
                    mig.version,
                    f"{path}: version {mig.version} is also {first}; give one of them a new "
                    "version",
                )
            )
            continue
        row = recorded.get(mig.version)
        if row is not None:
            if row.checksum != step.checksum:
                message = changed_message(path, mig.version, row.checksum, step.checksum)
                problems.append(Problem("changed", key, mig.version, message))
            applied.append(step)
            continue
        if top is not None and mig.sort_key < version_key(top.version):
            problems.append(
                Problem(
                    "out-of-order",
                    key,
                    mig.version,
                    f"{path}: new migration {mig.version} sorts before {top.version}, which "
                    "is already applied, so it would run after it; give it a version above "
                    f"{top.version}",
                )
            )
        pending.append(step)
    for row in rows:
        if row.version not in {m.version for m in mset.migrations}:
            problems.append(
                Problem(
                    "missing",
                    key,
                    row.version,
                    f"{key}: migration {row.version} ({row.name}) is applied but not in this "
                    "tree, so this is not the tree that migrated the database; deploy from "
                    "a tree that contains it",
                )
            )
    return pending, applied, problems


def _outside_by_flag(mig: Migration, script: Script) -> bool:
    # "plain" files carry no flag (the engine marks them psql-style); the runner
    # gives them a transaction like every other format.
    tool_flag = mig.format != "plain" and not script.implicit_transaction
    return tool_flag or bool(NO_TRANSACTION.search(script.text))


def _run(
    db: Database,
    root: Path,
    mig: Migration,
    script: Script,
    direction: Direction,
    key: str,
    record: Callable[[int], None],
) -> int | None:
    """Run ``script`` and ``record`` it; the milliseconds, or None when another
    runner got there first (the tracking row is re-read under the write lock)."""
    flagged = _outside_by_flag(mig, script)
    statements = split(
        script.text, db.dialect, script.path, db.server_version, own_transactions=flagged
    )
    outside = flagged or any(s.outside for s in statements)
    path = rel(script.path, root)

    def done_already() -> bool:
        # up: the row exists; down: the row is gone.
        return is_recorded(db, key, mig.version) == (direction == "up")

    start = time.monotonic()
    if not outside:
        with db.transaction():
            if done_already():
                return None
            for stmt in statements:
                _execute(db, stmt.text, path, stmt.line, "")
            ms = int((time.monotonic() - start) * 1000)
            record(ms)
        return ms
    with db.transaction():
        if done_already():
            return None
    for n, stmt in enumerate(statements):
        note = (
            f"; this migration runs outside a transaction: the {n} statement(s) before line "
            f"{stmt.line} took effect and the migration is not recorded as {direction}: undo "
            "or finish them by hand (a failed CREATE INDEX CONCURRENTLY leaves an INVALID "
            "index to drop), then run again"
        )
        _execute(db, stmt.text, path, stmt.line, note if n else "")
    ms = int((time.monotonic() - start) * 1000)
    with db.transaction():
        record(ms)
    return ms


def _execute(db: Database, sql: str, path: str, line: int, note: str) -> None:
    try:
        db.execute(sql)
    except StatementFailed as exc:
        raise MigrationFailed(
            f"{path}:{line}: the database refused the statement ({exc.reason}){note or ''}; "
            "the migrations before this one stay applied",
            path=path,
            line=line,
        ) from exc


def run_up(
    db: Database, root: Path, key: str, mig: Migration, actor: str
) -> AppliedMigration | None:
    """Apply one migration with its tracking row; None when it was already applied."""
    row = Row(key, mig.version, mig.name, checksum(mig.up.text))
    ms = _run(
        db,
        root,
        mig,
        mig.up,
        "up",
        key,
        lambda ms: insert(db, row, actor=actor, execution_ms=ms),
    )
    if ms is None:
        return None
    return AppliedMigration(key, mig.version, mig.name, row.checksum, "up", ms)


def run_down(
    db: Database, root: Path, key: str, mig: Migration, row: Row
) -> AppliedMigration | None:
    """Undo one migration and delete its tracking row in the same transaction."""
    assert mig.down is not None  # checked by plan_downs
    ms = _run(db, root, mig, mig.down, "down", key, lambda _ms: delete(db, key, mig.version))
    if ms is None:
        return None
    return AppliedMigration(key, mig.version, mig.name, row.checksum, "down", ms)


def plan_downs(
    root: Path, key: str, mset: MigrationSet, rows: list[Row], target: str | None
) -> list[tuple[Migration, Row]]:
    """The migrations to undo, newest first, each checked to have a down script.

    Everything is checked before anything runs: a rollback that stops half-way
    because the third migration has no down leaves the database in a state no
    release had.
    """
    if target is not None and target not in {r.version for r in rows}:
        have = ", ".join(r.version for r in rows) or "none"
        raise InputError(
            f"{key}: version {target} is not applied (applied: {have}); roll back to one of "
            "them, or to null for none"
        )
    cut = version_key(target) if target is not None else None
    undo = [r for r in rows if cut is None or version_key(r.version) > cut]
    tree = {m.version: m for m in mset.migrations}
    out = []
    for row in reversed(undo):
        mig = tree.get(row.version)
        if mig is None:
            raise InputError(
                f"{key}: migration {row.version} ({row.name}) is applied but not in this tree; "
                "roll back with the tree of the release that applied it"
            )
        path = rel(mig.up.path, root)
        current = checksum(mig.up.text)
        if current != row.checksum:
            raise InputError(changed_message(path, row.version, row.checksum, current))
        if mig.down is None or not bare(mig.down.text):
            what = "no down script" if mig.down is None else "an empty down script"
            notes = read_directives(mig.up.text).notes
            how = (
                f"the file says {notes[0][1]}: {notes[0][2]}"
                if notes
                else "write a down migration, or restore the database from a backup"
            )
            raise InputError(
                f"{path}: migration {row.version} ({row.name}) has {what}, so the rollback "
                f"stops before undoing anything; {how}"
            )
        out.append((mig, row))
    return out
