"""The one place that wires the repository, the policy, storage and identity together.

Commands get an :class:`App` and ask it for what they need; everything is
opened lazily, so a command that needs no database never opens one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from changegate.adapters.git import Git
from changegate.errors import EnvironmentProblem

if TYPE_CHECKING:  # loaded on first use: `changegate --help` and the hook never pay for them
    from changegate.adapters.storage.store import Store
    from changegate.core.policy import Policy


@dataclass
class App:
    root: Path
    git: Git
    db_url: str | None = None
    _policy: Policy | None = field(default=None, repr=False)
    _store: Store | None = field(default=None, repr=False)

    @classmethod
    def at(cls, start: str | Path = ".", db_url: str | None = None) -> App:
        git = Git.discover(start)
        return cls(root=git.root, git=git, db_url=db_url or os.environ.get("CHANGEGATE_DB"))

    def policy(self) -> Policy:
        """The work tree's policy (commands judging a change use ``policy_at(base)``)."""
        if self._policy is None:
            from changegate.adapters.policy_file import load_policy

            self._policy = load_policy(self.root)
        return self._policy

    def policy_at(self, rev: str) -> Policy:
        return self.policy_source_at(rev)[0]

    def policy_source_at(self, rev: str, label: str | None = None) -> tuple[Policy, bytes]:
        """The policy committed at ``rev`` and its exact bytes (whose hash is evidence)."""
        from changegate.adapters.policy_file import read_policy_at

        return read_policy_at(self.git, rev, label)

    def store(self, *, create: bool = False) -> Store:
        if self._store is None:
            from changegate.adapters.storage.store import open_store

            self._store = open_store(self.db_url, self.root, create=create)
        return self._store

    def actor(self) -> str:
        """Who is acting: ``CHANGEGATE_ACTOR``, else the git identity (user.email)."""
        explicit = os.environ.get("CHANGEGATE_ACTOR", "").strip()
        if explicit:
            return explicit
        email = self.git.config("user.email")
        if not email:
            raise EnvironmentProblem(
                "no identity: set `git config user.email you@example.com` or CHANGEGATE_ACTOR"
            )
        return email

    def path(self, configured: str) -> Path:
        """A path from the policy, relative to the repository root unless absolute."""
        p = Path(configured).expanduser()
        return p if p.is_absolute() else self.root / p

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
