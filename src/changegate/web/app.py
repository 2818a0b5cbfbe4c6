"""The dashboard's Starlette application: routes, each guarded by the permission it needs."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from changegate.app import App
from changegate.errors import ChangegateError
from changegate.web.auth import guarded
from changegate.web.deploy_hook import deploy_actions
from changegate.web.session import Signer, load_key
from changegate.web.state import HERE, WebState, make_templates
from changegate.web.verification import VerifyCache
from changegate.web.views import (
    admin,
    api,
    changes,
    configs,
    deployments,
    emergencies,
    export,
    leaks,
    ledger,
    overview,
    signin,
)


def _routes(state: WebState) -> list[BaseRoute]:
    read = guarded("read")
    routes: list[BaseRoute] = [
        Route("/signin", signin.signin_form, methods=["GET"]),
        Route("/signin", signin.signin, methods=["POST"]),
        Route("/signout", read(signin.signout), methods=["POST"]),
        Route("/", read(overview.overview)),
        Route("/changes", read(changes.changes)),
        Route("/changes/{commit}", read(changes.change)),
        Route("/deployments", read(deployments.deployments)),
        Route("/deployments/{ident}", read(deployments.deployment)),
        Route("/emergencies", read(emergencies.emergencies)),
        Route("/config", read(configs.config_history)),
        Route("/leaks", read(leaks.leaks)),
        Route("/ledger", read(ledger.ledger)),
        Route("/ledger/verify", guarded("verify")(ledger.verify_now), methods=["POST"]),
        Route("/export", guarded("export")(export.export_form)),
        Route("/export/download", guarded("export")(export.export_download)),
        Route("/policy", read(admin.policy_page)),
        Route("/policy/review", guarded("policy_review")(admin.record_review), methods=["POST"]),
        Route("/tokens", guarded("tokens")(admin.tokens)),
        Route("/tokens/issue", guarded("tokens")(admin.issue_token), methods=["POST"]),
        Route("/tokens/{ident}/revoke", guarded("tokens")(admin.revoke_token), methods=["POST"]),
        Route("/api/whoami", read(api.whoami)),
        Route("/api/status", read(api.status)),
        Route("/api/events", read(api.events)),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    routes += [
        Route(a.path, guarded("deploy")(a.handler), methods=["POST"]) for a in state.deploy_actions
    ]
    return routes


async def _expected_failure(request: Request, exc: Exception) -> Response:
    """A workflow's expected failure (e.g. the database went away) as one clear line."""
    message = exc.message if isinstance(exc, ChangegateError) else str(exc)
    return PlainTextResponse(f"changegate: {message}", status_code=503)


def create_app(app: App) -> Starlette:
    """The dashboard over ``app``'s repository and database."""
    signer = Signer(load_key(app.root / ".changegate"))
    state = WebState(
        app=app,
        signer=signer,
        templates=make_templates(),
        verify=VerifyCache(app),
        deploy_actions=deploy_actions(app),
    )
    web = Starlette(routes=_routes(state), exception_handlers={ChangegateError: _expected_failure})
    web.state.cg = state
    return web
