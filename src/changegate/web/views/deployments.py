"""Deployments per environment over time, and one deployment's steps (``deploy.*`` events)."""

from __future__ import annotations

import re

from sqlalchemy import case, func, select
from starlette.requests import Request
from starlette.responses import Response

from changegate.adapters.storage.schema import ledger_events as le
from changegate.web import reads
from changegate.web.render import page, query_int
from changegate.web.state import state_of

OUTCOMES = ("deployed", "rolled-back", "failed")
_DEPLOYMENT = re.compile(r"^D-[0-9a-f]{4,64}$")


def outcome_counts(request: Request) -> dict[str, dict[str, int]]:
    """Per environment, how many deployments ended each way (one grouped scan)."""
    store = state_of(request).app.store()
    cols = [
        func.sum(case((reads.payload_has("outcome", o), 1), else_=0)).label(o) for o in OUTCOMES
    ]
    q = (
        select(le.c.subject, func.count().label("total"), *cols)
        .where(le.c.action == "deploy.finished")
        .group_by(le.c.subject)
    )
    with store.engine.connect() as conn:
        return {
            str(r.subject): {
                "total": int(r.total),
                **{o: int(r._mapping[o] or 0) for o in OUTCOMES},
            }
            for r in conn.execute(q)
        }


def deployments(request: Request) -> Response:
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
    return page(
        request,
        "deployments.html",
        title="Deployments",
        rows=[(e, e.data()) for e in result.events],
        next_before=result.next_before,
        filters=filters,
        per_env=st.cached("deploys.outcomes", lambda: outcome_counts(request)),
        latest={
            e.subject: (e, e.data())
            for e in st.cached(
                "deploys.latest",
                lambda: reads.newest_per_subject(st.app.store(), "deploy.finished"),
            )
        },
        outcomes=OUTCOMES,
        deploy_actions=st.deploy_actions,
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
