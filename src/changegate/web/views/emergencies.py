"""Emergencies: every recorded bypass, open ones first, overdue retro reviews highlighted."""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from changegate.web.render import page
from changegate.web.state import state_of


def emergencies(request: Request) -> Response:
    now = datetime.now(UTC)
    st = state_of(request)
    states = st.emergencies().values()
    rows = sorted(
        ({**s.as_dict(), "overdue": s.overdue(now)} for s in states),
        key=lambda s: (not s["open"], s["due"] if s["open"] else ""),
    )
    closed = [r for r in rows if not r["open"]]
    closed.sort(key=lambda s: s["closed_at"] or "", reverse=True)
    return page(
        request,
        "emergencies.html",
        title="Emergencies",
        open_rows=[r for r in rows if r["open"]],
        closed_rows=closed,
    )
