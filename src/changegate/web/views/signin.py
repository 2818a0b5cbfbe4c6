"""Sign in with a token (then a signed session cookie), and sign out."""

from __future__ import annotations

import hmac
import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from changegate.web.session import PRESESSION_COOKIE, SESSION_COOKIE, SESSION_SECONDS
from changegate.web.state import state_of
from changegate.workflows.tokens import authenticate


def _safe_next(target: str) -> str:
    """Only local paths: a sign-in link must not bounce the user to another site."""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"


def _form(request: Request, error: str | None, status_code: int) -> Response:
    st = state_of(request)
    pre = request.cookies.get(PRESESSION_COOKIE) or secrets.token_urlsafe(16)
    response = st.templates.TemplateResponse(
        request,
        "signin.html",
        {
            "title": "Sign in",
            "csrf": st.signer.csrf("signin:" + pre),
            "next": _safe_next(request.query_params.get("next", "/")),
            "error": error,
            "caller": None,
        },
        status_code=status_code,
    )
    response.set_cookie(
        PRESESSION_COOKIE, pre, httponly=True, samesite="strict", secure=_https(request)
    )
    return response


def _https(request: Request) -> bool:
    return request.url.scheme == "https"


async def signin_form(request: Request) -> Response:
    return _form(request, None, 200)


async def signin(request: Request) -> Response:
    st = state_of(request)
    form = await request.form()
    pre = request.cookies.get(PRESESSION_COOKIE, "")
    presented = str(form.get("csrf", ""))
    if not pre or not hmac.compare_digest(presented, st.signer.csrf("signin:" + pre)):
        return _form(request, "the form expired; sign in again", 403)
    token = str(form.get("token", ""))
    ident = await run_in_threadpool(authenticate, st.app.store(), token)
    if ident is None:
        return _form(request, "unknown or revoked token", 401)
    response = RedirectResponse(_safe_next(str(form.get("next", "/"))), status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        st.signer.session_cookie(ident.token_id),
        max_age=SESSION_SECONDS,
        httponly=True,
        samesite="strict",
        secure=_https(request),
    )
    response.delete_cookie(PRESESSION_COOKIE)
    return response


def signout(request: Request) -> Response:
    response = RedirectResponse("/signin", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response
