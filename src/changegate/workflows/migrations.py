"""Migration safety use case: check (and optionally verify) migrations, record exceptions.

The engine (``changegate.migrations``) judges; this module feeds it the
policy's settings and records every inline suppression it honoured as an
exception in the ledger (who ran the gate, which check, the written reason),
so that a waived check is as visible to an auditor as a failed one.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from changegate.app import App
from changegate.core.policy import Policy
from changegate.errors import ChangegateError

if TYPE_CHECKING:
    from changegate.migrations import CheckResult, MigrationSet, Settings

SUPPRESSED = "migrations.check_suppressed"


def settings_for(policy: Policy | None) -> Settings:
    from changegate.migrations import Settings

    if policy is None:
        return Settings()
    return Settings(block_on_hazards=policy.gates.migrations.hazards_block)


def policy_sets(root: Path, policy: Policy | None) -> list[MigrationSet] | None:
    """The sets the policy lists, found under ``root`` (a work tree or a clean worktree);
    None means auto-discovery."""
    from changegate.migrations import discover

    if policy is None or not policy.gates.migrations.sets:
        return None
    return [m for s in policy.gates.migrations.sets for m in discover(root, [s.path], s.format)]


def sets_for(app: App, policy: Policy | None, paths: Sequence[str]) -> list[MigrationSet] | None:
    """The sets named on the command line, else those the policy lists, else auto-discovery."""
    from changegate.migrations import discover

    if paths:
        return discover(app.root, [str(app.path(p)) for p in paths], "auto")
    return policy_sets(app.root, policy)


def check(
    app: App,
    *,
    paths: Sequence[str] = (),
    base: str | None = None,
    verify: bool = False,
    server_url: str | None = None,
) -> CheckResult:
    from changegate import migrations

    policy = _policy_if_any(app, base)
    settings = settings_for(policy)
    sets = sets_for(app, policy, paths)
    result = migrations.check(app.root, settings, base, sets)
    if verify:
        result = migrations.verify(app.root, result, sets, settings, server_url)
    return result


def _policy_if_any(app: App, base: str | None) -> Policy | None:
    """The base revision's policy (the trusted one) when there is one, else the work
    tree's; none at all is fine too: the checker is useful before `changegate init`."""
    if base and app.git.show_file(base, "changegate.toml") is not None:
        return app.policy_at(base)
    if not (app.root / "changegate.toml").exists():
        return None
    return app.policy()


def record_suppressions(app: App, result: CheckResult) -> int:
    """Record each honoured inline suppression once (same file, line, check and reason)."""
    if not result.suppressions:
        return 0
    try:
        from changegate.adapters.storage.store import EventFilter

        store = app.store()
        seen = {
            (e.subject, e.data().get("check"), e.data().get("reason"))
            for e in store.events(EventFilter(action=SUPPRESSED))
        }
    except ChangegateError:
        return 0  # no ledger yet (before `changegate init`): nothing to record into
    actor = app.actor()
    recorded = 0
    with store.writer() as w:
        for s in result.suppressions:
            subject = f"{s.path}:{s.line}"
            if (subject, s.check, s.reason) in seen:
                continue
            w.append(
                actor,
                SUPPRESSED,
                subject,
                {"check": s.check, "reason": s.reason, "path": s.path, "line": s.line},
            )
            recorded += 1
    return recorded
