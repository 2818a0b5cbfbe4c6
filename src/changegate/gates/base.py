"""The one small interface every gate satisfies, and the context it runs in.

A gate says whether it applies to a change (and if not, why: that reason is
evidence too), then runs and returns a :class:`GateResult`. Gates never write
to the ledger themselves; the check workflow records every result together
with the verdict, in one transaction.
"""

from __future__ import annotations

import shutil
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from changegate.app import App
from changegate.core.classify import Classification, FileChange
from changegate.core.policy import Policy
from changegate.core.verdict import GateResult
from changegate.gates.fingerprint import cache_key, tool_fingerprint

__all__ = ["Gate", "GateContext", "cache_key", "tool_fingerprint"]

T = TypeVar("T")


@dataclass
class GateContext:
    """Everything a gate may look at, computed once per check."""

    app: App
    policy: Policy  # read from the base revision: the change cannot loosen it
    base: str  # commit ids
    head: str
    merge_base: str
    changes: list[FileChange]
    classification: Classification
    patch_id: str
    authors: frozenset[str]
    tree: str = ""  # HEAD's tree id: what a clean checkout contains
    policy_sha256: str = ""
    every_commit: bool = False  # lint and types on each commit of the range, not only HEAD
    _worktree: Path | None = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _memo: dict[str, Any] = field(default_factory=dict, repr=False)
    _memo_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def shared(self, key: str, compute: Callable[[], T]) -> T:
        """Computed once per check for all gates (e.g. the verified reviews, used by two)."""
        with self._memo_lock:
            if key not in self._memo:
                self._memo[key] = compute()
            value: T = self._memo[key]
            return value

    @property
    def range_spec(self) -> str:
        return f"{self.merge_base}..{self.head}"

    @property
    def changed_paths(self) -> list[str]:
        return [c.path for c in self.changes]

    def worktree(self) -> Path:
        """A clean checkout of HEAD (never the developer's dirty working directory)."""
        with self._lock:
            if self._worktree is None:
                parent = Path(tempfile.mkdtemp(prefix="changegate-check-"))
                path = parent / "tree"
                self.app.git("worktree", "add", "--detach", "--quiet", str(path), self.head)
                self._worktree = path
            return self._worktree

    def commits(self) -> list[str]:
        """The change's non-merge commits, oldest first."""
        out = self.app.git("rev-list", "--reverse", "--no-merges", self.range_spec)
        return out.split()

    def checkout(self, commit: str) -> Path:
        """A separate clean worktree of ``commit`` (the caller removes it with ``drop``)."""
        path = Path(tempfile.mkdtemp(prefix="changegate-commit-")) / "tree"
        self.app.git("worktree", "add", "--detach", "--quiet", str(path), commit)
        return path

    def drop(self, path: Path) -> None:
        self.app.git.raw("worktree", "remove", "--force", str(path))
        shutil.rmtree(path.parent, ignore_errors=True)

    def close(self) -> None:
        if self._worktree is not None:
            self.app.git.raw("worktree", "remove", "--force", str(self._worktree))
            shutil.rmtree(self._worktree.parent, ignore_errors=True)
            self._worktree = None


class Gate(Protocol):
    """What the check workflow needs of a gate."""

    name: str

    def skip_reason(self, ctx: GateContext) -> str | None:
        """None when the gate must run on this change; otherwise why it does not apply."""

    def run(self, ctx: GateContext) -> GateResult:
        """Decide; expected failures are results (``fail``/``error``), never exceptions."""
