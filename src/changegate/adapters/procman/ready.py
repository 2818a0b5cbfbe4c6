"""Readiness: poll a URL until it answers 2xx, within a deadline.

Plain ``http.client`` rather than urllib so that an ``http_proxy`` in the
deployer's environment never routes a loopback probe through a proxy.
"""

from __future__ import annotations

import http.client
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from changegate.adapters.procman.model import ReloadFailed

POLL_S = 0.05


def probe(url: str, timeout: float) -> str | None:
    """None when ``url`` answers 2xx; otherwise what it did instead (for messages)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"not an http(s) URL: {url}"
    conn_class = (
        http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
    )
    conn = conn_class(parts.hostname, parts.port, timeout=max(timeout, 0.05))
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        response.read()
    except (OSError, http.client.HTTPException) as exc:
        return f"{type(exc).__name__}: {exc}"
    finally:
        conn.close()
    if 200 <= response.status < 300:
        return None
    return f"HTTP {response.status}"


def wait_ready(
    url: str,
    deadline: float,
    *,
    what: str,
    gone: Callable[[], str | None] | None = None,
) -> None:
    """Return once ``url`` answers 2xx; raise :class:`ReloadFailed` at ``deadline``.

    ``gone`` is asked on every attempt; a message from it means there is no
    point in waiting (the master died) and is raised at once.
    """
    last = "no attempt made"
    while True:
        if gone is not None and (message := gone()) is not None:
            raise ReloadFailed(message)
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ReloadFailed(
                f"{what}: {url} did not answer 2xx before the timeout (last: {last}); "
                "check the service's log or raise timeout_seconds"
            )
        outcome = probe(url, min(remaining, 2.0))
        if outcome is None:
            return
        last = outcome
        time.sleep(min(POLL_S, max(deadline - time.monotonic(), 0)))
