"""The secrets gate: fails while the change adds a secret or the repository has an open leak.

Policy §1: "Detected secrets block the commit until rotated and removed from
history" — so an open leak anywhere blocks every change until it is closed,
not only the change that introduced it. Secret scanning cannot be bypassed.
"""

from __future__ import annotations

import hashlib
import time

from changegate.core.verdict import GateFinding, GateResult
from changegate.errors import ChangegateError
from changegate.gates.base import GateContext, cache_key


class SecretsGate:
    name = "secrets"

    def skip_reason(self, ctx: GateContext) -> str | None:
        return None if ctx.policy.gates.secrets.enabled else "gates.secrets is disabled"

    def cache_key(self, ctx: GateContext) -> str:
        """Same commits, same rules and tuning at BASE, same open leaks: same answer."""
        from changegate.workflows import secrets as wf

        config = ctx.policy.gates.secrets.gitleaks_config
        tuning = ctx.app.git.show_file(ctx.base, config) if config else None
        known = wf.leaks(ctx.app)
        open_leaks = sorted(fp for fp, leak in known.items() if leak.is_open)
        allowed = sorted(fp for fp, leak in known.items() if leak.state == "allowed")
        return cache_key(
            self.name,
            ctx.merge_base,
            ctx.head,
            ctx.policy_sha256,
            hashlib.sha256(tuning or b"").hexdigest(),
            open_leaks,
            allowed,
        )

    def run(self, ctx: GateContext) -> GateResult:
        from changegate.workflows import secrets as wf

        start = time.monotonic()
        try:
            result = wf.scan(ctx.app, range_spec=ctx.range_spec, rules_at=ctx.base)
            wf.drop_allowed(ctx.app, result)
            open_leaks = [leak for leak in wf.leaks(ctx.app).values() if leak.is_open]
        except ChangegateError as exc:
            return GateResult(self.name, "error", exc.message, duration_s=time.monotonic() - start)
        findings = [
            GateFinding(
                f"{f.rule} {f.preview} added in {(f.commit or '')[:12]}", f.path, f.line, f.rule
            )
            for f in result.findings
        ] + [
            GateFinding(
                f"open leak {leak.fingerprint[:16]} ({leak.rule} {leak.preview}): "
                f"{leak.state}; rotate and purge it",
                leak.path,
                leak.line,
                leak.rule,
            )
            for leak in open_leaks
        ]
        evidence = {
            "commits_scanned": result.commits,
            "added_secrets": len(result.findings),
            "open_leaks": len(open_leaks),
            "fingerprints": sorted({f.fingerprint for f in result.findings}),
        }
        if findings:
            reason = (
                f"{len(result.findings)} secret(s) added by the change, "
                f"{len(open_leaks)} open leak(s)"
            )
            return GateResult(
                self.name, "fail", reason, findings, evidence, time.monotonic() - start
            )
        return GateResult(
            self.name,
            "pass",
            f"no secret in {result.commits} commit(s); no open leak",
            evidence=evidence,
            duration_s=time.monotonic() - start,
        )
