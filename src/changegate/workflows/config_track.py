"""Configuration on the same track as code: a proposal, then a signed second-party approval.

``config set|unset|import`` only *propose*: the values are validated against
the policy's declared keys at once (a typo is refused before anyone reviews
it), secrets are sealed, and the proposal records the version it was made on.
An approval follows the code-review rules (:mod:`changegate.workflows.reviews`):
a reviewer listed in the policy as merged on the default branch, signing with
the SSH key the policy lists for them, never the proposer. Approving creates
the next version only if the proposal's base is still the newest version
(check-and-set, inside the ledger's write lock), so two concurrent edits can
never silently overwrite each other.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from changegate.adapters import signing
from changegate.adapters.storage import config_repo as repo
from changegate.app import App
from changegate.core.config import (
    SECRET_NAME,
    Change,
    ConfigError,
    Entry,
    apply_changes,
    changes_sha256,
    check_key_name,
    content_sha256,
    is_noop,
    parse_env,
    validate,
    value_hash,
)
from changegate.core.ledger import utc_timestamp
from changegate.errors import Blocked, InputError
from changegate.workflows.change import default_base
from changegate.workflows.config_env import (
    clear_values,
    environment,
    hmac_key,
    key_fingerprint,
    keyring,
)
from changegate.workflows.reviews import _key_path

Assignment = tuple[str, str | None]  # (key, value); None: unset


@dataclass(frozen=True)
class Proposal:
    id: str
    environment: str
    base_version: int | None
    changes: list[Change]


def propose(
    app: App,
    env: str,
    assignments: Sequence[Assignment],
    *,
    secret: bool = False,
    secret_keys: frozenset[str] = frozenset(),
    expect_version: int | None = None,
    origin: str = "set",
    replace: bool = False,
) -> Proposal:
    """Record a proposal; nothing goes live until it is approved and applied.

    ``secret`` marks every set key secret; ``secret_keys`` marks some. A key the
    policy declares secret, or that is secret in the current version, stays
    secret. ``replace`` (import): keys absent from ``assignments`` are unset.
    """
    ec = environment(app, env)
    actor = app.actor()
    keyring(app, ec)  # a missing key fails here, before any write
    for key, _ in assignments:
        _check_name(key)
    declared_secret = {k for k, d in ec.spec.keys.items() if d.secret}
    with app.store().writer() as w:
        conn = w.connection
        # Loaded again under the write lock: a rotation re-encrypts and retires the old key
        # under the same lock, so nothing is ever sealed with a key it has just dropped.
        ring = keyring(app, ec)
        ts = utc_timestamp()
        hkey = hmac_key(conn, ring, env, create_as=actor, ts=ts)
        latest = repo.latest_version(conn, env)
        if expect_version is not None and expect_version != (latest or 0):
            raise Blocked(
                f"conflict: you expected {env} at version {expect_version} but it is at "
                f"version {latest or 0}; look at `changegate config history {env}` and retry"
            )
        base = repo.snapshot(conn, env, latest)
        clear = clear_values(ring, hkey, env, latest, base)
        wanted = dict(assignments)
        if replace:
            wanted.update({k: None for k in base if k not in wanted})
        changes: list[Change] = []
        for key, value in sorted(wanted.items()):
            cur = base.get(key)
            if value is None:
                change = Change(key, "unset", None, was_secret=bool(cur and cur.secret))
                if cur is None:
                    raise InputError(f"{key} is not set in {env}; nothing to unset")
            else:
                hidden = (
                    secret
                    or key in secret_keys
                    or key in declared_secret
                    or bool(cur and cur.secret)
                )
                if origin == "set" and not hidden and SECRET_NAME.search(key):
                    raise InputError(
                        f"{key} looks like a credential and would be stored in clear: give it "
                        f"with --secret and the value on stdin (`changegate config set {env} "
                        f"{key} --secret`)"
                    )
                entry = Entry(
                    secret=hidden,
                    value_hash=value_hash(hkey, key, value),
                    length=len(value),
                    plain=None if hidden else value,
                    sealed=ring.seal(value.encode("utf-8")) if hidden else None,
                )
                change = Change(key, "set", entry)
                clear[key] = value
            if value is None:
                clear.pop(key, None)
            if not is_noop(base, change):
                changes.append(change)
        if not changes:
            raise InputError(
                f"nothing changes: {env} version {latest or 0} already has these values"
            )
        hidden_keys = {k for k, e in apply_changes(base, changes).items() if e.secret}
        problems = validate(clear, ec.spec, hidden_keys)
        if problems:
            raise InputError(
                f"{env}: the proposed configuration breaks the policy's declared keys "
                f"(environments.{env}.config.keys); nothing was recorded",
                details=problems,
            )
        pid = "P-" + secrets.token_hex(5)
        repo.insert_proposal(
            conn,
            repo.ProposalRow(
                id=pid,
                environment=env,
                base_version=latest,
                proposer=actor,
                created_at=ts,
                origin=origin,
                changes=changes,
                status="open",
                decided_by=None,
                decided_at=None,
                note=None,
                version=None,
            ),
        )
        w.append(
            actor,
            "config.proposed",
            env,
            {
                "proposal": pid,
                "environment": env,
                "base_version": latest,
                "origin": origin,
                "changes": [c.summary() for c in changes],
            },
        )
    return Proposal(pid, env, latest, changes)


def _check_name(key: str) -> None:
    try:
        check_key_name(key)
    except ConfigError as exc:
        raise InputError(str(exc)) from exc


def import_file(
    app: App,
    env: str,
    text: str,
    source: str,
    *,
    secret_keys: frozenset[str] = frozenset(),
    all_secret: bool = False,
    replace: bool = False,
) -> Proposal:
    """A proposal from a ``.env`` file; names that look like credentials are secret."""
    try:
        values = parse_env(text, unquote=True)
    except ConfigError as exc:
        raise InputError(
            f"{source}: not a KEY=VALUE env file", details=[f"{source}:{p}" for p in exc.problems]
        ) from exc
    if not values:
        raise InputError(f"{source}: no KEY=VALUE lines")
    hidden = frozenset(k for k in values if all_secret or k in secret_keys or SECRET_NAME.search(k))
    return propose(
        app,
        env,
        sorted(values.items()),
        secret_keys=hidden,
        origin="import",
        replace=replace,
    )


@dataclass(frozen=True)
class Approval:
    proposal: str
    environment: str
    approver: str
    version: int
    content_sha256: str
    key_fingerprint: str


def attestation(env: str, p: repo.ProposalRow, reviewer: str, ts: str) -> bytes:
    """The exact bytes a config approval signs: which proposal, on which version, which values."""
    body = {
        "version": 1,
        "kind": "config-approve",
        "environment": env,
        "proposal": p.id,
        "base_version": p.base_version,
        "changes_sha256": changes_sha256(p.changes),
        "reviewer": reviewer,
        "ts": ts,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _open_proposal(app: App, env: str, pid: str) -> repo.ProposalRow:
    with app.store().engine.connect() as conn:
        p = repo.proposal(conn, pid)
    if p is None or p.environment != env:
        raise InputError(f"{pid}: no such proposal for {env}; see `changegate config diff {env}`")
    if p.status != "open":
        raise InputError(f"{pid} is already {p.status}; propose again for a new change")
    return p


def approve(app: App, env: str, pid: str, *, key: str | None = None) -> Approval:
    """Sign and record a second party's approval; it creates the next version."""
    environment(app, env)
    reviewer = app.actor()
    policy = app.policy_at(default_base(app.git))
    listed = policy.reviewer(reviewer)
    if listed is None:
        raise Blocked(
            f"{reviewer} is not a reviewer in the policy on the default branch "
            "(roles.reviewers); ask the policy owner to add you"
        )
    p = _open_proposal(app, env, pid)
    if p.proposer.lower() == reviewer.lower():
        raise Blocked(
            f"{reviewer} proposed {pid}: a proposer cannot approve their own change "
            "(policy §1, second party)"
        )
    if not listed.ssh_key:
        raise InputError(
            f"{reviewer} has no ssh_key in the policy; add your public key to [[roles.reviewers]]"
        )
    key_path = _key_path(app, key)
    if not signing.same_key(signing.public_key_of(key_path), listed.ssh_key):
        raise InputError(
            f"{key_path} is not the key the policy lists for {reviewer}; "
            "pass --key with the right private key"
        )
    ts = utc_timestamp()
    payload = attestation(env, p, reviewer, ts)
    signature = signing.sign(payload, key_path)
    signers = [(r.email, r.ssh_key) for r in policy.roles.reviewers if r.ssh_key]
    if not signing.verify(payload, signature, reviewer, signers):
        raise InputError(f"{key_path}: the signature does not verify against the policy's key")
    fingerprint = key_fingerprint(listed.ssh_key)
    with app.store().writer() as w:
        conn = w.connection
        latest = repo.latest_version(conn, env)
        if latest != p.base_version:
            raise Blocked(
                f"conflict: {pid} was proposed on version {p.base_version or 0} but {env} is "
                f"now at version {latest}; reject it and propose again on the newest version"
            )
        snapshot = apply_changes(repo.snapshot(conn, env, latest), p.changes)
        number = (latest or 0) + 1
        digest = content_sha256(snapshot)
        repo.insert_version(
            conn,
            repo.VersionRow(
                environment=env,
                version=number,
                content_sha256=digest,
                created_at=ts,
                created_by=p.proposer,
                reason="proposal",
                proposal=pid,
                approver=reviewer,
                attestation=payload.decode(),
                signature=signature,
                reverted_from=None,
                changes=[c.summary() for c in p.changes],
            ),
            snapshot,
        )
        repo.decide_proposal(conn, pid, status="approved", by=reviewer, at=ts, version=number)
        w.append(
            reviewer,
            "config.approved",
            env,
            {
                "proposal": pid,
                "environment": env,
                "approver": reviewer,
                "signature": fingerprint,
                "version": number,
                "content_sha256": digest,
            },
        )
    return Approval(pid, env, reviewer, number, digest, fingerprint)


def reject(app: App, env: str, pid: str, reason: str) -> None:
    """A reviewer's request for changes: the proposal is closed, with the reason recorded."""
    environment(app, env)
    reviewer = app.actor()
    policy = app.policy_at(default_base(app.git))
    if policy.reviewer(reviewer) is None:
        raise Blocked(f"{reviewer} is not a reviewer in the policy (roles.reviewers)")
    _open_proposal(app, env, pid)
    with app.store().writer() as w:
        repo.decide_proposal(
            w.connection, pid, status="rejected", by=reviewer, at=utc_timestamp(), note=reason
        )
        w.append(
            reviewer,
            "config.rejected",
            env,
            {"proposal": pid, "environment": env, "approver": reviewer, "reason": reason},
        )
