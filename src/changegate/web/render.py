"""One way to answer with a page: the template, the caller, and what the nav needs."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from changegate.web.auth import caller_of
from changegate.web.state import state_of

NAV = (
    ("/", "Overview"),
    ("/changes", "Changes"),
    ("/deployments", "Deployments"),
    ("/emergencies", "Emergencies"),
    ("/config", "Config"),
    ("/leaks", "Leaks"),
    ("/ledger", "Ledger"),
    ("/export", "Export"),
)


def page(request: Request, template: str, status_code: int = 200, **context: Any) -> Response:
    caller = caller_of(request)
    ctx = {
        "caller": caller,
        "csrf": caller.csrf,
        "nav": NAV,
        "path": request.url.path,
        **context,
    }
    return state_of(request).templates.TemplateResponse(
        request, template, ctx, status_code=status_code
    )


def form_value(request: Request, name: str) -> str:
    form = getattr(request.state, "form", None)
    return str(form.get(name, "")).strip() if form is not None else ""


def query_int(request: Request, name: str) -> int | None:
    raw = request.query_params.get(name, "")
    return int(raw) if raw.isdigit() else None
