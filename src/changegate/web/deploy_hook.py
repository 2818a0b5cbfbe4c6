"""HOOK for deployer actions on the dashboard (deploy a tag, roll back an environment).

The deploy workflow is being built alongside the dashboard. When it lands,
its web entry points are listed by :func:`deploy_actions`: each becomes a
POST route guarded by the ``deploy`` permission (deployer and owner roles,
CSRF-checked) and a button on the Deployments page. Until then the list is
empty and the dashboard offers no deploy button at all -- a button that only
pretended to deploy would be worse than none.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from changegate.app import App


@dataclass(frozen=True)
class DeployAction:
    label: str  # the button text, e.g. "Roll back prod"
    path: str  # the POST route, e.g. "/deployments/rollback"
    handler: Callable[[Request], Response]  # synchronous; runs in the thread pool
    fields: tuple[str, ...] = ()  # form inputs the handler reads (e.g. "environment", "tag")


def deploy_actions(app: App) -> list[DeployAction]:
    """The deployer actions that exist (none until the deploy workflow provides them)."""
    return []
