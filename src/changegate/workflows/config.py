"""Delivering configuration: render an approved version where the service reads it, reload.

The documented procedure (policy §2) for configuration: only a version that
was approved (or a revert to one that was) is rendered; its values are
checked against the policy's declared keys again just before (the policy may
have changed since the proposal), the file is replaced atomically with mode
0600, and ``config.applied`` is recorded in the same transaction as the
apply row. ``render`` does not reload: the deploy workflow calls it as its
config step and reloads once for code and config; ``apply`` and ``revert``
reload through the same process-manager adapter as a deploy.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from changegate.adapters import envfile
from changegate.adapters.storage import config_repo as repo
from changegate.adapters.storage.store import EventFilter, LedgerWriter
from changegate.app import App
from changegate.core.config import content_sha256, previous_live, render_env, validate
from changegate.core.ledger import utc_timestamp
from changegate.errors import Blocked, InputError
from changegate.workflows.config_env import (
    EnvConfig,
    clear_values,
    environment,
    hmac_key,
    keyring,
    require_deployer,
)

REASONS = ("proposal", "revert", "deploy", "rollback", "reapply")


@dataclass(frozen=True)
class AppliedConfig:
    version: int
    content_sha256: str
    path: Path


@dataclass(frozen=True)
class Delivery:
    """What ``apply``/``revert`` did: the render, and the reload report when there is one."""

    applied: AppliedConfig
    reason: str
    reload: Any | None  # procman.ReloadReport
    reverted_from: int | None = None
    waiting: tuple[str, ...] = ()  # open proposals not yet approved


def live_version(app: App, env: str) -> int | None:
    """The version currently applied to ``env`` (None: nothing applied yet)."""
    with app.store().engine.connect() as conn:
        row = repo.live(conn, env)
    return row.version if row else None


def pending_version(app: App, env: str) -> int | None:
    """The newest version if it was never applied (approved, waiting for an apply)."""
    with app.store().engine.connect() as conn:
        newest = repo.latest_version(conn, env)
        applied = {a.version for a in repo.applies(conn, env)}
    return newest if newest is not None and newest not in applied else None


def _unresolved_drift(app: App, env: str) -> bool:
    events = app.store().events(EventFilter(action="config.drift*", subject=env, newest_first=True))
    return bool(events) and events[0].action == "config.drift"


def _authorised(app: App, conn: Connection, env: str, row: repo.VersionRow, depth: int = 0) -> None:
    """The version's creation is on the ledger (an approval or a revert), with this content.

    The config tables are plain rows; the ledger is hash-chained and verified,
    so a version written into the database by hand, or whose content hash was
    rewritten, is never rendered. A revert is checked against the content hash
    its ``config.reverted`` event records; an event written before that field
    existed is checked through the version it restored (itself authorised).
    """
    action = "config.approved" if row.reason == "proposal" else "config.reverted"
    for e in app.store().events(EventFilter(action=action, subject=env)):
        d = e.data()
        if row.reason == "proposal":
            if d.get("version") == row.version and d.get("content_sha256") == row.content_sha256:
                return
        elif d.get("new_version") == row.version:
            if "content_sha256" in d:
                if d["content_sha256"] == row.content_sha256:
                    return
                continue
            source = repo.version(conn, env, int(d.get("to_content_of") or 0))
            if (
                source is not None
                and depth < 64
                and source.version < row.version
                and source.content_sha256 == row.content_sha256
            ):
                _authorised(app, conn, env, source, depth + 1)
                return
    raise Blocked(
        f"{env} version {row.version} has no {action} event in the ledger with its content "
        f"hash; it was not written by changegate as it is and is not rendered "
        "(run `changegate audit verify`)"
    )


def _render_in(
    w: LedgerWriter,
    app: App,
    ec: EnvConfig,
    number: int,
    *,
    actor: str,
    reason: str,
    authorise: bool = True,
) -> AppliedConfig:
    """Render ``number`` inside the caller's transaction (the file is written last)."""
    if reason not in REASONS:
        raise InputError(f"config apply reason {reason!r} is not one of {', '.join(REASONS)}")
    conn = w.connection
    env = ec.name
    ring = keyring(app, ec)
    hkey = hmac_key(conn, ring, env)  # the wrong-key check, before anything is written
    row = repo.version(conn, env, number)
    if row is None:
        raise InputError(f"{env} has no version {number}; see `changegate config history {env}`")
    if authorise:
        _authorised(app, conn, env, row)
    snapshot = repo.snapshot(conn, env, number)
    if content_sha256(snapshot) != row.content_sha256:
        raise Blocked(
            f"{env} version {number}: the stored values do not match its content hash "
            "(edited in the database?); not rendered"
        )
    clear = clear_values(ring, hkey, env, number, snapshot)
    problems = validate(clear, ec.spec, {k for k, e in snapshot.items() if e.secret})
    if problems:
        raise Blocked(
            f"{env} version {number} breaks the policy's declared keys "
            f"(environments.{env}.config.keys); not rendered",
            details=problems,
        )
    target = ec.target
    drifted = _unresolved_drift(app, env)
    ts = utc_timestamp()
    repo.insert_apply(conn, env, repo.ApplyRow(number, row.content_sha256, ts, actor, reason))
    proposal_origin = None
    if row.proposal:
        p = repo.proposal(conn, row.proposal)
        proposal_origin = p.origin if p else None
    w.append(
        actor,
        "config.applied",
        env,
        {
            "environment": env,
            "version": number,
            "proposal": row.proposal,
            "approver": row.approver,
            "content_sha256": row.content_sha256,
            "reason": reason,
            "path": str(target),
        },
    )
    if drifted:
        how = "adopted" if proposal_origin == "adopt" else "overwritten"
        w.append(
            actor, "config.drift_resolved", env, {"environment": env, "how": how, "version": number}
        )
    w.flush()
    envfile.write_atomic(target, render_env(clear))  # last: a failure above writes no file
    return AppliedConfig(number, row.content_sha256, target)


def render(app: App, env: str, version: int, *, actor: str, reason: str) -> AppliedConfig:
    """Render ``version`` to the environment's ``render_to`` and record it; no reload.

    For the deploy workflow's config step (reason ``deploy``) and its rollback
    (``rollback``): the deploy reloads once for code and config.
    """
    ec = environment(app, env)
    with app.store().writer() as w:
        return _render_in(w, app, ec, version, actor=actor, reason=reason)


def reload(app: App, ec: EnvConfig) -> Any | None:
    """Reload the service through the process-manager adapter, when the environment has one
    and it runs (a stopped service reads the rendered file when it starts)."""
    spec = ec.env.process_manager
    if spec is None:
        return None
    from changegate.adapters.procman import adapter_for

    assert ec.deploy_root is not None
    adapter = adapter_for(spec, ec.deploy_root)
    if spec.kind in ("gunicorn", "uvicorn", "supervisord") and not adapter.status().running:
        return None
    return adapter.reload()


def _waiting(app: App, env: str) -> tuple[str, ...]:
    with app.store().engine.connect() as conn:
        return tuple(p.id for p in repo.proposals(conn, env, "open"))


def apply(app: App, env: str) -> Delivery:
    """``config apply``: the newest approved version (or the live one again), then reload."""
    ec = environment(app, env)
    actor = app.actor()
    require_deployer(app.policy(), ec, actor)
    pending = pending_version(app, env)
    number = pending if pending is not None else live_version(app, env)
    if number is None:
        waiting = _waiting(app, env)
        hint = f" ({', '.join(waiting)} await approval)" if waiting else ""
        raise Blocked(
            f"{env} has no approved configuration to apply{hint}; a reviewer runs "
            f"`changegate config approve {env} P-...`"
        )
    reason = "proposal" if pending is not None else "reapply"
    applied = render(app, env, number, actor=actor, reason=reason)
    return Delivery(applied, reason, reload(app, ec), waiting=_waiting(app, env))


def revert(app: App, env: str, to: int | None = None) -> Delivery:
    """One command: the old content as a new version, rendered, reloaded, recorded."""
    ec = environment(app, env)
    actor = app.actor()
    require_deployer(app.policy(), ec, actor)
    ring = keyring(app, ec)
    with app.store().writer() as w:
        conn = w.connection
        hmac_key(conn, ring, env)
        history = [a.version for a in repo.applies(conn, env)]
        if to is None:
            to = previous_live(history)
            if to is None:
                raise InputError(
                    f"{env} has no earlier applied version to revert to; pass --to VERSION"
                )
        source = repo.version(conn, env, to)
        if source is None:
            raise InputError(f"{env} has no version {to}; see `changegate config history {env}`")
        _authorised(app, conn, env, source)
        live = history[-1] if history else None
        live_row = repo.version(conn, env, live) if live is not None else None
        if live_row is not None and live_row.content_sha256 == source.content_sha256:
            raise InputError(f"{env}: version {to} has the same content as the live version {live}")
        latest = repo.latest_version(conn, env) or 0
        number = latest + 1
        snapshot = repo.snapshot(conn, env, to)
        repo.insert_version(
            conn,
            repo.VersionRow(
                environment=env,
                version=number,
                content_sha256=source.content_sha256,
                created_at=utc_timestamp(),
                created_by=actor,
                reason="revert",
                proposal=None,
                approver=None,
                attestation=None,
                signature=None,
                reverted_from=to,
                changes=[{"revert_to": to}],
            ),
            snapshot,
        )
        w.append(
            actor,
            "config.reverted",
            env,
            {
                "environment": env,
                "to_content_of": to,
                "new_version": number,
                "content_sha256": source.content_sha256,
            },
        )
        # The new version's config.reverted is in this very transaction.
        applied = _render_in(w, app, ec, number, actor=actor, reason="revert", authorise=False)
    return Delivery(applied, "revert", reload(app, ec), reverted_from=to)
