"""Signed session cookies and CSRF tokens for the dashboard.

The cookie holds only the token id and a random session id, signed with
HMAC-SHA256 under a key kept in ``.changegate/web-session.key`` (created 0600
on first use). Every request re-reads the token row, so revoking a token ends
its sessions at once. CSRF tokens are derived from the session id (or, before
sign-in, from a pre-session cookie): a forged cross-site form cannot know them.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

SESSION_COOKIE = "cg_session"
PRESESSION_COOKIE = "cg_pre"
KEY_FILE = "web-session.key"
SESSION_SECONDS = 12 * 3600


def load_key(state_dir: Path) -> bytes:
    """The session signing key, created 0600 on first use (never in the repository)."""
    path = state_dir / KEY_FILE
    state_dir.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return bytes.fromhex(path.read_text().strip())
    key = secrets.token_bytes(32)
    with os.fdopen(fd, "w") as fh:
        fh.write(key.hex() + "\n")
    return key


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Signer:
    """Signs and checks cookie values and derives CSRF tokens."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, purpose: str, data: bytes) -> bytes:
        return hmac.new(self._key, purpose.encode() + b"\0" + data, hashlib.sha256).digest()

    def session_cookie(self, token_id: str) -> str:
        body = json.dumps(
            {
                "tid": token_id,
                "sid": secrets.token_urlsafe(16),
                "exp": int(time.time()) + SESSION_SECONDS,
            },
            separators=(",", ":"),
        ).encode()
        return _b64(body) + "." + _b64(self._mac("session", body))

    def read_session(self, value: str) -> dict[str, Any] | None:
        """The session's fields, or None when the cookie is forged, malformed or expired."""
        try:
            body_text, mac_text = value.split(".", 1)
            body = _unb64(body_text)
            if not hmac.compare_digest(_unb64(mac_text), self._mac("session", body)):
                return None
            data: dict[str, Any] = json.loads(body)
        except (ValueError, json.JSONDecodeError):
            return None
        if int(data.get("exp", 0)) < time.time():
            return None
        return data

    def csrf(self, binding: str) -> str:
        """The CSRF token for a session id (or a pre-session id on the sign-in form)."""
        return _b64(self._mac("csrf", binding.encode()))

    def csrf_ok(self, binding: str, presented: str) -> bool:
        return bool(binding) and hmac.compare_digest(self.csrf(binding), presented or "")
