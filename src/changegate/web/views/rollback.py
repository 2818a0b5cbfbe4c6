"""The deployer's action: roll an environment back, as the signed-in user.

The route is guarded by the ``deploy`` permission (deployer and owner) and
the session's CSRF token (see :mod:`changegate.web.auth`). The workflow is the
one ``changegate rollback`` runs, with the web user as its actor, so the
ledger records who rolled back and why exactly as it does for the CLI. Its
refusals (a SEV release without the owner's input, a lock held, a tag that
never ran there) are shown on the Deployments page, never as a server error.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from changegate.errors import Blocked, ChangegateError
from changegate.web.auth import caller_of
from changegate.web.render import form_value, page
from changegate.web.state import state_of
from changegate.web.views.deployments import deployments

PATH = "/deployments/rollback"
FIELDS = ("environment", "reason", "to")


def rollback(request: Request) -> Response:
    from changegate.workflows.rollback import rollback as run_rollback

    st = state_of(request)
    env = form_value(request, "environment")
    reason = form_value(request, "reason")
    to = form_value(request, "to") or None
    pol, policy_error = st.policy()
    if pol is None:
        return deployments(request, error=policy_error, status_code=400)
    if env not in pol.environments:
        known = ", ".join(sorted(pol.environments)) or "none"
        message = f"no environment {env!r} in changegate.toml (known: {known})"
        return deployments(request, error=message, status_code=400)
    if not reason:
        message = "a reason is required: say why you roll back (it goes into the ledger)"
        return deployments(request, error=message, error_env=env, status_code=400)
    acting = st.acting(caller_of(request).identity.user)
    try:
        done, steps = run_rollback(acting, env, to=to, reason=reason)
    except ChangegateError as exc:
        code = 409 if isinstance(exc, Blocked) else 400
        return deployments(request, error=exc.message, error_env=env, status_code=code)
    return page(
        request,
        "rollback.html",
        title=f"Rollback of {env}",
        environment=env,
        deployment=done.as_dict(),
        steps=[s.as_dict() for s in steps],
    )
