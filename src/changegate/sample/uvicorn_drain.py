"""uvicorn's h11 protocol, except that a stopping worker drains fresh connections.

Measured with uvicorn 0.54 (``--workers 2``, SIGHUP rolling restart, four
clients opening a new connection per request): stock uvicorn failed 11 of
about 45,000 requests over 20 reloads with "connection reset by peer". A
stopping worker closes every connection that has no request in progress,
including one it accepted a moment earlier whose request is already in the
socket buffer, so the client gets a reset instead of a response (reported
upstream as Kludex/uvicorn#2757). A load balancer in front would retry some
of these; a reload that the policy calls "rolling" should not need it.

This subclass gives such a connection up to ``timeout_keep_alive`` seconds
to deliver its request, serves it without keep-alive, and closes only the
connections that stay silent. The sample launcher selects it with
``--http changegate.sample.uvicorn_drain:DrainingH11Protocol``; it depends on
uvicorn's h11 protocol internals, which the tests exercise for real.
"""

from __future__ import annotations

import asyncio
import logging

from uvicorn.protocols.http.h11_impl import H11Protocol

_log = logging.getLogger("uvicorn.error")


class DrainingH11Protocol(H11Protocol):
    """H11Protocol whose ``shutdown`` waits for a request already on its way."""

    _draining = False
    _grace: asyncio.TimerHandle | None = None

    def shutdown(self) -> None:
        """Close idle keep-alive connections as usual; give fresh ones their request."""
        if self.cycle is None and not self.transport.is_closing():
            self._draining = True
            _log.info("draining a fresh connection from %s", self.client)
            self._grace = self.loop.call_later(self.timeout_keep_alive, self._silent)
            return
        super().shutdown()

    def handle_events(self) -> None:
        """A request on a draining connection is served, then the connection closes."""
        super().handle_events()
        if self._draining and self.cycle is not None:
            self.cycle.keep_alive = False
            self._cancel_grace()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_grace()
        super().connection_lost(exc)

    def _silent(self) -> None:
        """No request within the grace period: close as stock uvicorn would have."""
        self._grace = None
        if self.cycle is None and not self.transport.is_closing():
            _log.warning("closing a connection from %s that sent no request", self.client)
            super().shutdown()

    def _cancel_grace(self) -> None:
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None
