"""The deployer actions on the dashboard (today: roll an environment back).

Each action listed by :func:`deploy_actions` becomes a POST route guarded by
the ``deploy`` permission (deployer and owner roles, CSRF-checked); the
Deployments page offers its form only to callers who hold that permission.
Deploying a new tag stays a CLI operation: it needs the operator at the
terminal while migrations and smoke tests run, where a rollback is the quick,
bounded reaction a dashboard is for.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from changegate.app import App


@dataclass(frozen=True)
class DeployAction:
    label: str  # the button text, e.g. "Roll back"
    path: str  # the POST route, e.g. "/deployments/rollback"
    handler: Callable[[Request], Response]  # synchronous; runs in the thread pool
    fields: tuple[str, ...] = ()  # form inputs the handler reads (e.g. "environment", "tag")


def deploy_actions(app: App) -> list[DeployAction]:
    """The deployer actions that exist; imported late (the views import this module's type)."""
    from changegate.web.views import rollback

    return [DeployAction("Roll back", rollback.PATH, rollback.rollback, rollback.FIELDS)]
