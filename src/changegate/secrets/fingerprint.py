"""Finding identity without keeping the secret.

A keyed hash (HMAC-SHA256) rather than a plain hash: plain SHA-256 of a
short password is brute-forceable from the ledger, a keyed one is not
without the ledger's key material.
"""

from __future__ import annotations

import hashlib
import hmac


def fingerprint(key: bytes, rule_id: str, secret: str) -> str:
    """Stable identity of (rule, secret): survives line moves and unrelated edits."""
    msg = rule_id.encode("utf-8") + b"\x00" + secret.encode("utf-8", "surrogatepass")
    return hmac.new(key, msg, hashlib.sha256).hexdigest()


def preview(secret: str) -> str:
    """First characters and the length, e.g. ``ghp_…(40)``.

    Four characters for anything of 16 or more; fewer for short secrets
    (passwords), where four characters would give away too much of the value.
    """
    n = len(secret)
    shown = 4 if n >= 16 else n // 4
    return f"{secret[:shown]}…({n})"
