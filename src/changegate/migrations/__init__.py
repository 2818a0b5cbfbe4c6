"""The migration engine: is a database migration safe to ship, and can it be undone?

Public API (everything else in this package is internal):

``discover(root, paths=(), format="auto") -> list[MigrationSet]``
    Find migration sets. ``format`` is one of ``FORMATS`` (golang-migrate, flyway,
    dbmate, diesel, plain, alembic) or ``"auto"``; ``paths`` are relative to ``root``.
    Raises ``InputError`` for an unknown format, a missing path or a path without
    migrations.

``check(root, settings=None, base=None, sets=None) -> CheckResult``
    The static check. ``root`` is the work tree (a git repository when ``base`` is
    given); ``base`` is the revision in production (e.g. ``"origin/main"``): only
    migrations that are new or changed relative to it are reported, ordering is
    checked against it, and dropped/renamed names are searched in its code.

``verify(root, result, sets=None, settings=None, server_url=None) -> CheckResult``
    Dynamic verification on a real PostgreSQL (a throwaway server from the local
    binaries when ``server_url`` is None; with a URL, a scratch database is created
    on that server and dropped afterwards). Migrations not in ``result.files`` form
    the base schema; each other one is applied statement by statement, recording
    strong locks and table rewrites (``result.locks``, ``table-rewrite``), then its
    down runs and the catalog must match the one before (``down-mismatch``), then
    up runs again. Adds findings to ``result`` and returns it. Raises
    ``EnvironmentProblem`` when no server can be started or reached.

``to_dict(result)`` / ``to_json(result)`` / ``to_sarif(result)`` / ``to_text(result)``
    Pure renderers. ``to_dict`` gives ``{"blocked", "files": [{"path",
    "destructive", "blocked", "findings": [{"check", "severity", "line",
    "message"}]}]}`` plus ``suppressions`` (record each in the ledger as an
    exception with actor and reason) and ``locks``.

``plan(root, sets, database_url) -> MigrationPlan``
    The runner, read-only: per set (keyed by its directory relative to ``root``)
    the pending migrations in apply order, the applied ones, and ``problems``
    (an applied migration whose file changed, one recorded but missing from the
    tree, a new one sorting below the newest applied, a duplicate version, an
    Alembic revision the tree lacks). ``MigrationPlan.as_dict()`` is JSON-able.

``apply(root, sets, database_url, *, actor, alembic=None, lock_timeout=300)``
    Returns ``list[AppliedMigration]``.
    Run the pending migrations. Plain-SQL formats go through the built-in runner:
    tracking table ``changegate_schema_migrations`` (set, version, name, sha256
    of the up script, applied_at, applied_by, execution_ms), each migration in
    its own transaction with its row; statements PostgreSQL refuses in a
    transaction (``CREATE INDEX CONCURRENTLY``, ``VACUUM``, ...) or a
    ``-- changegate: no-transaction`` comment make a migration run statement by
    statement in autocommit. Alembic sets run ``alembic upgrade heads``
    (``AlembicOptions``: command, ``url_env`` default ``DATABASE_URL``,
    ``x_url``). Any plan problem raises ``InputError`` before anything runs; a
    failing migration raises ``MigrationFailed`` (exit 1, ``.applied`` lists
    what ran first). One runner at a time (PostgreSQL advisory lock; SQLite
    ``BEGIN IMMEDIATE``).

``rollback(root, sets, database_url, *, to, actor, alembic=None, lock_timeout=300)``
    Returns ``list[AppliedMigration]``.
    Run downs newest first until each set in ``to`` is at ``to[set]`` (None:
    nothing applied), each with its row deletion in one transaction; Alembic
    sets run ``alembic downgrade``. Every down is checked first: a migration
    without one raises ``InputError`` naming it and quoting its ``-- rollback:``
    note. Policy §4: call it only with explicit approval.

``applied_versions(database_url) -> dict[str, list[str]]``
    Per set, the applied versions in order (record it with the release; it is
    the ``to`` of a later rollback).

``AppliedMigration`` (set, version, name, checksum, direction, duration_ms;
``as_dict()``), ``MigrationPlan`` (pending, applied, problems, ``ok``).

``Settings``: what ``changegate.toml`` says (format, paths, block_on_hazards,
severities, disabled, code_exclude, require_lock_timeout). ``RULES``: every check
id with its category, default severity, reason and safe alternative.

Inline directives (``--`` in SQL, ``#`` in Alembic scripts): ``-- rollback: <how>``
or ``-- backup: <how>`` is a rollback path for a destructive migration without a
down script; ``-- changegate: contract`` marks a contract-phase step (renames,
drops of names the base code uses, NOT NULL without default, DROP DEFAULT are
then allowed); ``-- changegate: allow <check>[, <check>] reason: <why>`` waives
a destructive, compat or hazard check (never input, ordering or rollback-missing)
and comes back in ``result.suppressions``. A finding repeated in one file is one
finding whose ``lines`` lists every occurrence.

Exit codes for a CLI: 0 when ``not result.blocked``, 1 when blocked, 2 on
``InputError``. Importing this package is cheap: pglast is imported only when
SQL is parsed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from changegate.migrations.model import (
    FORMATS,
    CheckResult,
    FileReport,
    Finding,
    LockRecord,
    Migration,
    MigrationSet,
    Script,
    Settings,
    Suppression,
)

if TYPE_CHECKING:
    from changegate.migrations.discovery import discover
    from changegate.migrations.dynamic import verify
    from changegate.migrations.engine import check
    from changegate.migrations.report import to_dict, to_json, to_sarif, to_text
    from changegate.migrations.rules import RULES
    from changegate.migrations.runner import applied_versions, apply, plan, rollback
    from changegate.migrations.runner_model import (
        AlembicOptions,
        AppliedMigration,
        MigrationPlan,
        PlanStep,
        Problem,
    )
    from changegate.migrations.runner_plain import MigrationFailed

_LAZY = {
    "discover": "changegate.migrations.discovery",
    "check": "changegate.migrations.engine",
    "to_dict": "changegate.migrations.report",
    "to_json": "changegate.migrations.report",
    "to_sarif": "changegate.migrations.report",
    "to_text": "changegate.migrations.report",
    "RULES": "changegate.migrations.rules",
    "verify": "changegate.migrations.dynamic",
    "plan": "changegate.migrations.runner",
    "apply": "changegate.migrations.runner",
    "rollback": "changegate.migrations.runner",
    "applied_versions": "changegate.migrations.runner",
    "AlembicOptions": "changegate.migrations.runner_model",
    "AppliedMigration": "changegate.migrations.runner_model",
    "MigrationPlan": "changegate.migrations.runner_model",
    "PlanStep": "changegate.migrations.runner_model",
    "Problem": "changegate.migrations.runner_model",
    "MigrationFailed": "changegate.migrations.runner_plain",
}

__all__ = [
    "FORMATS",
    "RULES",
    "AlembicOptions",
    "AppliedMigration",
    "CheckResult",
    "FileReport",
    "Finding",
    "LockRecord",
    "Migration",
    "MigrationFailed",
    "MigrationPlan",
    "MigrationSet",
    "PlanStep",
    "Problem",
    "Script",
    "Settings",
    "Suppression",
    "applied_versions",
    "apply",
    "check",
    "discover",
    "plan",
    "rollback",
    "to_dict",
    "to_json",
    "to_sarif",
    "to_text",
    "verify",
]


def __getattr__(name: str) -> Any:
    """Load the heavier modules on first use so ``import changegate.migrations`` stays cheap."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)
