"""The overview: is the trail intact, is the policy reviewed, what is open right now."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from changegate.core.ledger import Event
from changegate.web.render import page
from changegate.web.state import WebState, state_of


def policy_status(st: WebState) -> dict[str, Any]:
    """Last review, next due date and whether it is due soon or overdue (policy §6)."""
    from changegate.workflows.policy_review import SOON_DAYS

    pol, error = st.policy()
    last = st.last_policy_review()
    if pol is None:
        return {"error": error, "last_event": last}
    due = pol.next_review_due()
    days = (due - date.today()).days
    state = "overdue" if days < 0 else "due-soon" if days <= SOON_DAYS else "ok"
    return {
        "error": None,
        "owner": pol.roles.policy_owner,
        "last_reviewed": pol.policy.last_reviewed,
        "due": due,
        "days": days,
        "state": state,
        "last_event": last,
    }


def latest_deploys(st: WebState) -> list[tuple[str, Event | None]]:
    """The newest finished deployment for every environment (policy's and recorded ones)."""
    found = {e.subject: e for e in st.latest_deploys()}
    pol, _ = st.policy()
    names = sorted(set(found) | set(pol.environments if pol else {}))
    return [(name, found.get(name)) for name in names]


def open_emergencies(st: WebState) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    out = [
        {**s.as_dict(), "overdue": s.overdue(now)} for s in st.emergencies().values() if s.is_open
    ]
    return sorted(out, key=lambda s: s["due"])


def open_leaks(st: WebState) -> list[dict[str, Any]]:
    return [leak.as_dict() for leak in st.leaks().values() if leak.is_open]


def overview(request: Request) -> Response:
    st = state_of(request)
    return page(
        request,
        "overview.html",
        title="Overview",
        verify=st.verify.status(),
        policy=policy_status(st),
        emergencies=open_emergencies(st),
        leaks=open_leaks(st),
        deploys=latest_deploys(st),
        changes=len(st.newest_verdicts()),
    )
