"""The ledger: recent events (keyset pages), verification status, and verify-now for auditors."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from changegate.web import reads
from changegate.web.render import page, query_int
from changegate.web.state import state_of

_ACTION = re.compile(r"^[a-z0-9_.]{1,100}\*?$")


def ledger(request: Request) -> Response:
    st = state_of(request)
    action = request.query_params.get("action", "").strip()
    actions = [action] if action and _ACTION.match(action) else []
    result = reads.page(st.app.store(), actions=actions, before=query_int(request, "before"))
    return page(
        request,
        "ledger.html",
        title="Ledger",
        verify=st.verify.status(),
        rows=result.events,
        next_before=result.next_before,
        filters={"action": action} if actions else {},
    )


def verify_now(request: Request) -> Response:
    state_of(request).verify.run_now()
    return RedirectResponse("/ledger", status_code=303)
