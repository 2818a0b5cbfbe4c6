"""A load generator that counts every failed request, so tests can demand zero.

Each request opens a new connection (``Connection: close``), as an
independent client would: a keep-alive connection pinned to one old worker
would hide what a reload does to new arrivals. Bounded by ``max_duration``
even when nobody calls :meth:`Load.stop`.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit


@dataclass(frozen=True)
class LoadReport:
    """What the load saw. Times are ``time.monotonic()`` at the request's start.

    ``versions_seen`` lists each version once, in the order first seen;
    ``last_seen`` is when each version was last served, so a test can check
    that nothing old answered a request started after the reload returned.
    """

    requests: int
    failures: int
    failure_samples: list[str]
    versions_seen: list[tuple[float, str]]
    last_seen: dict[str, float]
    duration_s: float


class Load:
    """``Load(url).start()`` ... ``.stop() -> LoadReport``."""

    def __init__(
        self,
        url: str,
        *,
        threads: int = 4,
        timeout: float = 10.0,
        max_duration: float = 120.0,
        max_samples: int = 20,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"Load needs an http:// URL, not {url!r}")
        self._host = parts.hostname
        self._port = parts.port or 80
        self._path = parts.path or "/"
        self._threads_n = threads
        self._timeout = timeout
        self._max_duration = max_duration
        self._max_samples = max_samples
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._requests = 0
        self._failures = 0
        self._samples: list[str] = []
        self._first: dict[str, float] = {}
        self._last: dict[str, float] = {}
        self._began = 0.0

    @property
    def requests(self) -> int:
        """Requests completed so far (failed ones included)."""
        with self._lock:
            return self._requests

    def start(self) -> Load:
        """Start the threads; returns self for ``Load(url).start()``."""
        self._began = time.monotonic()
        for i in range(self._threads_n):
            t = threading.Thread(target=self._run, name=f"load-{i}", daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def wait_for(self, count: int, timeout: float = 10.0) -> None:
        """Block until ``count`` more requests have completed (poll with a deadline)."""
        target = self.requests + count
        deadline = time.monotonic() + timeout
        while self.requests < target:
            if time.monotonic() > deadline:
                raise TimeoutError(f"load made {self.requests}/{target} requests in {timeout}s")
            time.sleep(0.01)

    def stop(self) -> LoadReport:
        """Stop, join the threads and report."""
        self._stop.set()
        for t in self._threads:
            t.join(self._timeout + 5)
        with self._lock:
            seen = sorted((t, v) for v, t in self._first.items())
            return LoadReport(
                requests=self._requests,
                failures=self._failures,
                failure_samples=list(self._samples),
                versions_seen=seen,
                last_seen=dict(self._last),
                duration_s=time.monotonic() - self._began,
            )

    def _run(self) -> None:
        deadline = self._began + self._max_duration
        while not self._stop.is_set() and time.monotonic() < deadline:
            began = time.monotonic()
            version, failure = self._one()
            with self._lock:
                self._requests += 1
                if failure is not None:
                    self._failures += 1
                    if len(self._samples) < self._max_samples:
                        self._samples.append(f"+{began - self._began:.3f}s {failure}")
                elif version is not None:
                    self._first.setdefault(version, began)
                    self._last[version] = max(self._last.get(version, began), began)

    def _one(self) -> tuple[str | None, str | None]:
        """(version served, None) or (None, what went wrong)."""
        conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        try:
            conn.request("GET", self._path, headers={"Connection": "close"})
            response = conn.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        finally:
            conn.close()
        if response.status != 200:
            return None, f"HTTP {response.status}: {body[:120]!r}"
        try:
            data = json.loads(body)
        except ValueError:
            return None, f"not JSON: {body[:120]!r}"
        version = data.get("version") if isinstance(data, dict) else None
        return (str(version) if version is not None else None), None
