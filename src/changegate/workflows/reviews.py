"""Signed reviews: record an attestation for a change, and judge the ones recorded.

The reviewer signs with their SSH key; the attestation goes to a git note on
the reviewed commit and an event to the ledger. Judging reads every note,
verifies each signature against the keys in the policy at the change's base,
and applies the rules of :mod:`changegate.core.reviews`.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from changegate.adapters import review_notes, signing
from changegate.app import App
from changegate.core.ledger import utc_timestamp
from changegate.core.policy import Policy
from changegate.core.reviews import Attestation, Kind, ReviewDecision, decide
from changegate.errors import Blocked, InputError
from changegate.workflows.change import Change, resolve


def _key_path(app: App, key: str | None) -> Path:
    if key:
        return Path(key).expanduser()
    configured = app.git.config("user.signingkey")
    if configured and not configured.startswith(("ssh-", "key::")):
        return Path(configured).expanduser()
    return Path(os.path.expanduser("~/.ssh/id_ed25519"))


def record(
    app: App,
    kind: Kind,
    *,
    base: str | None = None,
    rev: str | None = None,
    adversarial: bool = False,
    findings: tuple[str, ...] = (),
    resolves: tuple[str, ...] = (),
    key: str | None = None,
) -> tuple[Attestation, Change]:
    change = resolve(app.git, base, rev)
    policy = app.policy_at(change.base)
    reviewer = app.actor()
    listed = policy.reviewer(reviewer)
    if listed is None:
        raise Blocked(
            f"{reviewer} is not a reviewer in the policy at {change.base_name} "
            "(roles.reviewers); ask the policy owner to add you"
        )
    if reviewer.lower() in change.authors:
        raise Blocked(
            f"{reviewer} authored or committed {change.base_name}..{change.head_name}"
            ": an author cannot review their own change (policy §1, second party)"
        )
    if not listed.ssh_key:
        raise InputError(
            f"{reviewer} has no ssh_key in the policy at {change.base_name}; "
            "add your public key to [[roles.reviewers]]"
        )
    key_path = _key_path(app, key)
    if not signing.same_key(signing.public_key_of(key_path), listed.ssh_key):
        raise InputError(
            f"{key_path} is not the key the policy lists for {reviewer}; "
            "pass --key with the right private key"
        )
    if kind == "approve" and findings and not adversarial:
        raise InputError("--finding goes with --adversarial or request-changes")
    att = Attestation(
        reviewer=reviewer,
        kind=kind,
        adversarial=adversarial,
        commit=change.head,
        patch_id=change.patch_id,
        ts=utc_timestamp(),
        findings=findings,
        resolves=resolves,
    )
    signature = signing.sign(att.payload(), key_path)
    review_notes.append(
        app.git, change.head, {"attestation": att.as_dict(), "signature": signature}, reviewer
    )
    action = "review." + ("adversarial." if adversarial else "") + kind.replace("-", "_")
    app.store().append(
        reviewer,
        action,
        change.head,
        {
            "patch_id": change.patch_id,
            "base": change.merge_base,
            "findings": list(findings),
            "resolves": list(resolves),
            "attestation_sha256": hashlib.sha256(att.payload()).hexdigest(),
        },
    )
    return att, change


def judge(app: App, change: Change, policy: Policy) -> ReviewDecision:
    signers = [(r.email, r.ssh_key) for r in policy.roles.reviewers if r.ssh_key]
    pairs: list[tuple[Attestation, bool]] = []
    for rec in review_notes.records(app.git):
        try:
            att = Attestation.from_dict(rec["attestation"])
        except (KeyError, TypeError, ValueError):
            continue
        if att.patch_id != change.patch_id:
            continue  # a review of some other change
        valid = signing.verify(att.payload(), str(rec.get("signature", "")), att.reviewer, signers)
        pairs.append((att, valid))
    return decide(
        pairs,
        patch_id=change.patch_id,
        authors=set(change.authors),
        reviewers={r.email for r in policy.roles.reviewers},
    )
