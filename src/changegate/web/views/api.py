"""A small JSON API for scripts (Bearer token): the same reads as the pages."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from changegate.web import reads
from changegate.web.auth import caller_of
from changegate.web.render import query_int
from changegate.web.state import state_of
from changegate.web.views.overview import open_emergencies, open_leaks, policy_status


def whoami(request: Request) -> Response:
    ident = caller_of(request).identity
    return JSONResponse({"user": ident.user, "role": ident.role, "token": ident.token_id})


def status(request: Request) -> Response:
    st = state_of(request)
    v = st.verify.status()
    pol = policy_status(st)
    return JSONResponse(
        {
            "ledger": {
                "ok": v.report.ok if v.report else None,
                "verified_head": v.head_seq,
                "head": v.current_seq,
                "error": v.error,
            },
            "policy_review": {
                "due": str(pol.get("due", "")),
                "state": pol.get("state"),
                "error": pol.get("error"),
            },
            "open_emergencies": [e["id"] for e in open_emergencies(st)],
            "open_leaks": [x["fingerprint"] for x in open_leaks(st)],
        }
    )


def events(request: Request) -> Response:
    st = state_of(request)
    action = request.query_params.get("action", "")
    result = reads.page(
        st.app.store(), actions=[action] if action else [], before=query_int(request, "before")
    )
    return JSONResponse(
        {"events": [e.as_dict() for e in result.events], "next_before": result.next_before}
    )
