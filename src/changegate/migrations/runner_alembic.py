"""Running an Alembic set with the real ``alembic`` command.

Alembic's revisions are Python that imports the project's models, so only
Alembic can run them; the runner calls ``alembic upgrade heads`` /
``alembic downgrade <rev>`` in the project's directory and reads
``alembic_version`` before and after to know what moved. What moved is also
written to ``changegate_schema_migrations`` (version ``NNNN-<revision>`` as the
engine numbers them, checksum of the revision file), so ``applied_versions``
describes every set the same way; Alembic's own table stays the authority and
the copy is reconciled with it on every run.

The URL reaches ``env.py`` through an environment variable (``url_env``),
``sqlalchemy.url`` in a temporary copy of ``alembic.ini`` (``%(here)s`` still
means the project's directory) and, when asked, ``-x url=``. If Alembic
succeeds but our database did not move, ``env.py`` read some other URL and the
run is reported as an environment problem rather than a success.
"""

from __future__ import annotations

import configparser
import io
import re
import sys
import tempfile
import time
from pathlib import Path

from changegate.adapters.proc import Result, run
from changegate.errors import EnvironmentProblem, InputError
from changegate.migrations.alembic_offline import _LOGGING, _script_location
from changegate.migrations.discovery import read_text
from changegate.migrations.model import Migration, MigrationSet
from changegate.migrations.runner_db import Database
from changegate.migrations.runner_model import (
    AlembicOptions,
    AppliedMigration,
    Direction,
    PlanStep,
    Problem,
)
from changegate.migrations.runner_plain import MigrationFailed, rel
from changegate.migrations.tracking import Row, checksum, delete, insert, read

VERSION_TABLE = "alembic_version"
_NUMBERED = re.compile(r"^\d{4}-(.+)$")


def revision(mig: Migration) -> str:
    """The Alembic revision id of an engine migration (versions are ``NNNN-<rev>``)."""
    m = _NUMBERED.match(mig.version)
    return m.group(1) if m else mig.version


def _current(db: Database) -> tuple[str, ...]:
    if not db.has_table(VERSION_TABLE):
        return ()
    return tuple(sorted(str(r[0]) for r in db.rows(f"SELECT version_num FROM {VERSION_TABLE}")))


def _ancestors(graph: dict[str, tuple[str, ...]], heads: tuple[str, ...]) -> set[str]:
    seen: set[str] = set()
    todo = list(heads)
    while todo:
        rev = todo.pop()
        if rev not in seen:
            seen.add(rev)
            todo.extend(graph.get(rev, ()))
    return seen


def _step(root: Path, key: str, mig: Migration) -> PlanStep:
    path = mig.up.path
    return PlanStep(key, mig.version, path.stem, rel(path, root), checksum(read_text(path)))


def compare(
    db: Database, root: Path, key: str, mset: MigrationSet
) -> tuple[list[PlanStep], list[PlanStep], list[Problem]]:
    """(pending, applied, problems): applied are the ancestors of the database's heads."""
    current = _current(db)
    problems = [
        Problem(
            "unknown-revision",
            key,
            rev,
            f"{key}: the database is at Alembic revision {rev}, which this tree does not "
            "have; deploy from a tree that contains it",
        )
        for rev in current
        if rev not in mset.graph
    ]
    done = _ancestors(mset.graph, current)
    pending: list[PlanStep] = []
    applied: list[PlanStep] = []
    for mig in mset.migrations:
        (applied if revision(mig) in done else pending).append(_step(root, key, mig))
    return pending, applied, problems


def _ini_text(script_dir: Path, ini: Path | None, url: str) -> str:
    """The project's alembic.ini, pointed at ``url``, valid from another directory."""
    text = ini.read_text() if ini is not None else _LOGGING
    if ini is not None:
        text = text.replace("%(here)s", str(ini.parent.resolve()).replace("%", "%%"))
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    if not parser.has_section("alembic"):
        parser.add_section("alembic")
    parser.set("alembic", "script_location", str(script_dir).replace("%", "%%"))
    parser.set("alembic", "sqlalchemy.url", url.replace("%", "%%"))
    out = io.StringIO()
    parser.write(out)
    return out.getvalue()


def _alembic(mset: MigrationSet, url: str, options: AlembicOptions, args: list[str]) -> Result:
    script_dir, ini = _script_location(mset.root)
    cwd = ini.parent if ini is not None else script_dir.parent
    command = list(options.command or (sys.executable, "-m", "alembic"))
    with tempfile.TemporaryDirectory(prefix="changegate-alembic-") as tmp:
        config = Path(tmp) / "alembic.ini"
        config.write_text(_ini_text(script_dir, ini, url))
        extra = ["-x", f"url={url}"] if options.x_url else []
        return run(
            [*command, "-c", str(config), *extra, *args],
            cwd=cwd,
            env={options.url_env: url},
            timeout=options.timeout,
        )


def _mirror(
    db: Database,
    root: Path,
    key: str,
    mset: MigrationSet,
    heads: tuple[str, ...],
    actor: str,
    moved: dict[str, int],
) -> None:
    """Make the tracking rows of ``key`` match Alembic's state (one transaction)."""
    done = _ancestors(mset.graph, heads)
    wanted = {m.version: _step(root, key, m) for m in mset.migrations if revision(m) in done}
    with db.transaction():
        have = {r.version for r in read(db, key)}
        for version in have - wanted.keys():
            delete(db, key, version)
        for version, step in wanted.items():
            if version not in have:
                row = Row(key, version, step.name, step.checksum)
                insert(db, row, actor=actor, execution_ms=moved.get(version, 0))


def _migrate(
    db: Database,
    root: Path,
    key: str,
    mset: MigrationSet,
    url: str,
    actor: str,
    options: AlembicOptions,
    args: list[str],
) -> list[AppliedMigration]:
    """Run one alembic command and report the revisions it applied or undid."""
    before = _current(db)
    start = time.monotonic()
    result = _alembic(mset, url, options, args)
    ms = int((time.monotonic() - start) * 1000)
    after = _current(db)
    up = args[0] == "upgrade"
    old, new = _ancestors(mset.graph, before), _ancestors(mset.graph, after)
    changed = [m for m in mset.migrations if revision(m) in (new - old if up else old - new)]
    if not up:
        changed.reverse()
    # Alembic reports one duration for the command; each revision it ran carries it.
    _mirror(db, root, key, mset, after, actor, {m.version: ms for m in changed})
    direction: Direction = "up" if up else "down"
    steps = [_step(root, key, m) for m in changed]
    moved = [AppliedMigration(key, s.version, s.name, s.checksum, direction, ms) for s in steps]
    if not result.ok:
        lines = (result.err.strip() or result.out.strip() or "failed").splitlines()
        error = MigrationFailed(
            f"{key}: alembic {' '.join(args)} failed ({lines[-1]}); the database is now at "
            f"{', '.join(after) or 'base'}: fix the revision and run again",
            path=key,
            line=0,
        )
        error.applied = moved
        raise error
    return moved


def upgrade(
    db: Database,
    root: Path,
    key: str,
    mset: MigrationSet,
    url: str,
    actor: str,
    options: AlembicOptions,
) -> list[AppliedMigration]:
    """``alembic upgrade heads``; what it applied, oldest first."""
    pending, _, _ = compare(db, root, key, mset)
    if not pending:
        _mirror(db, root, key, mset, _current(db), actor, {})
        return []
    moved = _migrate(db, root, key, mset, url, actor, options, ["upgrade", "heads"])
    if not moved:
        raise EnvironmentProblem(
            f"{key}: alembic upgrade succeeded but {db.where} did not move: the project's "
            f"env.py migrated another database; make it read ${options.url_env} or "
            "sqlalchemy.url (or -x url with x_url)"
        )
    return moved


def resolve_target(db: Database, key: str, mset: MigrationSet, target: str | None) -> str | None:
    """The revision to downgrade to (``NNNN-<rev>`` or a bare revision), checked to be
    applied; None for base. Called before any set is rolled back."""
    if target is None:
        return None
    current = _current(db)
    numbered = _NUMBERED.match(target)
    rev = numbered.group(1) if numbered and numbered.group(1) in mset.graph else target
    if rev not in _ancestors(mset.graph, current):
        raise InputError(
            f"{key}: revision {target} is not applied (the database is at "
            f"{', '.join(current) or 'base'}); roll back to one of its ancestors, or to "
            "null for none"
        )
    return rev


def downgrade(
    db: Database,
    root: Path,
    key: str,
    mset: MigrationSet,
    url: str,
    target: str | None,
    actor: str,
    options: AlembicOptions,
) -> list[AppliedMigration]:
    """``alembic downgrade <target>`` (``base`` for None); what it undid, newest first."""
    rev = resolve_target(db, key, mset, target)
    current = _current(db)
    if (rev is None and not current) or (rev is not None and current == (rev,)):
        _mirror(db, root, key, mset, current, actor, {})
        return []
    return _migrate(db, root, key, mset, url, actor, options, ["downgrade", rev or "base"])
