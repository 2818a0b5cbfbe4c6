"""Which policy was in force over the period: every version of ``changegate.toml``.

The file's history on the protected branch gives each version's commit, the
time it took effect, and the SHA-256 of its exact bytes (the hash each
verdict records as ``policy_sha256``, so the two can be matched).
"""

from __future__ import annotations

import contextlib
import hashlib
from datetime import datetime
from typing import Any

from changegate.adapters.policy_file import POLICY_FILE
from changegate.app import App
from changegate.errors import ChangegateError
from changegate.evidence.period import Period


def _branch(app: App) -> str:
    from changegate.workflows.change import default_base

    with contextlib.suppress(ChangegateError):
        return default_base(app.git)
    return "HEAD"


def versions_in_force(app: App, period: Period) -> list[dict[str, Any]]:
    """The version in force when the period began, then each one committed during it."""
    branch = _branch(app)
    res = app.git.raw("log", "--format=%H %cI", branch, "--", POLICY_FILE)
    history: list[tuple[str, datetime]] = []  # oldest first
    for line in reversed(res.out.splitlines() if res.ok else []):
        commit, stamp = line.split(" ", 1)
        history.append((commit, datetime.fromisoformat(stamp)))
    out: list[dict[str, Any]] = []
    for i, (sha, when) in enumerate(history):
        ends = history[i + 1][1] if i + 1 < len(history) else None
        if when >= period.end or (ends is not None and ends <= period.start):
            continue
        content = app.git.raw("show", f"{sha}:{POLICY_FILE}")
        out.append(
            {
                "commit": sha,
                "branch": branch,
                "committed_at": when.isoformat(),
                "in_force_from": max(when, period.start).isoformat(),
                "in_force_until": min(ends, period.end).isoformat() if ends else None,
                "sha256": hashlib.sha256(content.stdout).hexdigest() if content.ok else None,
                "deleted": not content.ok,
            }
        )
    return out
