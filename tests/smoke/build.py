"""Building smoke checks in tests the way a policy file declares them."""

from __future__ import annotations

from typing import Any

from changegate.core.policy import SmokeCheck


def make(kind: str, **fields: Any) -> SmokeCheck:
    """A validated check with test-sized retries (none unless asked) and backoff."""
    fields.setdefault("name", f"{kind} check")
    fields.setdefault("retries", 0)
    fields.setdefault("backoff_seconds", 0.01)
    fields.setdefault("timeout_seconds", 5)
    return SmokeCheck.model_validate({"kind": kind, **fields})
