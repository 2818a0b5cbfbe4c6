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
from typing import Any

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

# Code first (the old code runs on the new schema: forward-compatible by policy), then
# the schema if asked, and the smoke tests judge the final state.
ROLLBACK_STEPS = ["verify", "config", "switch", "reload", "schema", "smoke", "record"]


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
    """Decide everything first (target, owner input, schema approval), then act: a refused
    rollback leaves an interrupted deploy's lock in place, still resumable."""
    if not reason.strip():
        raise InputError('--reason is required: say why you roll back, e.g. --reason "..."')
    tgt = target(app, env_name)
    actor = app.actor()
    steps.require_deployer(tgt, actor)
    interrupted = tgt.lock.read()
    if interrupted is not None and interrupted.alive():
        raise Blocked(
            f"{interrupted.kind} {interrupted.deployment} on {env_name} is running "
            f"(pid {interrupted.pid}); wait for it before rolling back"
        )
    hist = _history(app, env_name)
    current_tag = tgt.transport.current()
    current = dp.live(hist)
    undone = (
        interrupted.deployment if interrupted is not None else (current.id if current else None)
    )
    if to is not None:
        chosen = dp.deployed_tag(hist, to)
        if chosen is None:
            raise InputError(
                f"{to} never deployed successfully to {env_name}; a rollback goes back only to a "
                "release that ran here (deploy it normally instead)"
            )
    elif interrupted is not None and interrupted.kind == "rollback":
        # Finish what the interrupted rollback set out to do, not one release further.
        chosen = dp.deployed_tag(hist, interrupted.tag)
        undone = interrupted.data.get("rollback_of") or undone
    elif interrupted is not None and interrupted.previous_tag:
        chosen = dp.deployed_tag(hist, interrupted.previous_tag)
    else:
        chosen = dp.rollback_target(hist, current_tag)
    if chosen is None:
        raise InputError(
            f"{env_name} has no earlier successful release to roll back to; name one with --to"
        )
    if interrupted is not None:
        emergency = interrupted.data.get("emergency")
        if emergency:
            _require_owner_input(app, env_name, interrupted.deployment, str(emergency), actor, 0)
    else:
        shipped = _emergency_release(hist, current)
        if shipped is not None and shipped.emergency:
            since = current.seq if current else 0
            _require_owner_input(app, env_name, shipped.id, shipped.emergency, actor, since)
    schema_to: dict[str, str | None] | None = None
    if schema:
        origin = dp.deployed_tag(hist, chosen.tag, kind="deploy")
        if origin is None or not origin.schema_state:
            raise InputError(
                f"the deploy of {chosen.tag} recorded no schema state (no migration sets or no "
                "database_url_env then); a schema rollback has nothing to aim at"
            )
        _require_schema_approval(app, env_name, chosen.tag, actor)
        schema_to = dict(origin.schema_state)
    if interrupted is not None:
        _close_interrupted(tgt, interrupted, actor)
    return start_rollback(
        tgt,
        to=chosen.tag,
        actor=actor,
        reason=reason,
        rollback_of=undone,
        schema_to=schema_to,
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
    held: bool = False,
) -> tuple[dp.Deployment, list[StepResult]]:
    """Take the lock (or, ``held``, keep the deploy's own) and drive a rollback to ``to``."""
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
    if held:  # an automatic rollback inside the deploy that holds the lock
        tgt.lock.write(info)
    else:
        tgt.lock.acquire(info)
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
    from changegate.workflows.config import live_version, render

    version = run.data.get("target_config_version")
    if version is None:
        # Recorded all the same, so that a later rollback onto this one knows it.
        run.data["config_version"] = live_version(run.app, run.tgt.name)
        return (
            f"skipped: {run.info.tag} was deployed without a recorded config version; "
            f"config v{run.data['config_version']} stays live"
        )
    applied = render(run.app, run.tgt.name, int(version), actor=run.info.actor, reason="rollback")
    run.data["config_version"] = applied.version
    return f"config v{applied.version} (live with {run.info.tag}) rendered again"


def _schema_back(run: Run) -> str:
    url = steps.database_url(run.tgt)
    schema_to = run.data.get("schema_to")
    if url is not None and steps.migration_sets(run.tgt):
        run.data["schema_state"] = steps.schema_state(url)
    if schema_to is None:
        return "skipped: schema left as is (forward-compatible; --schema not asked)"
    if url is None:
        raise StepFailed("--schema needs the environment's database_url_env")
    from changegate import migrations as mg

    root, found = _tree_with_applied(run, url)
    try:
        undone = mg.rollback(root, found, url, to=schema_to, actor=run.info.actor)
    finally:
        run.data["schema_state"] = steps.schema_state(url)
    run.data["migrations_applied"] = [u.as_dict() for u in undone]
    if not undone:
        return "schema already at the target release's versions"
    return "rolled back " + ", ".join(f"{u.set}:{u.version}" for u in undone)


def _tree_with_applied(run: Run, url: str) -> tuple[Path, list[Any]]:
    """The newest release tree that holds every applied migration: the down scripts of a
    migration live in the release that shipped it (which may have failed to deploy)."""
    from changegate import migrations as mg

    candidates: list[str] = []
    for d in reversed(_history(run.app, run.tgt.name)):
        if d.kind == "deploy" and d.tag not in candidates:
            candidates.append(d.tag)
    if run.info.previous_tag and run.info.previous_tag not in candidates:
        candidates.insert(0, run.info.previous_tag)
    for tag in candidates:
        root = run.tgt.transport.export(run.app.git, tag)
        found = steps.discovered_sets(run.tgt, root)
        if not any(p.kind == "missing" for p in mg.plan(root, found, url).problems):
            return root, found
    raise StepFailed(
        "no release tree holds every applied migration (with its down script); restore the "
        "schema by hand from the migrations' rollback notes"
    )


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
    app: App, env_name: str, deployment: str, emergency: str, actor: str, since_seq: int
) -> None:
    """The owner's input counts for this deployment, given since it went live."""
    from changegate.adapters.storage.store import EventFilter

    owner = app.policy().roles.policy_owner
    if actor.lower() == owner.lower():
        return
    inputs = app.store().events(EventFilter(action=dp.OWNER_INPUT, subject=env_name))
    if any(e.data().get("deployment") == deployment and e.seq > since_seq for e in inputs):
        return
    raise Blocked(
        f"{deployment} on {env_name} shipped under emergency {emergency}: the policy owner "
        f"({owner}) gives input before a rollback (§4). They run "
        f'`changegate rollback --env {env_name} --owner-input "..."`'
    )


def owner_input(app: App, env_name: str, note: str) -> str:
    """The policy owner's recorded input on rolling back (§4): about the interrupted
    deploy when there is one, else about the release live now."""
    if not note.strip():
        raise InputError("--owner-input needs a note: what the owner says about the rollback")
    actor = app.actor()
    owner = app.policy().roles.policy_owner
    if actor.lower() != owner.lower():
        raise Blocked(f"only the policy owner ({owner}) gives the owner's input; you are {actor}")
    tgt = target(app, env_name)
    interrupted = tgt.lock.read()
    if interrupted is not None and not interrupted.alive():
        deployment, tag = interrupted.deployment, interrupted.tag
    else:
        hist = _history(app, env_name)
        live = dp.live(hist)
        if live is None:
            raise InputError(f"nothing is deployed on {env_name}")
        current = _emergency_release(hist, live) or live
        deployment, tag = current.id, current.tag
    app.store().append(
        actor, dp.OWNER_INPUT, env_name, {"deployment": deployment, "tag": tag, "note": note}
    )
    return deployment


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


def _require_schema_approval(app: App, env_name: str, to: str, actor: str) -> None:
    """An approval counts once, and only if given after the newest deploy or rollback
    started here: what was approved is the schema as it stands now."""
    from changegate.adapters.storage.store import EventFilter

    store = app.store()
    started = store.events(
        EventFilter(action=dp.STARTED, subject=env_name, newest_first=True, limit=1)
    )
    floor = started[0].seq if started else 0
    events = store.events(EventFilter(action=dp.SCHEMA_ROLLBACK_APPROVED, subject=env_name))
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
        f"rolling back the schema of {env_name} to {to} needs an explicit approval, given since "
        f"the last deploy, by a reviewer other than you: `changegate rollback --env {env_name} "
        f'--to {to} --approve-schema --reason "..."` run by them'
    )


def _close_interrupted(tgt: Target, info: LockInfo, actor: str) -> None:
    """An interrupted deploy ends on the record before the rollback replaces it."""
    run = Run(tgt, info)
    run.data.setdefault("reason", f"interrupted after {', '.join(info.done) or 'no step'}")
    run.finish(dp.FAILED, None)
    record_lock_broken(tgt, info, actor, "interrupted; rolled back")


__all__ = ["StepFailed", "approve_schema_rollback", "owner_input", "rollback", "start_rollback"]
