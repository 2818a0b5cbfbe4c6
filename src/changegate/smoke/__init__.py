"""Post-deploy smoke tests (§2 "verify core paths: authentication, integration health,
scheduled job liveness"): run the policy's checks against a running release.

The deploy workflow calls :func:`run_smoke` after the reload (``post-deploy``) and,
before the code switch, against the release still running (``pre-deploy``), so a
failure can be told apart from one that was already there.
"""

from __future__ import annotations

from changegate.smoke.report import Attempt, SmokeReport, SmokeResult
from changegate.smoke.runner import run_smoke

__all__ = ["Attempt", "SmokeReport", "SmokeResult", "run_smoke"]
