"""``changegate rollback``: code and config back to a release that ran here, in one command.

Policy §4: "Every deployment is reversible. Tagged commits make code rollback
a single operation"; "Configuration rollback is a config-store revert" (the
config version that was live with the target release is rendered again);
"Rollback of the schema itself is rare and requires explicit approval" (down
migrations run only with ``--schema`` and a recorded approval by someone other
than the deployer); "Rollback decisions are made by the deploying engineer
with input from the policy owner if the deploy was a SEV-level change".
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

from changegate.adapters.deploylock import LockInfo
from changegate.app import App
from changegate.core import deploy as dp
from changegate.core.ledger import utc_timestamp
from changegate.errors import Blocked, InputError
from changegate.workflows import deploy_steps as steps
from changegate.workflows.deploy_run import (
    Reporter,
    Run,
    StepFailed,
    StepResult,
    Target,
    record_lock_broken,
    target,
)

ROLLBACK_STEPS = ["verify", "config", "switch", "reload", "smoke", "schema", "record"]


def _history(app: App, env_name: str) -> list[dp.Deployment]:
    from changegate.workflows.deploy import history

    return history(app, env_name)


def rollback(
    app: App,
    env_name: str,
    *,
    to: str | None = None,
    reason: str,
    schema: bool = False,
    report: Reporter | None = None,
) -> tuple[dp.Deployment, list[StepResult]]:
    if not reason.strip():
        raise InputError('--reason is required: say why you roll back, e.g. --reason "..."')
    tgt = target(app, env_name)
    actor = app.actor()
    interrupted = tgt.lock.read()
    if interrupted is not None:
        if interrupted.alive():
            raise Blocked(
                f"{interrupted.kind} {interrupted.deployment} on {env_name} is running "
                f"(pid {interrupted.pid}); wait for it before rolling back"
            )
        _close_interrupted(tgt, interrupted, actor)
    hist = _history(app, env_name)
    current_tag = tgt.transport.current()
    current = dp.live(hist)
    if to is None:
        chosen = dp.rollback_target(hist, current_tag)
        if interrupted is not None and interrupted.kind == "deploy" and interrupted.previous_tag:
            chosen = dp.deployed_tag(hist, interrupted.previous_tag) or chosen
        if chosen is None:
            raise InputError(
                f"{env_name} has no earlier successful release to roll back to; name one with --to"
            )
    else:
        chosen = dp.deployed_tag(hist, to)
        if chosen is None:
            raise InputError(
                f"{to} never deployed successfully to {env_name}; a rollback goes back only to a "
                "release that ran here (deploy it normally instead)"
            )
    undone = (
        interrupted.deployment if interrupted is not None else (current.id if current else None)
    )
    shipped = _emergency_release(hist, current)
    if shipped is not None and interrupted is None:
        _require_owner_input(app, env_name, shipped, actor, since_seq=current.seq if current else 0)
    if schema:
        _require_schema_approval(app, env_name, chosen.tag, actor, since=current)
    return start_rollback(
        tgt,
        to=chosen.tag,
        actor=actor,
        reason=reason,
        rollback_of=undone,
        schema_to=chosen.schema_state if schema else None,
        report=report,
    )


def start_rollback(
    tgt: Target,
    *,
    to: str,
    actor: str,
    reason: str,
    rollback_of: str | None,
    schema_to: dict[str, str | None] | None = None,
    report: Reporter | None = None,
) -> tuple[dp.Deployment, list[StepResult]]:
    """Take (or keep) the lock and drive a rollback to ``to``."""
    from changegate.workflows.deploy import new_id

    hist = _history(tgt.app, tgt.name)
    target_dep = dp.deployed_tag(hist, to)
    info = LockInfo(
        deployment=new_id(),
        kind="rollback",
        environment=tgt.name,
        tag=to,
        previous_tag=tgt.transport.current(),
        actor=actor,
        started_at=utc_timestamp(),
        pid=os.getpid(),
        host=socket.gethostname(),
        data={
            "commit": target_dep.commit if target_dep else None,
            "rollback_of": rollback_of,
            "reason": reason,
            "target_config_version": target_dep.config_version if target_dep else None,
            "schema_to": schema_to,
            "basis": target_dep.basis if target_dep else None,
            "procedure": ROLLBACK_STEPS,
        },
    )
    if tgt.lock.read() is None:
        tgt.lock.acquire(info)
    else:  # an automatic rollback inside the deploy that holds the lock
        tgt.lock.write(info)
    run = Run(tgt, info, report)
    run.record_start()
    return drive_rollback(run), run.results


def drive_rollback(run: Run) -> dp.Deployment:
    failed = run.execute(ROLLBACK_STEPS[:-1], _rollback_step)
    if failed is None:
        run.execute(["record"], _rollback_step)
        deployment = run.finish(dp.DEPLOYED, None)
    else:
        deployment = run.finish(dp.FAILED, failed)
    run.tgt.lock.release()
    return deployment


def _rollback_step(run: Run, step: str) -> str:
    if step == "verify":
        path = run.tgt.transport.export(run.app.git, run.info.tag)
        return f"rolling back to {run.info.tag} ({path}); reason: {run.data.get('reason')}"
    if step == "config":
        return _config_back(run)
    if step == "schema":
        return _schema_back(run)
    return steps.deploy_step(run, step)


def _config_back(run: Run) -> str:
    if run.tgt.env.config is None:
        return "skipped: no config store for this environment"
    version = run.data.get("target_config_version")
    if version is None:
        return "skipped: the target release was deployed without a recorded config version"
    from changegate.workflows.config import render

    applied = render(run.app, run.tgt.name, int(version), actor=run.info.actor, reason="rollback")
    run.data["config_version"] = applied.version
    return f"config v{applied.version} (live with {run.info.tag}) rendered again"


def _schema_back(run: Run) -> str:
    schema_to = run.data.get("schema_to")
    if schema_to is None:
        return "skipped: schema left as is (forward-compatible; --schema not asked)"
    url = steps.database_url(run.tgt)
    if url is None:
        return "skipped: no database_url_env for this environment"
    from changegate import migrations as mg

    newer = run.info.previous_tag
    if newer is None:
        return "skipped: no newer release whose down migrations could run"
    # The down scripts live in the release being rolled back from.
    root: Path = run.tgt.transport.export(run.app.git, newer)
    found = []
    for s in steps.migration_sets(run.tgt):
        found.extend(mg.discover(root, [s.path], s.format))
    undone = mg.rollback(root, found, url, to=schema_to, actor=run.info.actor)
    run.data["migrations_applied"] = [u.as_dict() for u in undone]
    if not undone:
        return "schema already at the target release's versions"
    return "rolled back " + ", ".join(f"{u.set}:{u.version}" for u in undone)


def _emergency_release(
    hist: list[dp.Deployment], current: dp.Deployment | None
) -> dp.Deployment | None:
    """The deployment that shipped the live release under an emergency, if it did (a
    rollback onto a SEV release keeps it a SEV release)."""
    if current is None:
        return None
    for d in reversed(hist):
        if d.tag == current.tag and d.emergency:
            return d
    return None


def _require_owner_input(
    app: App, env_name: str, current: dp.Deployment, actor: str, *, since_seq: int
) -> None:
    """The owner's input counts for the release live now, given since it went live."""
    from changegate.adapters.storage.store import EventFilter

    owner = app.policy().roles.policy_owner
    if actor.lower() == owner.lower():
        return
    inputs = app.store().events(EventFilter(action=dp.OWNER_INPUT, subject=env_name))
    if any(e.data().get("deployment") == current.id and e.seq > since_seq for e in inputs):
        return
    raise Blocked(
        f"{current.tag} on {env_name} shipped under emergency {current.emergency}: the policy "
        f"owner ({owner}) gives input before a rollback (§4). They run "
        f'`changegate rollback --env {env_name} --owner-input "..."`'
    )


def owner_input(app: App, env_name: str, note: str) -> str:
    """The policy owner's recorded input on rolling back the live deployment (§4)."""
    if not note.strip():
        raise InputError("--owner-input needs a note: what the owner says about the rollback")
    actor = app.actor()
    owner = app.policy().roles.policy_owner
    if actor.lower() != owner.lower():
        raise Blocked(f"only the policy owner ({owner}) gives the owner's input; you are {actor}")
    hist = _history(app, env_name)
    live = dp.live(hist)
    if live is None:
        raise InputError(f"nothing is deployed on {env_name}")
    current = _emergency_release(hist, live) or live
    app.store().append(
        actor,
        dp.OWNER_INPUT,
        env_name,
        {"deployment": current.id, "tag": current.tag, "note": note},
    )
    return current.id


def approve_schema_rollback(app: App, env_name: str, to: str, note: str) -> None:
    """§4 "rollback of the schema itself ... requires explicit approval": recorded
    by a reviewer listed in the policy, who cannot be the one rolling back."""
    actor = app.actor()
    policy = app.policy()
    if policy.reviewer(actor) is None and actor.lower() != policy.roles.policy_owner.lower():
        raise Blocked(f"{actor} is not a reviewer or the policy owner; they cannot approve")
    if dp.deployed_tag(_history(app, env_name), to) is None:
        raise InputError(f"{to} never deployed successfully to {env_name}")
    app.store().append(
        actor,
        dp.SCHEMA_ROLLBACK_APPROVED,
        env_name,
        {"to": to, "note": note, "approver": actor},
    )


def _require_schema_approval(
    app: App, env_name: str, to: str, actor: str, since: dp.Deployment | None
) -> None:
    from changegate.adapters.storage.store import EventFilter

    events = app.store().events(EventFilter(action=dp.SCHEMA_ROLLBACK_APPROVED, subject=env_name))
    floor = since.seq if since else 0
    for e in reversed(events):
        if e.seq < floor or e.data().get("to") != to:
            continue
        if e.actor.lower() == actor.lower():
            raise Blocked(
                "the schema rollback was approved by you; a second person approves (§4 explicit "
                "approval), not the one rolling back"
            )
        return
    raise Blocked(
        f"rolling back the schema of {env_name} to {to} needs an explicit approval by a reviewer "
        f"other than you: `changegate rollback --env {env_name} --to {to} --approve-schema "
        '--reason "..."` run by them'
    )


def _close_interrupted(tgt: Target, info: LockInfo, actor: str) -> None:
    """An interrupted deploy ends on the record before the rollback replaces it."""
    run = Run(tgt, info)
    run.data.setdefault("reason", f"interrupted after {', '.join(info.done) or 'no step'}")
    run.finish(dp.FAILED, None)
    record_lock_broken(tgt, info, actor, "interrupted; rolled back")


__all__ = ["StepFailed", "approve_schema_rollback", "owner_input", "rollback", "start_rollback"]
