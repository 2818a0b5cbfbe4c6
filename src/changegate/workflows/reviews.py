"""Signed reviews: record an attestation for a change, and judge the ones recorded.

The reviewer signs with their SSH key; the attestation goes to a git note on
the reviewed commit and an event to the ledger. Judging reads every note,
verifies each signature against the keys in the policy at the change's base,
and applies the rules of :mod:`changegate.core.reviews`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from changegate.adapters import review_notes, signing
from changegate.app import App
from changegate.core.ledger import utc_timestamp
from changegate.core.policy import Policy
from changegate.core.reviews import Attestation, Kind, ReviewDecision, decide
from changegate.errors import Blocked, InputError
from changegate.workflows.change import Change, default_base, resolve


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


IMPORTED = "review.imported"


@dataclass
class Imported:
    recorded: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def import_github(app: App, spec: str, base: str | None = None, api: str | None = None) -> Imported:
    """Record a pull request's approvals and change requests as reviews of their diff."""
    from changegate.adapters import github
    from changegate.adapters.storage.store import EventFilter

    head, reviews = github.pull_reviews(spec, api)
    base_name = base or default_base(app.git)
    policy = app.policy_at(base_name)
    logins = {r.github.lower(): r.email for r in policy.roles.reviewers if r.github}
    store = app.store()
    seen = {e.data().get("review_id") for e in store.events(EventFilter(action=IMPORTED))}
    out = Imported()
    for r in reviews:
        if r.state not in ("APPROVED", "CHANGES_REQUESTED"):
            continue
        if r.id in seen:
            out.skipped.append(f"{r.login}: review {r.id} already imported")
            continue
        email = logins.get(r.login.lower())
        if email is None:
            out.skipped.append(f"{r.login}: no reviewer in the policy has github = {r.login!r}")
            continue
        if not app.git.raw("cat-file", "-e", f"{r.commit_id}^{{commit}}").ok:
            out.skipped.append(
                f"{r.login}: reviewed commit {r.commit_id[:12]} is not in this "
                "repository; fetch the pull request first"
            )
            continue
        change = resolve(app.git, base_name, r.commit_id)
        kind = "approve" if r.state == "APPROVED" else "request-changes"
        store.append(
            app.actor(),
            IMPORTED,
            r.commit_id,
            {
                "source": "github",
                "pull": spec,
                "review_id": r.id,
                "login": r.login,
                "reviewer": email,
                "kind": kind,
                "patch_id": change.patch_id,
                "submitted_at": r.submitted_at,
                "url": r.url,
                "pull_head": head,
            },
        )
        out.recorded.append(f"{email} ({r.login}): {kind} of {r.commit_id[:12]}")
    return out


def judge(app: App, change: Change, policy: Policy) -> ReviewDecision:
    from changegate.adapters.storage.store import EventFilter

    signers = [(r.email, r.ssh_key) for r in policy.roles.reviewers if r.ssh_key]
    pairs: list[tuple[Attestation, bool]] = []
    if policy.gates.review.accept_github_reviews:
        for event in app.store().events(EventFilter(action=IMPORTED)):
            data = event.data()
            if data.get("patch_id") != change.patch_id:
                continue
            # GitHub authenticated the reviewer; the import is on the ledger with who ran it.
            pairs.append(
                (
                    Attestation(
                        reviewer=str(data["reviewer"]),
                        kind=data["kind"],
                        adversarial=False,
                        commit=event.subject,
                        patch_id=str(data["patch_id"]),
                        ts=str(data.get("submitted_at") or event.ts),
                    ),
                    True,
                )
            )
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
