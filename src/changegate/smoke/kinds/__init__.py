"""One module per kind of smoke check, each a ``probe(check, ctx) -> Outcome``.

The table below is the one place a kind is wired to its probe (the runner
looks it up); a new kind is a new module, a new row and a new ``kind`` value
in the policy model.
"""

from __future__ import annotations

from collections.abc import Callable

from changegate.core.policy import SmokeCheck
from changegate.smoke.kinds import auth, command, health, heartbeat, http
from changegate.smoke.probe import Context, Outcome

Probe = Callable[[SmokeCheck, Context], Outcome]

PROBES: dict[str, Probe] = {
    "http": http.probe,
    "auth": auth.probe,
    "health": health.probe,
    "heartbeat": heartbeat.probe,
    "command": command.probe,
}
