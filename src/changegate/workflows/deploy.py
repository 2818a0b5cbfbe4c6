"""``changegate deploy``: a release tag through the environment's documented procedure.

Policy §2, step by step: only tagged commits with recorded evidence deploy;
schema migrations apply first and the *still running* previous release is
smoke-tested against the new schema before any code switch (the same-version
rollback guarantee of §4, checked for real rather than assumed); config goes
on the same track; the code switch is one atomic symlink rename followed by
the process manager's rolling reload; smoke tests decide, and a failure rolls
back by itself. Every step is in the ledger.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass, field
from typing import Any

from changegate.adapters.deploylock import LockInfo, held_message
from changegate.app import App
from changegate.core import deploy as dp
from changegate.core.ledger import utc_timestamp
from changegate.errors import EnvironmentProblem, InputError
from changegate.workflows import deploy_steps as steps
from changegate.workflows.deploy_run import (
    Reporter,
    Run,
    StepResult,
    Target,
    record_lock_broken,
    stale_lock,
    target,
)


@dataclass
class DeployResult:
    deployment: dp.Deployment
    steps: list[StepResult]
    rollback: dp.Deployment | None = None
    rollback_steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.deployment.outcome == dp.DEPLOYED

    def as_dict(self) -> dict[str, Any]:
        return {
            "deployment": self.deployment.as_dict(),
            "steps": [s.as_dict() for s in self.steps],
            "rollback": self.rollback.as_dict() if self.rollback else None,
            "rollback_steps": [s.as_dict() for s in self.rollback_steps],
        }


def new_id() -> str:
    return "D-" + secrets.token_hex(5)


def history(app: App, env_name: str | None = None) -> list[dp.Deployment]:
    from changegate.adapters.storage.store import EventFilter

    events = app.store().events(EventFilter(action=dp.FINISHED, subject=env_name))
    return dp.fold(events)


def plan(app: App, tag: str, env_name: str) -> list[str]:
    """The runbook ``deploy`` would execute, with this deploy's facts filled in."""
    tgt = target(app, env_name)
    commit = steps.release_commit(app, tag)
    return dp.runbook(env_name, tgt.env, tag, commit, steps.runbook_facts(tgt))


def deploy(app: App, tag: str, env_name: str, *, report: Reporter | None = None) -> DeployResult:
    tgt = target(app, env_name)
    actor = app.actor()
    checked = steps.preflight(tgt, tag, actor)
    holder = tgt.lock.read()
    if holder is not None:
        raise EnvironmentProblem(held_message(holder))
    previous = tgt.transport.current()
    live = dp.live(history(app, env_name))
    if previous == tag and (live is None or live.tag != tag):
        # Switched by a deploy that then failed (auto_rollback off): deploying it again is
        # a retry, measured against the release that last deployed successfully.
        previous = live.tag if live else None
    elif previous == tag:
        raise InputError(
            f"{tag} is already live on {env_name}; nothing to deploy (to re-apply config use "
            f"`changegate config apply {env_name}`)"
        )
    info = LockInfo(
        deployment=new_id(),
        kind="deploy",
        environment=env_name,
        tag=tag,
        previous_tag=previous,
        actor=actor,
        started_at=utc_timestamp(),
        pid=os.getpid(),
        host=socket.gethostname(),
        data={
            "commit": checked.commit,
            "basis": checked.basis,
            "emergency": checked.emergency,
            "procedure": list(tgt.env.procedure),
        },
    )
    tgt.transport.prepare()
    tgt.lock.acquire(info)
    run = Run(tgt, info, report)
    run.record_start()
    return _drive(run)


def resume(app: App, env_name: str, *, report: Reporter | None = None) -> DeployResult:
    """Finish a deploy (or rollback) whose process died, from the first step not done."""
    tgt = target(app, env_name)
    info = stale_lock(tgt, missing=f"no interrupted deploy on {env_name}: nothing to resume")
    actor = app.actor()
    steps.require_deployer(tgt, actor)
    interrupted = (info.pid, info.host)
    info.pid, info.host = os.getpid(), socket.gethostname()
    tgt.lock.take_over(info)  # first: a second `--resume` at the same moment stops here
    app.store().append(
        actor,
        dp.RESUMED,
        env_name,
        {
            "deployment": info.deployment,
            "kind": info.kind,
            "done": list(info.done),
            "interrupted_pid": interrupted[0],
            "interrupted_host": interrupted[1],
        },
    )
    run = Run(tgt, info, report)
    if info.kind == "rollback":
        from changegate.workflows.rollback import drive_rollback

        deployment = drive_rollback(run)
        return DeployResult(deployment, run.results)
    return _drive(run)


def break_lock(app: App, env_name: str, reason: str) -> LockInfo:
    """Remove a stale lock, with the reason on record (a live holder is never broken)."""
    if not reason.strip():
        raise InputError(
            '--reason is required to break a deploy lock: say why, e.g. --reason "..."'
        )
    tgt = target(app, env_name)
    steps.require_deployer(tgt, app.actor())
    info = stale_lock(tgt, missing=f"{env_name} is not locked")
    record_lock_broken(tgt, info, app.actor(), reason)
    return info


def _drive(run: Run) -> DeployResult:
    tgt = run.tgt
    earlier = run.recorded()  # killed after its record: finish from what was recorded
    if earlier is not None and earlier.outcome == dp.ROLLED_BACK:
        return _auto_rollback(run, earlier, None)
    if earlier is not None:
        tgt.lock.release()
        return DeployResult(earlier, run.results)
    failed = run.execute([s for s in tgt.env.procedure if s != "record"], steps.deploy_step)
    if failed is None:
        run.execute(["record"], steps.deploy_step)
        deployment = run.finish(dp.DEPLOYED, None)
        if deployment.emergency:
            steps.emergency_deployed(run, deployment)
        tgt.lock.release()
        return DeployResult(deployment, run.results)
    switched = "switch" in run.info.done
    if switched and tgt.env.auto_rollback and run.info.previous_tag:
        return _auto_rollback(run, run.finish(dp.ROLLED_BACK, failed), failed)
    if not switched and "config" in run.info.done:
        steps.restore_config(run)  # the old code keeps the config it was running with
    deployment = run.finish(dp.FAILED, failed)
    tgt.lock.release()
    return DeployResult(deployment, run.results)


def _auto_rollback(run: Run, deployment: dp.Deployment, failed: StepResult | None) -> DeployResult:
    from changegate.workflows.rollback import start_rollback

    assert run.info.previous_tag is not None
    why = deployment.failure or deployment.reason or "failed"
    back = start_rollback(
        run.tgt,
        to=run.info.previous_tag,
        actor=run.info.actor,
        reason=f"automatic: {why}",
        rollback_of=deployment.id,
        report=run.report,
        held=True,
    )
    return DeployResult(deployment, run.results, back[0], back[1])


__all__ = ["DeployResult", "Target", "break_lock", "deploy", "history", "plan", "resume"]
