"""A reload that is a command: ``reload_command``, or ``systemctl reload <unit>``.

For service managers we do not drive directly (systemd's ``ExecReload``, a
vendor script). We cannot see the workers, so the reload is complete when the
command has succeeded and ``ready_url`` answers; the policy should set one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from changegate.adapters import proc
from changegate.adapters.procman.model import ProcessStatus, ReloadFailed, ReloadReport
from changegate.adapters.procman.ready import probe, wait_ready
from changegate.core.policy import ProcessManager
from changegate.errors import EnvironmentProblem


@dataclass(frozen=True)
class ReloadCommand:
    """Run a fixed command, then wait for readiness."""

    kind: str
    spec: ProcessManager
    command: tuple[str, ...]

    def reload(self) -> ReloadReport:
        """Run the command (bounded by the timeout); a non-zero exit is ReloadFailed."""
        started = time.monotonic()
        deadline = started + self.spec.timeout_seconds
        try:
            result = proc.run(self.command, timeout=self.spec.timeout_seconds)
        except EnvironmentProblem as exc:  # missing command or timeout, told as a reload failure
            raise ReloadFailed(f"{self.kind} reload: {exc.message}") from exc
        if not result.ok:
            said = (result.err.strip() or result.out.strip()).splitlines()
            raise ReloadFailed(
                f"{self.kind} reload: {' '.join(self.command)} exited {result.returncode}"
                + (f": {said[-1][:200]}" if said else "")
            )
        detail = f"{' '.join(self.command)} succeeded"
        if self.spec.ready_url:
            wait_ready(self.spec.ready_url, deadline, what=f"{self.kind} reload")
            detail += f"; {self.spec.ready_url} answers"
        return ReloadReport(self.kind, time.monotonic() - started, (), (), detail)

    def status(self) -> ProcessStatus:
        """Only readiness is visible to us: running means ``ready_url`` answers 2xx."""
        if not self.spec.ready_url:
            return ProcessStatus(False, None, (), "unknown: the policy sets no ready_url")
        outcome = probe(self.spec.ready_url, 2.0)
        if outcome is None:
            return ProcessStatus(True, None, (), f"{self.spec.ready_url} answers")
        return ProcessStatus(False, None, (), f"{self.spec.ready_url}: {outcome}")
