"""Posting JSON to an incoming webhook (Slack-compatible), with a timeout and short retries.

An incoming-webhook URL *is* the credential (whoever holds it can post), so it
never appears in a message or an error: only its host does. A server error
(5xx), a timeout or a dropped connection is retried a few times with a short,
growing pause; anything else (a 4xx: wrong or revoked URL) fails at once,
since repeating it cannot help.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from changegate.errors import EnvironmentProblem, InputError

RETRIES = 2  # after the first attempt
BACKOFF_S = 0.5  # then 1.0 s: short enough for a CLI, long enough for a blip


@dataclass(frozen=True)
class Delivery:
    """A post the server accepted."""

    host: str
    status: int
    attempts: int


def host_of(url: str) -> str:
    """The part of a webhook URL that may be shown and recorded."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InputError("the webhook URL must be an http(s) URL (its value is not shown)")
    return parts.hostname


def post_json(
    url: str,
    payload: dict[str, Any],
    *,
    timeout: float = 5.0,
    retries: int = RETRIES,
    backoff: float = BACKOFF_S,
    sleep: Callable[[float], None] = time.sleep,
) -> Delivery:
    """POST ``payload`` as JSON; an :class:`EnvironmentProblem` naming only the host on failure."""
    host = host_of(url)
    body = json.dumps(payload).encode()
    problem = ""
    for attempt in range(1, retries + 2):
        request = urllib.request.Request(
            url,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "User-Agent": "changegate"},
        )
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:
                response.read()
                return Delivery(host, int(response.status), attempt)
        except urllib.error.HTTPError as exc:
            problem = f"HTTP {exc.code}"
            if exc.code < 500:
                raise EnvironmentProblem(
                    f"webhook at {host} refused the message ({problem}); check the URL "
                    "in the environment variable the policy names"
                ) from None
        except TimeoutError:
            problem = f"no answer within {timeout:g}s"
        except urllib.error.URLError as exc:
            reason = exc.reason
            problem = (
                f"no answer within {timeout:g}s"
                if isinstance(reason, TimeoutError)
                else f"cannot connect ({getattr(reason, 'strerror', None) or reason})"
            )
        except OSError as exc:  # a connection reset mid-answer
            problem = f"connection failed ({exc.strerror or type(exc).__name__})"
        if attempt <= retries:
            sleep(backoff * 2 ** (attempt - 1))
    raise EnvironmentProblem(f"webhook at {host}: {problem} after {retries + 1} attempts")
