"""Process-manager adapters: the rolling reload of a deployed service.

One small protocol (:class:`ProcessManagerAdapter`: ``reload()`` and
``status()``) and one factory, :func:`adapter_for`, that turns the policy's
``[environments.X.process_manager]`` into an adapter. The kinds:

- ``gunicorn`` / ``uvicorn``: SIGHUP to the master from ``pidfile``;
- ``supervisord``: ``supervisorctl signal HUP <program>`` for a program that
  is itself a gunicorn or uvicorn master;
- ``command`` / ``systemd``: run ``reload_command`` (systemd defaults to
  ``systemctl reload <program>``), then wait for ``ready_url``.

A fleet adapter fits the same protocol: SSH to the hosts in batches and run
one of the above on each, or ``kubectl rollout restart`` followed by
``kubectl rollout status`` with the timeout; ``reload()`` returns when the
whole fleet runs the new generation and answers, or raises ReloadFailed.
"""

from __future__ import annotations

from pathlib import Path

from changegate.adapters.procman.model import (
    ProcessManagerAdapter,
    ProcessStatus,
    ReloadFailed,
    ReloadReport,
)
from changegate.core.policy import ProcessManager

__all__ = [
    "ProcessManagerAdapter",
    "ProcessStatus",
    "ReloadFailed",
    "ReloadReport",
    "adapter_for",
]


def _under(deploy_root: Path, path: str) -> Path:
    """Relative paths in the policy are relative to the deploy root."""
    candidate = Path(path)
    return candidate if candidate.is_absolute() else deploy_root / candidate


def adapter_for(spec: ProcessManager, deploy_root: Path) -> ProcessManagerAdapter:
    """The adapter for ``spec``; the policy model has already checked required fields."""
    if spec.kind in ("gunicorn", "uvicorn"):
        from changegate.adapters.procman.pidfile import PidfileMaster

        assert spec.pidfile is not None  # required by the policy model
        return PidfileMaster(spec.kind, spec, _under(deploy_root, spec.pidfile))
    if spec.kind == "supervisord":
        from changegate.adapters.procman.supervisor import SupervisedMaster

        assert spec.program is not None
        config = _under(deploy_root, spec.supervisor_config) if spec.supervisor_config else None
        return SupervisedMaster(spec, spec.program, config)
    from changegate.adapters.procman.command import ReloadCommand

    if spec.reload_command:
        return ReloadCommand(spec.kind, spec, tuple(spec.reload_command))
    assert spec.kind == "systemd" and spec.program is not None
    return ReloadCommand(spec.kind, spec, ("systemctl", "reload", spec.program))
