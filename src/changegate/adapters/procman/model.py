"""What every process-manager adapter promises: the protocol and its plain results.

Kept apart from the implementations so that the deploy workflow, a future
fleet adapter (SSH to several hosts in batches, or ``kubectl rollout restart``
followed by ``kubectl rollout status``) and the tests all depend on these few
names only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from changegate.errors import EnvironmentProblem


class ReloadFailed(EnvironmentProblem):
    """The rolling reload did not finish: dead master, failed command, or timeout.

    An :class:`EnvironmentProblem` (exit 2): the running service, not the
    change, is what needs attention; the message says what to look at.
    """


@dataclass(frozen=True)
class ReloadReport:
    """What a finished reload did, for the ledger and the deploy output."""

    kind: str
    duration_s: float
    old_pids: tuple[int, ...]
    new_pids: tuple[int, ...]
    detail: str


@dataclass(frozen=True)
class ProcessStatus:
    """A snapshot of the managed service (``master_pid`` is None when unknown)."""

    running: bool
    master_pid: int | None
    worker_pids: tuple[int, ...]
    detail: str


class ProcessManagerAdapter(Protocol):
    """A rolling reload of one environment's service.

    ``reload`` returns only when no process of the previous generation is left
    and the service answers (``ready_url``), or raises :class:`ReloadFailed`
    within the policy's ``timeout_seconds``. Implementations must never sleep
    blindly: they poll a condition with a deadline.
    """

    @property
    def kind(self) -> str:
        """The policy's ``kind`` (``gunicorn``, ``supervisord``, ...), for reports."""
        ...

    def reload(self) -> ReloadReport: ...

    def status(self) -> ProcessStatus: ...
