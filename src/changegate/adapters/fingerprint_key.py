"""The key that secret fingerprints are made with, derived from the ledger key.

Kept apart from :mod:`changegate.adapters.keys` so that the pre-commit hook
reads it without importing ``cryptography``.
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from changegate.errors import EnvironmentProblem

# DER prefix of a PKCS#8 Ed25519 private key; the 32-byte seed follows it.
_PKCS8_ED25519 = bytes.fromhex("302e020100300506032b657004220420")


def fingerprint_key(path: Path) -> bytes:
    """The key for secret fingerprints, derived from the ledger key.

    Read without importing ``cryptography`` (the pre-commit hook starts in
    milliseconds): the PEM body is the fixed PKCS#8 prefix and the seed. A
    keyed fingerprint cannot be brute-forced back to a short secret by
    someone who only sees the ledger.
    """
    try:
        lines = path.read_text().strip().splitlines()
    except FileNotFoundError as exc:
        raise EnvironmentProblem(
            f"{path}: ledger key not found; run `changegate init` (secret fingerprints are "
            "keyed with it)"
        ) from exc
    try:
        der = base64.b64decode("".join(lines[1:-1]), validate=True)
    except ValueError as exc:
        raise EnvironmentProblem(f"{path}: not a PEM private key") from exc
    if len(der) != 48 or not der.startswith(_PKCS8_ED25519):
        raise EnvironmentProblem(f"{path}: the ledger key must be an Ed25519 PKCS#8 PEM key")
    return hashlib.sha256(b"changegate secret fingerprint v1\n" + der[16:]).digest()
