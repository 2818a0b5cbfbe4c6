"""The review gates: second-party review, and the adversarial pass for sensitive changes."""

from __future__ import annotations

import time

from changegate.core.policy import ModelReviewer
from changegate.core.reviews import ReviewDecision, model_finding_ids
from changegate.core.verdict import GateFinding, GateResult
from changegate.errors import ChangegateError
from changegate.gates.base import GateContext


def _decision(ctx: GateContext) -> ReviewDecision:
    """The verified reviews of this change: read and signature-checked once per check.

    Shared by both review gates, so neither may change it (the adversarial gate
    works on copies of the lists it extends).
    """
    from changegate.workflows.change import Change
    from changegate.workflows.reviews import judge

    change = Change(
        ctx.base,
        ctx.head,
        ctx.merge_base,
        ctx.changes,
        ctx.patch_id,
        ctx.authors,
        ctx.base,
        ctx.head,
    )
    return ctx.shared("reviews", lambda: judge(ctx.app, change, ctx.policy))


def _model_review(ctx: GateContext, cfg: ModelReviewer) -> tuple[str, tuple[str, ...]]:
    """The model's review of this diff: recorded once in the ledger, then reused."""
    from changegate.adapters.model_reviewer import review
    from changegate.adapters.storage.store import EventFilter

    config = {"command": cfg.command, "endpoint": cfg.endpoint, "model": cfg.model}
    store = ctx.app.store()
    for event in reversed(store.events(EventFilter(action="review.model", subject=ctx.head))):
        data = event.data()
        if data.get("patch_id") == ctx.patch_id and data.get("config") == config:
            return str(data["model"]), tuple(data["findings"])
    diff = ctx.app.git("diff", "--no-color", ctx.merge_base, ctx.head)
    answer = review(cfg, diff)
    store.append(
        ctx.app.actor(),
        "review.model",
        ctx.head,
        {
            "patch_id": ctx.patch_id,
            "config": config,
            "model": answer.model,
            "findings": list(answer.findings),
            "truncated": answer.truncated,
        },
    )
    return answer.model, answer.findings


class ReviewGate:
    name = "review"

    def skip_reason(self, ctx: GateContext) -> str | None:
        if not ctx.policy.gates.review.enabled:
            return "gates.review is disabled"
        if ctx.classification.trivial:
            return "trivial change: " + ctx.classification.reasons[-1]
        return None

    def run(self, ctx: GateContext) -> GateResult:
        start = time.monotonic()
        d = _decision(ctx)
        need = ctx.policy.gates.review.min_approvals
        findings = [GateFinding(r, severity="warning") for r in d.rejected]
        evidence = {
            "approved_by": d.approved_by,
            "changes_requested_by": d.changes_requested_by,
            "patch_id": ctx.patch_id,
            "rejected": d.rejected,
        }
        if d.changes_requested_by:
            return GateResult(
                self.name,
                "fail",
                f"changes requested by {', '.join(d.changes_requested_by)}",
                findings,
                evidence,
                time.monotonic() - start,
            )
        if len(d.approved_by) < need:
            reason = (
                f"{len(d.approved_by)} of {need} required approval(s) from a listed "
                "reviewer who is not an author; ask one to run `changegate review "
                "approve`"
            )
            return GateResult(
                self.name, "fail", reason, findings, evidence, time.monotonic() - start
            )
        return GateResult(
            self.name,
            "pass",
            f"approved by {', '.join(d.approved_by)}",
            findings,
            evidence,
            time.monotonic() - start,
        )


class AdversarialGate:
    name = "adversarial_review"

    def skip_reason(self, ctx: GateContext) -> str | None:
        cfg = ctx.policy.gates.adversarial_review
        if not cfg.enabled:
            return "gates.adversarial_review is disabled"
        c = ctx.classification
        if ("security" in cfg.when and c.security) or ("schema" in cfg.when and c.schema):
            return None
        return "neither security- nor schema-relevant"

    def run(self, ctx: GateContext) -> GateResult:
        start = time.monotonic()
        d = _decision(ctx)
        adversaries, pending = list(d.adversarial_by), list(d.open_findings)
        model_cfg = ctx.policy.gates.adversarial_review.model
        evidence: dict[str, object] = {
            "why": [r for r in ctx.classification.reasons if "relevant" in r]
        }
        if not adversaries and model_cfg is not None:
            try:
                model, findings = _model_review(ctx, model_cfg)
            except ChangegateError as exc:
                return GateResult(
                    self.name,
                    "error",
                    exc.message,
                    evidence=evidence,
                    duration_s=time.monotonic() - start,
                )
            adversaries.append(f"model {model}")
            ids = model_finding_ids(ctx.patch_id, model, findings)
            pending += [
                (fid, text)
                for fid, text in zip(ids, findings, strict=True)
                if fid not in d.resolved
            ]
            evidence["model"] = model
        evidence.update(adversarial_by=adversaries, open_findings=pending)
        open_findings = [
            GateFinding(f"{text} [{fid}]", rule="adversarial-finding") for fid, text in pending
        ]
        if not adversaries:
            return GateResult(
                self.name,
                "fail",
                "needs an adversarial review by a reviewer independent of the author and the "
                "approver (`changegate review approve --adversarial`)",
                [GateFinding(r, severity="warning") for r in d.rejected],
                evidence,
                time.monotonic() - start,
            )
        if open_findings:
            return GateResult(
                self.name,
                "fail",
                f"{len(open_findings)} adversarial finding(s) not resolved or "
                "accepted (`changegate review approve --resolve ID`)",
                open_findings,
                evidence,
                time.monotonic() - start,
            )
        return GateResult(
            self.name,
            "pass",
            f"adversarial review by {', '.join(adversaries)}",
            [],
            evidence,
            time.monotonic() - start,
        )
