"""``changegate status``: what runs where, read from the host and the ledger together.

The symlink says which release serves; the ledger says who put it there and
how. When they disagree (a hand-made switch, an interrupted deploy) status says
so rather than trusting either alone.
"""

from __future__ import annotations

from typing import Any

from changegate.app import App
from changegate.core import deploy as dp
from changegate.errors import ChangegateError
from changegate.workflows.deploy_run import target

_RECENT = 50


def status(app: App, env_name: str) -> dict[str, Any]:
    from changegate.adapters.storage.store import EventFilter
    from changegate.workflows.deploy import history

    tgt = target(app, env_name)
    current = tgt.transport.current()
    # The newest records usually hold the live one: no need to fold the whole history.
    recent = app.store().events(
        EventFilter(action=dp.FINISHED, subject=env_name, newest_first=True, limit=_RECENT)
    )
    live = dp.live(dp.fold(reversed(recent)))
    if live is None and len(recent) == _RECENT:
        live = dp.live(history(app, env_name))
    out: dict[str, Any] = {
        "environment": env_name,
        "root": str(tgt.root),
        "current": current,
        "deployment": None,
        "lock": None,
        "process": None,
        "config": None,
        "releases": ", ".join(tgt.transport.releases()) or None,
        "consistent": True,
    }
    if live is not None:
        out["deployment"] = (
            f"{live.id} {live.kind} of {live.tag} ({live.commit[:12]}) by {live.deployer} "
            f"at {live.ended_at[:19].replace('T', ' ')}"
        )
        if live.tag != current:
            out["consistent"] = False
            out["deployment"] += f" — but current points at {current}: not a recorded deploy"
    info = tgt.lock.read() if tgt.root.exists() else None
    if info is not None:
        state = "running" if info.alive() else "STALE (interrupted)"
        out["lock"] = (
            f"{info.kind} {info.deployment} of {info.tag} by {info.actor} since "
            f"{info.started_at}, {state}; done: {', '.join(info.done) or 'nothing'}"
        )
    pm = tgt.env.process_manager
    if pm is not None and tgt.root.exists():
        try:
            from changegate.adapters.procman import adapter_for

            ps = adapter_for(pm, tgt.root).status()
            out["process"] = f"{pm.kind}: {ps.detail}"
        except ChangegateError as exc:
            out["process"] = f"{pm.kind}: {exc}"
    if tgt.env.config is not None:
        from changegate.workflows.config import live_version

        version = live_version(app, env_name)
        out["config"] = f"v{version}" if version is not None else "none applied"
    return out
