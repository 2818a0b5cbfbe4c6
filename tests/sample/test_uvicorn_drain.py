"""A uvicorn worker that stops serves the request of a connection it had just accepted."""

from __future__ import annotations

import os
import signal
import socket
import time
from pathlib import Path

from tests.sample.deployroot import make_root, switch

from changegate.adapters.procman import procfs


def _wait_for_line(log: Path, text: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while text not in log.read_text():
        assert time.monotonic() < deadline, f"{text!r} never appeared in {log}"
        time.sleep(0.02)


def test_fresh_connection_is_served_during_shutdown(tmp_path: Path, launcher):
    root = make_root(tmp_path, "v1", "v2")
    launched = launcher("uvicorn", root)
    old_workers = procfs.workers(launched.process.pid)
    with socket.create_connection(("127.0.0.1", launched.port), timeout=10) as sock:
        # Accepted by one of the workers, no request yet: stock uvicorn closes it on stop.
        switch(root, "v2")
        os.kill(launched.process.pid, signal.SIGHUP)
        _wait_for_line(launched.log, "draining a fresh connection")
        assert any(procfs.alive(p) for p in old_workers)
        sock.sendall(b"GET / HTTP/1.1\r\nHost: t\r\n\r\n")
        response = b""
        while chunk := sock.recv(65536):  # bounded: the worker closes after one response
            response += chunk
    assert response.startswith(b"HTTP/1.1 200")
    assert b'"version": "v1"' in response  # the old worker answered it
    deadline = time.monotonic() + 20
    while any(procfs.alive(p) for p in old_workers):
        assert time.monotonic() < deadline
        time.sleep(0.05)
