"""The migrations gate: the migration engine on what the change adds or edits, against BASE."""

from __future__ import annotations

import time

from changegate.core.verdict import GateFinding, GateResult, Status
from changegate.errors import ChangegateError
from changegate.gates.base import GateContext, cache_key


class MigrationsGate:
    name = "migrations"

    def skip_reason(self, ctx: GateContext) -> str | None:
        return None if ctx.policy.gates.migrations.enabled else "gates.migrations is disabled"

    def cache_key(self, ctx: GateContext) -> str:
        return cache_key(self.name, ctx.tree, ctx.merge_base, ctx.policy_sha256)

    def run(self, ctx: GateContext) -> GateResult:
        from changegate.migrations import check, to_dict
        from changegate.workflows.migrations import (
            policy_sets,
            record_suppressions,
            settings_for,
        )

        start = time.monotonic()
        tree = ctx.worktree()
        try:
            sets = policy_sets(tree, ctx.policy)
            result = check(tree, settings_for(ctx.policy), ctx.merge_base, sets)
            record_suppressions(ctx.app, result)
        except ChangegateError as exc:
            return GateResult(self.name, "error", exc.message, duration_s=time.monotonic() - start)
        findings = [
            GateFinding(f.message, report.path, f.line, f.check, f.severity)
            for report in result.files
            for f in report.findings
        ]
        evidence = to_dict(result)
        destructive = sum(r.destructive for r in result.files)
        if not result.files:
            return GateResult(
                self.name,
                "pass",
                "no new or changed migration",
                evidence=evidence,
                duration_s=time.monotonic() - start,
            )
        summary = f"{len(result.files)} migration file(s), {destructive} destructive"
        status: Status = "fail" if result.blocked else "pass"
        blocked = [r.path for r in result.files if r.blocked]
        reason = f"{summary}; blocked: {', '.join(blocked)}" if blocked else summary
        return GateResult(self.name, status, reason, findings, evidence, time.monotonic() - start)
