"""Owner actions: dashboard tokens (issue, revoke) and the annual policy review note."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from changegate.errors import ChangegateError
from changegate.web.auth import caller_of
from changegate.web.render import form_value, page
from changegate.web.state import state_of
from changegate.web.views.overview import policy_status
from changegate.workflows import tokens as tk


def _tokens_page(
    request: Request,
    *,
    issued: str | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    return page(
        request,
        "tokens.html",
        status_code,
        title="Tokens",
        tokens=tk.list_tokens(state_of(request).app.store()),
        roles=tk.ROLES,
        issued=issued,
        error=error,
    )


def tokens(request: Request) -> Response:
    return _tokens_page(request)


def issue_token(request: Request) -> Response:
    st = state_of(request)
    by = caller_of(request).identity.user
    try:
        text, _ = tk.issue(st.app, form_value(request, "user"), form_value(request, "role"), by=by)
    except ChangegateError as exc:
        return _tokens_page(request, error=exc.message, status_code=400)
    return _tokens_page(request, issued=text)


def revoke_token(request: Request) -> Response:
    st = state_of(request)
    try:
        tk.revoke(st.app, request.path_params["ident"], by=caller_of(request).identity.user)
    except ChangegateError as exc:
        return _tokens_page(request, error=exc.message, status_code=400)
    return RedirectResponse("/tokens", status_code=303)


def policy_page(request: Request, error: str | None = None, status_code: int = 200) -> Response:
    return page(
        request,
        "policy.html",
        status_code,
        title="Policy review",
        policy=policy_status(state_of(request)),
        error=error,
    )


def record_review(request: Request) -> Response:
    """Record the annual review through the workflow, acting as the signed-in owner."""
    from changegate.workflows.policy_review import review

    st = state_of(request)
    acting = st.acting(caller_of(request).identity.user)
    try:
        review(acting, form_value(request, "note"))
    except ChangegateError as exc:
        return policy_page(request, exc.message, 400)
    return RedirectResponse("/policy", status_code=303)
