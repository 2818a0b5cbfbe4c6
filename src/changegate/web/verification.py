"""Ledger verification for the dashboard, cached by ledger head.

``audit verify`` walks the whole chain; doing that per request would make
every page as slow as the ledger is long. The result is kept for the head it
was computed at. When the head moves, a small ledger is re-verified inline
(milliseconds); a large one in a background thread, while pages show the
previous result labelled with the head it covers (at most once a minute).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

from changegate.app import App
from changegate.core.ledger import VerifyReport
from changegate.errors import ChangegateError

INLINE_MAX_EVENTS = 5_000
# A large ledger is re-verified in the background at most this often: a walk
# takes seconds of CPU that the pages would otherwise compete with after every append.
BACKGROUND_EVERY_S = 60.0


@dataclass(frozen=True)
class VerifyStatus:
    report: VerifyReport | None
    head_seq: int  # the head the report covers
    current_seq: int  # the head now
    verified_at: float | None
    running: bool
    error: str | None = None

    @property
    def stale(self) -> bool:
        return self.report is None or self.head_seq != self.current_seq


class VerifyCache:
    def __init__(self, app: App) -> None:
        self._app = app
        self._lock = threading.Lock()
        self._key: tuple[int, str] | None = None
        self._report: VerifyReport | None = None
        self._at: float | None = None
        self._error: str | None = None
        self._thread: threading.Thread | None = None

    def _run(self, head: tuple[int, str] | None) -> None:
        from changegate.workflows.audit import verify

        try:
            report, error = verify(self._app), None
        except ChangegateError as exc:
            report, error = None, exc.message
        with self._lock:
            self._key, self._report, self._error = head, report, error
            self._at = time.time()
            self._thread = None

    def status(self) -> VerifyStatus:
        """The cached result; starts (or runs) a re-verification when the head moved."""
        head = self._app.store().head()
        current = head[0] if head else 0
        with self._lock:
            fresh = self._key == head and (self._report is not None or self._error is not None)
            rested = self._at is None or time.time() - self._at >= BACKGROUND_EVERY_S
            start_background = (
                not fresh and self._thread is None and current > INLINE_MAX_EVENTS and rested
            )
            if start_background:
                self._thread = threading.Thread(
                    target=self._run, args=(head,), name="changegate-verify", daemon=True
                )
                self._thread.start()
        if not fresh and current <= INLINE_MAX_EVENTS:
            self._run(head)
        with self._lock:
            return VerifyStatus(
                self._report,
                self._key[0] if self._key else 0,
                current,
                self._at,
                self._thread is not None,
                self._error,
            )

    def run_now(self) -> VerifyStatus:
        """Verify at once, whatever the size (the auditor's explicit request)."""
        self._run(self._app.store().head())
        return self.status()

    def wait(self, timeout: float) -> bool:
        """Wait for a background run (benchmarks and tests); True when none is running."""
        with self._lock:
            thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True
