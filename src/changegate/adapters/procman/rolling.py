"""The rolling reload shared by every signalled master (gunicorn, uvicorn, supervisord).

The master is told to replace its workers (SIGHUP); we then watch /proc until
every worker of the previous generation has exited and as many new ones run,
and finally poll the readiness URL. The master's own death during the wait is
reported at once instead of waiting for the timeout.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from changegate.adapters.procman import procfs
from changegate.adapters.procman.model import ReloadFailed, ReloadReport
from changegate.adapters.procman.ready import wait_ready
from changegate.core.policy import ProcessManager

POLL_S = 0.05


def roll(
    kind: str,
    spec: ProcessManager,
    master: int,
    signal_master: Callable[[], None],
    *,
    started: float,
    where: str,
) -> ReloadReport:
    """Signal ``master`` and wait for a complete new generation of workers.

    ``started`` is the monotonic time the caller began (the timeout covers
    finding the master too); ``where`` names how the master was found, for
    messages (``pidfile shared/gunicorn.pid``, ``supervisorctl pid web``).
    """
    deadline = started + spec.timeout_seconds
    old = frozenset(procfs.workers(master))
    if not old:
        # uvicorn without --workers (or with 1) serves from the master itself, and
        # SIGHUP would stop it: refuse rather than take the service down.
        raise ReloadFailed(
            f"{kind} reload: master pid {master} ({where}) has no worker processes, so it "
            "cannot roll them; run it with 2 or more workers (uvicorn: --workers 2)"
        )
    expected = spec.workers or len(old)
    signal_master()
    new: list[int] = []
    remaining_old: list[int] = sorted(old)

    def gone() -> str | None:
        if procfs.alive(master):
            return None
        return (
            f"{kind} reload: master pid {master} ({where}) exited during the reload; "
            "read its log (a new worker that cannot import the app stops gunicorn)"
        )

    while time.monotonic() < deadline:
        if (message := gone()) is not None:
            raise ReloadFailed(message)
        current = procfs.workers(master)
        remaining_old = sorted(old.intersection(current))
        new = [p for p in current if p not in old]
        if not remaining_old and len(new) >= expected:
            break
        time.sleep(POLL_S)
    else:
        raise ReloadFailed(
            f"{kind} reload: after {spec.timeout_seconds:g}s old workers {remaining_old} "
            f"still run and {len(new)}/{expected} new ones are up (master {master}, {where}); "
            "check the service's log or raise timeout_seconds"
        )
    if spec.ready_url:
        wait_ready(spec.ready_url, deadline, what=f"{kind} reload", gone=gone)
    detail = f"master {master}: {len(old)} old worker(s) replaced by {len(new)}"
    if spec.ready_url:
        detail += f"; {spec.ready_url} answers"
    return ReloadReport(
        kind=kind,
        duration_s=time.monotonic() - started,
        old_pids=tuple(sorted(old)),
        new_pids=tuple(new),
        detail=detail,
    )
