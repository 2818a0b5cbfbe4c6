"""Deployments as data: the runbook a procedure means, and the history folded from the ledger.

Policy §2: "Production deployments are tagged commits applied through a
documented procedure." The procedure is the environment's list of steps in the
policy; :func:`runbook` turns it into the numbered text a person can follow and
the deploy workflow executes exactly those steps, in that order. §5:
"Production deployments are recorded with the deployed commit, the deployer,
and the deployment time" — :func:`fold` reads those records back.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from changegate.core.ledger import Event
from changegate.core.policy import Environment

# A release tag is also a directory name under releases/: no slash, no leading dot.
TAG_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._+-]*$")

STARTED = "deploy.started"
STEP = "deploy.step"
FINISHED = "deploy.finished"
RESUMED = "deploy.resumed"
LOCK_BROKEN = "deploy.lock_broken"
SCHEMA_ROLLBACK_APPROVED = "deploy.schema_rollback_approved"
OWNER_INPUT = "deploy.owner_input"

DEPLOYED = "deployed"
ROLLED_BACK = "rolled-back"
FAILED = "failed"


@dataclass(frozen=True)
class RunbookFacts:
    """What the runbook can say concretely about this deploy (all optional)."""

    root: str
    previous_tag: str | None = None
    migration_sets: tuple[str, ...] = ()
    pending_migrations: tuple[str, ...] | None = None  # None: not computed
    config_version: int | None = None
    process_manager: str | None = None
    smoke: tuple[str, ...] = ()


def runbook(
    env_name: str, env: Environment, tag: str, commit: str, facts: RunbookFacts
) -> list[str]:
    """The procedure as numbered, concrete instructions — what ``--plan`` prints."""
    prev = facts.previous_tag or "(none: first deploy)"
    lines: list[str] = []
    for step in env.procedure:
        if step == "verify":
            text = (
                f"verify: {tag} is an annotated release tag of {commit[:12]} with a recorded "
                f"passing verdict, merge or declared emergency; the deployer is allowed; no "
                f"open secret leak in the release; {env_name} is not locked. Take the deploy "
                f"lock and export the tree to {facts.root}/releases/{tag}/"
            )
        elif step == "migrate":
            if not facts.migration_sets:
                text = "migrate: no migration set configured (nothing to apply)"
            else:
                pending = (
                    "pending: " + ", ".join(facts.pending_migrations)
                    if facts.pending_migrations
                    else "nothing pending"
                    if facts.pending_migrations is not None
                    else "pending migrations computed at run time"
                )
                text = (
                    f"migrate: apply the schema migrations of {', '.join(facts.migration_sets)} "
                    f"from the release tree, before any code switch ({pending})"
                )
        elif step == "smoke-previous":
            text = (
                f"smoke-previous: run the smoke tests against the still-running release {prev} "
                "on the new schema; if they fail, stop here: the code is not switched"
            )
        elif step == "config":
            text = (
                "config: render the newest approved configuration version"
                + (f" (now v{facts.config_version})" if facts.config_version else "")
                if env.config
                else "config: no config store for this environment (nothing to apply)"
            )
        elif step == "switch":
            text = f"switch: point {facts.root}/current at releases/{tag} (one atomic rename)"
        elif step == "reload":
            text = (
                f"reload: rolling reload through {facts.process_manager}; wait until the old "
                "workers are gone and the new ones answer"
                if facts.process_manager
                else "reload: no process manager configured (nothing to reload)"
            )
        elif step == "smoke":
            checks = ", ".join(facts.smoke) or "none configured"
            text = f"smoke: run the smoke tests ({checks}) with retries; on failure " + (
                f"roll back automatically to {prev} (code, config, reload, smoke)"
                if env.auto_rollback
                else "stop and report (auto_rollback is off)"
            )
        else:  # record
            text = (
                "record: append the deployment (tag, commit, deployer, start and end, "
                "migrations, config version, smoke results, outcome) to the ledger, keep the "
                f"last {env.keep_releases} releases, release the lock"
            )
        lines.append(text)
    return [f"{i}. {line}" for i, line in enumerate(lines, 1)]


@dataclass
class Deployment:
    """One finished deployment or rollback, as recorded."""

    id: str
    kind: str
    environment: str
    tag: str
    commit: str
    deployer: str
    started_at: str
    ended_at: str
    outcome: str
    seq: int
    previous_tag: str | None = None
    rollback_of: str | None = None
    reason: str | None = None
    config_version: int | None = None
    migrations_applied: list[dict[str, Any]] = field(default_factory=list)
    schema_state: dict[str, str | None] = field(default_factory=dict)
    smoke: list[dict[str, Any]] = field(default_factory=list)
    basis: str | None = None
    emergency: str | None = None
    failed_step: str | None = None
    failure: str | None = None  # "<step> failed: <detail>" (the reason may be the user's)

    def as_dict(self) -> dict[str, Any]:
        return {
            "deployment": self.id,
            "kind": self.kind,
            "environment": self.environment,
            "tag": self.tag,
            "commit": self.commit,
            "deployer": self.deployer,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "outcome": self.outcome,
            "previous_tag": self.previous_tag,
            "rollback_of": self.rollback_of,
            "reason": self.reason,
            "config_version": self.config_version,
            "migrations_applied": self.migrations_applied,
            "schema_state": self.schema_state,
            "smoke": self.smoke,
            "basis": self.basis,
            "emergency": self.emergency,
            "failed_step": self.failed_step,
            "failure": self.failure,
            "seq": self.seq,
        }


def fold(events: Iterable[Event]) -> list[Deployment]:
    """Finished deployments in ledger order."""
    out: list[Deployment] = []
    for e in events:
        if e.action != FINISHED:
            continue
        d = e.data()
        out.append(
            Deployment(
                id=str(d["deployment"]),
                kind=str(d.get("kind", "deploy")),
                environment=str(d.get("environment", e.subject)),
                tag=str(d["tag"]),
                commit=str(d["commit"]),
                deployer=str(d.get("deployer", e.actor)),
                started_at=str(d.get("started_at", e.ts)),
                ended_at=str(d.get("ended_at", e.ts)),
                outcome=str(d["outcome"]),
                seq=e.seq,
                previous_tag=d.get("previous_tag"),
                rollback_of=d.get("rollback_of"),
                reason=d.get("reason"),
                config_version=d.get("config_version"),
                migrations_applied=list(d.get("migrations_applied") or []),
                schema_state=dict(d.get("schema_state") or {}),
                smoke=list(d.get("smoke") or []),
                basis=d.get("basis"),
                emergency=d.get("emergency"),
                failed_step=d.get("failed_step"),
                failure=d.get("failure"),
            )
        )
    return out


def live(history: list[Deployment]) -> Deployment | None:
    """The deployment whose release is serving: the newest that ended on its tag."""
    for d in reversed(history):
        if d.outcome == DEPLOYED:
            return d
    return None


def rollback_target(history: list[Deployment], current_tag: str | None) -> Deployment | None:
    """The release to go back to: the newest successful deployment of another tag
    that was not itself rolled back.

    Only a release that was deployed (and passed its smoke tests) here before
    is a rollback target: rolling "back" to something that never ran would be
    a deploy without the deploy's checks. Skipping releases that were rolled
    back keeps a second ``rollback`` going further back, not forward again.
    """
    undone = {d.rollback_of for d in history if d.rollback_of}
    for d in reversed(history):
        if d.outcome == DEPLOYED and d.tag != current_tag and d.id not in undone:
            return d
    return None


def deployed_tag(history: list[Deployment], tag: str, kind: str | None = None) -> Deployment | None:
    """The newest successful deployment of ``tag`` (of ``kind``: "deploy" is the one that
    applied its migrations; a rollback onto it may have left a newer schema)."""
    for d in reversed(history):
        if d.outcome == DEPLOYED and d.tag == tag and (kind is None or d.kind == kind):
            return d
    return None
