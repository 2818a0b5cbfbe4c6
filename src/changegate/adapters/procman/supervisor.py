"""supervisord running a gunicorn (or uvicorn) master as one program.

The realistic set-up: supervisord keeps the master alive across crashes and
boots, and the master does the rolling part. So a reload is
``supervisorctl signal HUP <program>`` (never ``restart``, which stops every
worker at once and drops requests), and the master whose workers we watch is
``supervisorctl pid <program>``. The program should set ``stopasgroup`` and
``killasgroup`` so that stopping it also stops its workers.
"""

from __future__ import annotations

import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from changegate.adapters import proc
from changegate.adapters.procman import procfs
from changegate.adapters.procman.model import ProcessStatus, ReloadFailed, ReloadReport
from changegate.adapters.procman.rolling import roll
from changegate.core.policy import ProcessManager


def supervisorctl() -> str:
    """``supervisorctl`` on PATH, else the one installed beside this Python."""
    found = shutil.which("supervisorctl")
    if found:
        return found
    sibling = Path(sys.executable).parent / "supervisorctl"
    return str(sibling) if sibling.exists() else "supervisorctl"


@dataclass(frozen=True)
class SupervisedMaster:
    """A program of supervisord whose process is a pre-forking master."""

    spec: ProcessManager
    program: str
    config: Path | None
    kind: str = "supervisord"

    def _ctl(self, *args: str, timeout: float) -> proc.Result:
        cmd = [supervisorctl()]
        if self.config is not None:
            cmd += ["-c", str(self.config)]
        return proc.run([*cmd, *args], timeout=max(timeout, 1.0))

    def master_pid(self, timeout: float = 10.0) -> int:
        """The program's pid as supervisord reports it; ReloadFailed when not running."""
        result = self._ctl("pid", self.program, timeout=timeout)
        text = result.out.strip()
        if not result.ok or not text.isdigit() or text == "0":
            raise ReloadFailed(
                f"supervisord: program {self.program!r} is not running "
                f"(supervisorctl pid said {(text or result.err.strip())[:120]!r}); "
                "start it, or check supervisor_config and program in the policy"
            )
        return int(text)

    def reload(self) -> ReloadReport:
        """``supervisorctl signal HUP``, then wait for the new workers and readiness."""
        started = time.monotonic()
        master = self.master_pid(self.spec.timeout_seconds)

        def hup() -> None:
            left = started + self.spec.timeout_seconds - time.monotonic()
            result = self._ctl("signal", "HUP", self.program, timeout=left)
            if not result.ok or "ERROR" in result.out:
                said = (result.out.strip() or result.err.strip())[:200]
                raise ReloadFailed(f"supervisord: signal HUP {self.program} failed: {said}")

        where = f"supervisorctl pid {self.program}"
        return roll(self.kind, self.spec, master, hup, started=started, where=where)

    def status(self) -> ProcessStatus:
        """supervisord's view of the program plus the master's workers."""
        try:
            master = self.master_pid()
        except ReloadFailed as exc:
            return ProcessStatus(False, None, (), exc.message)
        workers = tuple(procfs.workers(master))
        return ProcessStatus(True, master, workers, f"program {self.program}: master {master}")
