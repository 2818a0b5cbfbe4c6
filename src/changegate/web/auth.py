"""Who is asking, and may they: sessions, Bearer tokens, roles and CSRF.

A page asked for without credentials redirects to the sign-in form; an API
call (``/api/...`` or any request that presented a Bearer header) gets 401.
A signed-in user without the permission gets 403 and nothing changes. Form
posts from a session must carry the session's CSRF token; Bearer requests
carry no ambient cookie, so they need none.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response

from changegate.web.session import SESSION_COOKIE
from changegate.web.state import state_of
from changegate.workflows.tokens import Identity, authenticate, lookup

Handler = Callable[[Request], Response]


@dataclass(frozen=True)
class Caller:
    identity: Identity
    via: str  # "session" or "bearer"
    csrf: str  # the token forms must post back ("" for Bearer)


def identify(request: Request) -> Caller | None:
    st = state_of(request)
    store = st.app.store()
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        ident = authenticate(store, value)
        return Caller(ident, "bearer", "") if ident else None
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    data = st.signer.read_session(cookie)
    if data is None:
        return None
    info = lookup(store, str(data.get("tid", "")))
    if info is None:
        return None  # revoked since sign-in
    sid = str(data.get("sid", ""))
    return Caller(Identity(info.user, info.role, info.id), "session", st.signer.csrf(sid))


def _wants_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or "authorization" in request.headers


def _refuse_unauthenticated(request: Request) -> Response:
    if _wants_api(request):
        return JSONResponse(
            {"error": "sign in: send Authorization: Bearer <token>"},
            status_code=401,
            headers={"WWW-Authenticate": 'Bearer realm="changegate"'},
        )
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)


def _forbidden(request: Request, caller: Caller, permission: str) -> Response:
    message = (
        f"{caller.identity.user} signed in as {caller.identity.role} may not do this "
        f"(needs the {permission!r} permission)"
    )
    if _wants_api(request):
        return JSONResponse({"error": message}, status_code=403)
    st = state_of(request)
    return st.templates.TemplateResponse(
        request,
        "error.html",
        {"caller": caller, "title": "Not allowed", "message": message},
        status_code=403,
    )


def guarded(permission: str) -> Callable[[Handler], Callable[[Request], Awaitable[Response]]]:
    """Wrap a (synchronous) handler: authenticate, authorize, check CSRF on POST.

    The handler runs in the thread pool, since every read is a blocking query.
    """

    def wrap(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        @functools.wraps(handler)
        async def endpoint(request: Request) -> Response:
            caller = await run_in_threadpool(identify, request)
            if caller is None:
                return _refuse_unauthenticated(request)
            if not caller.identity.may(permission):
                return _forbidden(request, caller, permission)
            if request.method == "POST":
                form = await request.form()
                request.state.form = form
                presented = str(form.get("csrf", ""))
                if caller.via == "session" and not hmac.compare_digest(presented, caller.csrf):
                    return PlainTextResponse(
                        "the form's CSRF token is missing or wrong; reload the page",
                        status_code=403,
                    )
            request.state.caller = caller
            return await run_in_threadpool(handler, request)

        return endpoint

    return wrap


def caller_of(request: Request) -> Caller:
    c: Caller = request.state.caller
    return c
