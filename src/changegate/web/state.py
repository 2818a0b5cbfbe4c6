"""What every request handler shares: the App, templates, the signer, the ledger folds."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from changegate.app import App
from changegate.core.emergency import EmergencyState
from changegate.core.leaks import Leak
from changegate.core.ledger import Event
from changegate.core.policy import Policy
from changegate.errors import ChangegateError
from changegate.web.deploy_hook import DeployAction
from changegate.web.folds import LedgerFolds
from changegate.web.reads import Newest
from changegate.web.session import Signer
from changegate.web.verification import VerifyCache

HERE = Path(__file__).parent


@dataclass
class ActingApp(App):
    """The server's App acting as the signed-in user, so workflows record who acted."""

    acting_as: str = ""

    def actor(self) -> str:
        return self.acting_as


@dataclass
class WebState:
    app: App
    signer: Signer
    templates: Jinja2Templates
    verify: VerifyCache
    deploy_actions: list[DeployAction] = field(default_factory=list)
    folds: LedgerFolds = field(default_factory=LedgerFolds)
    _policy: tuple[int, Policy | None, str | None] | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def policy(self) -> tuple[Policy | None, str | None]:
        """The policy in the work tree, re-read when the file changes; or why it cannot be."""
        from changegate.adapters.policy_file import POLICY_FILE, load_policy

        try:
            mtime = (self.app.root / POLICY_FILE).stat().st_mtime_ns
        except OSError:
            return None, f"{POLICY_FILE} is missing"
        with self._lock:
            cached = self._policy
        if cached is not None and cached[0] == mtime:
            return cached[1], cached[2]
        try:
            pol: Policy | None = load_policy(self.app.root)
            err = None
        except ChangegateError as exc:
            pol, err = None, exc.message
        with self._lock:
            self._policy = (mtime, pol, err)
        return pol, err

    def newest_verdicts(self) -> tuple[Newest, ...]:
        """Every change's newest verdict, newest first (see :mod:`changegate.web.folds`)."""
        return self.folds.verdicts.get(self.app.store())

    def latest_deploys(self) -> tuple[Event, ...]:
        """The newest ``deploy.finished`` per environment, by environment name."""
        return self.folds.latest_deploys.get(self.app.store())

    def deploy_outcomes(self) -> dict[str, dict[str, int]]:
        return self.folds.deploy_outcomes.get(self.app.store())

    def emergencies(self) -> dict[str, EmergencyState]:
        return self.folds.emergencies.get(self.app.store())

    def leaks(self) -> dict[str, Leak]:
        return self.folds.leaks.get(self.app.store())

    def last_policy_review(self) -> Event | None:
        return self.folds.last_review.get(self.app.store())

    def acting(self, user: str) -> ActingApp:
        base = {f.name: getattr(self.app, f.name) for f in fields(App)}
        return ActingApp(**base, acting_as=user)


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(HERE / "templates"),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.ChainableUndefined,  # payloads vary by producer: a missing key shows empty
    )
    env.filters["short"] = lambda s, n=12: (s or "")[:n]
    env.filters["when"] = _when
    env.globals["today"] = date.today
    return Jinja2Templates(env=env)


def _when(ts: Any) -> str:
    """Ledger timestamps shown to the second, in UTC, readable."""
    text = str(ts or "")
    return text[:19].replace("T", " ") + (" UTC" if text.endswith("Z") else "") if text else ""


def state_of(request: Request) -> WebState:
    st: WebState = request.app.state.cg
    return st
