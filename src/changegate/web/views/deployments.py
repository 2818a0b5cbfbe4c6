"""Deployments per environment over time, and one deployment's steps (``deploy.*`` events)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from changegate.errors import ChangegateError
from changegate.web import reads
from changegate.web.auth import caller_of
from changegate.web.folds import OUTCOMES
from changegate.web.render import page, query_int
from changegate.web.state import WebState, state_of

_DEPLOYMENT = re.compile(r"^D-[0-9a-f]{4,64}$")


@dataclass
class EnvPanel:
    """What the top of the page says about one environment, read live from its host."""

    name: str
    status: dict[str, Any] | None = None
    error: str | None = None  # why status could not be read (e.g. no deploy_root)
    targets: list[str] = field(default_factory=list)  # tags a rollback may go back to


def rollback_targets(st: WebState, env: str, current: str | None) -> list[str]:
    """Tags that deployed successfully to ``env``, newest first, other than the live one.

    The rollback workflow accepts only such a tag (``--to``); offering anything
    else would only produce its refusal.
    """
    tags = st.folds.deployed_tags.get(st.app.store()).get(env, ())
    return [t for t in tags if t != current]


def env_panels(st: WebState, may_deploy: bool) -> list[EnvPanel]:
    """``status(app, env)`` for every environment the policy declares."""
    from changegate.workflows.deploy_status import status

    pol, _ = st.policy()
    panels = []
    for name in sorted(pol.environments if pol else {}):
        panel = EnvPanel(name)
        try:
            panel.status = status(st.app, name)
            if may_deploy:
                panel.targets = rollback_targets(st, name, panel.status.get("current"))
        except ChangegateError as exc:
            panel.error = exc.message
        panels.append(panel)
    return panels


def deployments(
    request: Request,
    *,
    error: str | None = None,
    error_env: str | None = None,
    status_code: int = 200,
) -> Response:
    st = state_of(request)
    env = request.query_params.get("env", "").strip()
    outcome = request.query_params.get("outcome", "")
    where = [reads.payload_has("outcome", outcome)] if outcome in OUTCOMES else []
    result = reads.page(
        st.app.store(),
        actions=["deploy.finished"],
        subject=env or None,
        where=where,
        before=query_int(request, "before"),
    )
    filters = {k: v for k, v in request.query_params.items() if k != "before" and v}
    may_deploy = caller_of(request).identity.may("deploy") and bool(st.deploy_actions)
    return page(
        request,
        "deployments.html",
        status_code,
        title="Deployments",
        rows=[(e, e.data()) for e in result.events],
        next_before=result.next_before,
        filters=filters,
        per_env=st.deploy_outcomes(),
        latest={e.subject: (e, e.data()) for e in st.latest_deploys()},
        outcomes=OUTCOMES,
        panels=env_panels(st, may_deploy),
        may_deploy=may_deploy,
        error=error,
        error_env=error_env,
    )


def deployment(request: Request) -> Response:
    st = state_of(request)
    ident = request.path_params["ident"]
    if not _DEPLOYMENT.match(ident):
        return page(request, "error.html", 404, title="Not found", message="not a deployment id")
    events = reads.related(st.app.store(), ["deploy.*"], ["deployment"], [ident])
    if not events:
        return page(request, "error.html", 404, title="Not found", message=f"no deployment {ident}")
    finished = [e for e in events if e.action == "deploy.finished"]
    return page(
        request,
        "deployment.html",
        title=f"Deployment {ident}",
        ident=ident,
        events=[(e, e.data()) for e in events],
        steps=[e.data() for e in events if e.action == "deploy.step"],
        started=next((e.data() for e in events if e.action == "deploy.started"), None),
        finished=finished[-1].data() if finished else None,
    )
