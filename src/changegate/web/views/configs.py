"""Config history: proposals, approvals, applies, reverts and drift (``config.*`` events)."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response

from changegate.web import reads
from changegate.web.render import page, query_int
from changegate.web.state import state_of

_ENV = re.compile(r"^[a-z0-9_-]{1,64}$")


def config_history(request: Request) -> Response:
    st = state_of(request)
    env = request.query_params.get("env", "").strip()
    where = [reads.payload_has("environment", env)] if env and _ENV.match(env) else []
    result = reads.page(
        st.app.store(), actions=["config.*"], where=where, before=query_int(request, "before")
    )
    pol, _ = st.policy()
    return page(
        request,
        "config.html",
        title="Config history",
        rows=[(e, e.data()) for e in result.events],
        next_before=result.next_before,
        filters={"env": env} if where else {},
        environments=sorted(pol.environments) if pol else [],
    )
