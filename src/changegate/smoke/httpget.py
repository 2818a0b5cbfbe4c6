"""The smoke tests' HTTP client: one request, no redirects, a bounded body.

Standard library only (``http.client``), so the engine adds no dependency.
Redirects are not followed on purpose: a smoke test checks what the release
answers, and a login redirect on a protected path must not look like a 200.
"""

from __future__ import annotations

import http.client
import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

MAX_BODY = 1 << 20  # a health document is small; never hold an accidental download


class Unreachable(Exception):
    """No HTTP answer at all: refused, reset, timed out, bad TLS, not HTTP."""


@dataclass(frozen=True)
class Response:
    status: int
    reason: str
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        """The body as JSON; ``ValueError`` when it is not."""
        return json.loads(self.body)


def fetch(url: str, *, method: str = "GET", headers: Mapping[str, str], timeout: float) -> Response:
    """Send one request and read the answer, or raise :class:`Unreachable`."""
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    conn: http.client.HTTPConnection
    try:
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(
                parts.netloc, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            conn = http.client.HTTPConnection(parts.netloc, timeout=timeout)
        try:
            conn.request(method, target, headers={"User-Agent": "changegate-smoke", **headers})
            resp = conn.getresponse()
            body = resp.read(MAX_BODY)
            return Response(
                resp.status, resp.reason, {k.lower(): v for k, v in resp.getheaders()}, body
            )
        finally:
            conn.close()
    except (OSError, http.client.HTTPException, ValueError) as exc:
        reason = str(exc) or type(exc).__name__
        raise Unreachable(f"{method} {url}: no answer ({reason})") from exc
