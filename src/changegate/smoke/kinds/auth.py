"""``kind = "auth"``: a protected endpoint refuses strangers and admits the smoke user.

Both halves matter: an endpoint that admits the smoke credential but also
answers 200 without one has lost its protection in this release, and one that
answers 404 is not there at all — neither may pass as "authentication works".
"""

from __future__ import annotations

from changegate.core.policy import SmokeCheck
from changegate.smoke.httpget import Unreachable
from changegate.smoke.kinds.http import judge, request
from changegate.smoke.probe import Context, Outcome


def probe(check: SmokeCheck, ctx: Context) -> Outcome:
    """Without credentials: refused (401/403); with the smoke credential: as expected."""
    where = f"{check.method} {check.url}"
    refused = " or ".join(str(s) for s in check.refuse_status)
    try:
        anonymous = request(check, ctx, with_credential=False)
    except Unreachable as exc:
        return Outcome(False, str(exc))
    got = anonymous.status
    if got not in check.refuse_status:
        if 200 <= got < 300:
            why = "the endpoint is not protected"
        elif got == 404:
            why = "the endpoint is not there"
        elif 300 <= got < 400:
            why = f"redirected to {anonymous.headers.get('location', '?')}"
        else:
            why = "not a refusal"
        return Outcome(False, f"{where} without credentials: expected {refused}, got {got} ({why})")
    try:
        admitted = request(check, ctx, with_credential=True)
    except Unreachable as exc:
        return Outcome(False, str(exc))
    outcome = judge(check, admitted, prefix=f"with {check.credential_env}: ")
    if not outcome.ok:
        return outcome
    return Outcome(
        True,
        f"{where}: refused without credentials ({got}), "
        f"HTTP {admitted.status} with {check.credential_env}",
    )
