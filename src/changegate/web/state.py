"""What every request handler shares: the App, templates, the signer, cached reads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import jinja2
from starlette.requests import Request
from starlette.templating import Jinja2Templates

from changegate.app import App
from changegate.core.policy import Policy
from changegate.errors import ChangegateError
from changegate.web.deploy_hook import DeployAction
from changegate.web.session import Signer
from changegate.web.verification import VerifyCache

HERE = Path(__file__).parent
T = TypeVar("T")


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
    cache: HeadCache = field(default_factory=lambda: HeadCache())  # noqa: PLW0108 (defined below)
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

    def cached(self, name: str, compute: Callable[[], T]) -> T:
        """``compute()`` once per ledger head (see :class:`HeadCache`)."""
        return self.cache.get(self.app.store().head(), name, compute)

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


class HeadCache:
    """Results of whole-ledger reads (folds, counts), kept until the ledger head moves.

    The ledger is append-only, so anything computed from it is valid exactly as
    long as the head is the same; checking the head is one index look-up.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._head: tuple[int, str] | None = None
        self._values: dict[str, Any] = {}

    def get(self, head: tuple[int, str] | None, name: str, compute: Callable[[], T]) -> T:
        with self._lock:
            if head != self._head:
                self._head, self._values = head, {}
            if name in self._values:
                value: T = self._values[name]
                return value
        value = compute()
        with self._lock:
            if head == self._head:
                self._values[name] = value
        return value
