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

_LAZY = {
    "discover": "changegate.migrations.discovery",
    "check": "changegate.migrations.engine",
    "to_dict": "changegate.migrations.report",
    "to_json": "changegate.migrations.report",
    "to_sarif": "changegate.migrations.report",
    "to_text": "changegate.migrations.report",
    "RULES": "changegate.migrations.rules",
    "verify": "changegate.migrations.dynamic",
}

__all__ = [
    "FORMATS",
    "RULES",
    "CheckResult",
    "FileReport",
    "Finding",
    "LockRecord",
    "Migration",
    "MigrationSet",
    "Script",
    "Settings",
    "Suppression",
    "check",
    "discover",
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
