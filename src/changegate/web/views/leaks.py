"""Leaked secrets: fingerprints, rule, location and the redacted preview, never the secret."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from changegate.web.render import page
from changegate.web.state import state_of


def leaks(request: Request) -> Response:
    st = state_of(request)
    found = [leak.as_dict() for leak in st.leaks().values()]
    open_rows = sorted(
        (x for x in found if x["state"] not in ("closed", "allowed")), key=lambda x: x["opened_at"]
    )
    done = sorted(
        (x for x in found if x["state"] in ("closed", "allowed")),
        key=lambda x: x["opened_at"],
        reverse=True,
    )
    return page(request, "leaks.html", title="Leaks", open_rows=open_rows, closed_rows=done)
