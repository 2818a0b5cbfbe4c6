"""gunicorn and uvicorn run directly: SIGHUP to the master named by a pid file.

gunicorn writes its own pid file (``--pid``); uvicorn has no such option, so
whoever starts it must record the master's pid (the sample launcher does).
On SIGHUP gunicorn re-reads its configuration, forks a new set of workers and
sends the old ones SIGTERM (a sync worker finishes its request first);
uvicorn (0.51 and later, with ``--workers N``) replaces workers one at a time,
each old one stopped only once its replacement is ready.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path

from changegate.adapters.procman import procfs
from changegate.adapters.procman.model import ProcessStatus, ReloadFailed, ReloadReport
from changegate.adapters.procman.rolling import roll
from changegate.core.policy import ProcessManager


def read_pid(path: Path, kind: str) -> int:
    """The live master pid in ``path``; :class:`ReloadFailed` saying what to do otherwise."""
    try:
        text = path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ReloadFailed(
            f"{kind}: cannot read pid file {path} ({exc.strerror}); "
            "is the service running, and is pidfile right in the policy?"
        ) from exc
    if not text.isdigit():
        raise ReloadFailed(f"{kind}: pid file {path} holds {text[:40]!r}, not a pid")
    pid = int(text)
    if not procfs.alive(pid):
        raise ReloadFailed(
            f"{kind}: master pid {pid} from {path} is not running; start the service first"
        )
    return pid


@dataclass(frozen=True)
class PidfileMaster:
    """A gunicorn or uvicorn master found through its pid file."""

    kind: str
    spec: ProcessManager
    pidfile: Path

    def reload(self) -> ReloadReport:
        """SIGHUP the master, then wait for the new generation and readiness."""
        started = time.monotonic()
        master = read_pid(self.pidfile, self.kind)

        def hup() -> None:
            try:
                os.kill(master, signal.SIGHUP)
            except ProcessLookupError as exc:
                raise ReloadFailed(f"{self.kind}: master pid {master} vanished") from exc
            except PermissionError as exc:
                raise ReloadFailed(
                    f"{self.kind}: not allowed to signal master pid {master}; "
                    "deploy as the user that runs the service"
                ) from exc

        return roll(
            self.kind, self.spec, master, hup, started=started, where=f"pidfile {self.pidfile}"
        )

    def status(self) -> ProcessStatus:
        """The master from the pid file and its workers; not running when it is gone."""
        try:
            master = read_pid(self.pidfile, self.kind)
        except ReloadFailed as exc:
            return ProcessStatus(False, None, (), exc.message)
        workers = tuple(procfs.workers(master))
        return ProcessStatus(True, master, workers, f"{self.kind} master {master}")
