"""The engine under ``deploy`` and ``rollback``: run named steps, journal them, record them.

Each step is recorded in the ledger (``deploy.step``) and in the deploy lock's
journal as soon as it finishes, so that a deploy killed at any point can be
resumed from the first step not done, or rolled back, by a later command.
Steps are idempotent where a crash can interrupt them: the export redoes a
partial tree, the migration runner skips what its tracking table says ran,
rendering config and switching the symlink are atomic replaces, a reload is
safe to repeat.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from changegate.adapters.deploylock import DeployLock, LockInfo
from changegate.adapters.releases import LocalTransport
from changegate.app import App
from changegate.core import deploy as dp
from changegate.core.ledger import utc_timestamp
from changegate.core.policy import Environment
from changegate.errors import Blocked, ChangegateError, InputError


@dataclass(frozen=True)
class StepResult:
    step: str
    status: str  # ok | failed | skipped
    detail: str
    duration_ms: int

    def as_dict(self) -> dict[str, Any]:
        return {
            "step": self.step,
            "status": self.status,
            "detail": self.detail,
            "duration_ms": self.duration_ms,
        }


class StepFailed(Exception):
    """A step ran and said no (a smoke test failed, a migration broke): not a crash."""

    def __init__(self, detail: str, data: dict[str, Any] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.data = data or {}


@dataclass
class Target:
    """One environment of the policy, resolved to places on disk."""

    app: App
    name: str
    env: Environment
    root: Path
    transport: LocalTransport
    lock: DeployLock


def target(app: App, env_name: str) -> Target:
    policy = app.policy()
    env = policy.environments.get(env_name)
    if env is None:
        known = ", ".join(sorted(policy.environments)) or "none"
        raise InputError(
            f"changegate.toml has no [environments.{env_name}] (known: {known}); "
            "declare the environment and its procedure first"
        )
    if not env.deploy_root:
        raise InputError(
            f"changegate.toml: environments.{env_name}.deploy_root is not set; name the "
            "directory that holds releases/ and the current symlink"
        )
    root = app.path(env.deploy_root)
    return Target(app, env_name, env, root, LocalTransport(root), DeployLock(root))


Reporter = Callable[[StepResult], None]


@dataclass
class Run:
    """One deployment or rollback in progress (the lock's journal is its memory)."""

    tgt: Target
    info: LockInfo
    report: Reporter | None = None
    results: list[StepResult] = field(default_factory=list)

    @property
    def app(self) -> App:
        return self.tgt.app

    @property
    def data(self) -> dict[str, Any]:
        return self.info.data

    def record_start(self) -> None:
        self.app.store().append(
            self.info.actor,
            dp.STARTED,
            self.tgt.name,
            {
                "deployment": self.info.deployment,
                "kind": self.info.kind,
                "tag": self.info.tag,
                "commit": self.data.get("commit"),
                "environment": self.tgt.name,
                "previous_tag": self.info.previous_tag,
                "rollback_of": self.data.get("rollback_of"),
                "reason": self.data.get("reason"),
                "procedure": self.data.get("procedure"),
            },
        )

    def execute(self, steps: list[str], impl: Callable[[Run, str], str]) -> StepResult | None:
        """Run ``steps`` not yet done; returns the failed step's result, or None."""
        for step in steps:
            if step in self.info.done:
                continue
            start = time.monotonic()
            try:
                self._hook(step)
                detail = impl(self, step)
                status = "skipped" if detail.startswith("skipped:") else "ok"
                if status == "skipped":
                    detail = detail.removeprefix("skipped:").strip()
            except StepFailed as failed:
                self.data.update(failed.data)
                return self._finish_step(step, "failed", failed.detail, start)
            except ChangegateError as exc:
                return self._finish_step(step, "failed", str(exc), start)
            except Exception as exc:  # a bug or an OS error must still end the run cleanly
                detail = f"unexpected {type(exc).__name__}: {exc}"
                return self._finish_step(step, "failed", detail, start)
            self._finish_step(step, status, detail, start)
            self.info.done.append(step)
            self.tgt.lock.write(self.info)
        return None

    def _finish_step(self, step: str, status: str, detail: str, start: float) -> StepResult:
        result = StepResult(step, status, detail, int((time.monotonic() - start) * 1000))
        self.results.append(result)
        self.app.store().append(
            self.info.actor,
            dp.STEP,
            self.tgt.name,
            {"deployment": self.info.deployment, "kind": self.info.kind, **result.as_dict()},
        )
        if self.report is not None:
            self.report(result)
        return result

    def _hook(self, step: str) -> None:
        """The environment's ``hooks.<step>`` commands, run before the step (Kamal-style).

        A failing hook fails the step: hooks are where teams put "is the on-call
        engineer aware?" checks and notifications, which must not be skipped silently.
        """
        commands = next((v for k, v in self.tgt.env.hooks.items() if k == step), None)
        if not commands:
            return
        import subprocess

        env = {k: v for k, v in os.environ.items() if k not in self._secret_vars()}
        env.update(
            {
                "CHANGEGATE_DEPLOYMENT": self.info.deployment,
                "CHANGEGATE_DEPLOY_KIND": self.info.kind,
                "CHANGEGATE_DEPLOY_STEP": step,
                "CHANGEGATE_ENVIRONMENT": self.tgt.name,
                "CHANGEGATE_TAG": self.info.tag,
                "CHANGEGATE_PREVIOUS_TAG": self.info.previous_tag or "",
                "CHANGEGATE_DEPLOY_ROOT": str(self.tgt.root),
            }
        )
        for command in commands:
            proc = subprocess.run(command, shell=True, env=env, cwd=self.tgt.root, check=False)
            if proc.returncode != 0:
                raise StepFailed(
                    f"hook before {step} failed ({command!r} exited {proc.returncode})"
                )

    def recorded(self) -> dp.Deployment | None:
        """This deployment's ``deploy.finished``, if a run (maybe killed since) wrote it."""
        from changegate.adapters.storage.store import EventFilter

        events = self.app.store().events(
            EventFilter(action=dp.FINISHED, subject=self.tgt.name, newest_first=True, limit=50)
        )
        mine = [e for e in events if e.data().get("deployment") == self.info.deployment]
        return dp.fold(mine[:1])[0] if mine else None

    def _secret_vars(self) -> set[str]:
        """Variables a hook never needs and must not see: the database URL, the config
        store's key, the smoke credentials (hooks are policy-owned shell, often logged)."""
        env = self.tgt.env
        names = {env.database_url_env} if env.database_url_env else set()
        names |= {c.credential_env for c in env.smoke if c.credential_env}
        names |= {c.database_url_env for c in env.smoke if c.database_url_env}
        if env.config is not None and env.config.key_env:
            names.add(env.config.key_env)
        return names

    def finish(self, outcome: str, failed: StepResult | None) -> dp.Deployment:
        """Record the deployment's end, once: a run killed between this record and the
        lock's release is finished by the next command without a second record. The lock
        is released by the caller."""
        done = self.recorded()
        if done is not None:
            return done
        ended = utc_timestamp()
        payload = {
            "deployment": self.info.deployment,
            "kind": self.info.kind,
            "tag": self.info.tag,
            "commit": self.data.get("commit"),
            "environment": self.tgt.name,
            "deployer": self.info.actor,
            "started_at": self.info.started_at,
            "ended_at": ended,
            "outcome": outcome,
            "previous_tag": self.info.previous_tag,
            "rollback_of": self.data.get("rollback_of"),
            "reason": self.data.get("reason")
            or (f"{failed.step} failed: {failed.detail}" if failed else None),
            "failed_step": failed.step if failed else None,
            "failure": f"{failed.step} failed: {failed.detail}" if failed else None,
            "migrations_applied": self.data.get("migrations_applied", []),
            "schema_state": self.data.get("schema_state", {}),
            "config_version": self.data.get("config_version"),
            "smoke": self.data.get("smoke", []),
            "smoke_previous": self.data.get("smoke_previous"),
            "basis": self.data.get("basis"),
            "emergency": self.data.get("emergency"),
            "steps": [r.as_dict() for r in self.results],
        }
        event = self.app.store().append(self.info.actor, dp.FINISHED, self.tgt.name, payload)
        return dp.fold([event])[0]


def stale_lock(tgt: Target, *, missing: str) -> LockInfo:
    """The lock of an interrupted deploy or rollback; refuses a live one."""
    info = tgt.lock.read()
    if info is None:
        raise InputError(missing)
    if info.alive():
        raise Blocked(
            f"{info.kind} {info.deployment} on {tgt.name} is still running (pid {info.pid} on "
            f"{info.host}); wait for it: a live deploy's lock is never taken over or broken"
        )
    return info


def record_lock_broken(tgt: Target, info: LockInfo, actor: str, reason: str) -> None:
    tgt.app.store().append(
        actor,
        dp.LOCK_BROKEN,
        tgt.name,
        {
            "deployment": info.deployment,
            "kind": info.kind,
            "tag": info.tag,
            "holder": info.actor,
            "since": info.started_at,
            "done": list(info.done),
            "reason": reason,
        },
    )
    tgt.lock.release()
