"""`changegate emergency notify`: overdue emergencies posted once each to a Slack-compatible
webhook (a real HTTP server on 127.0.0.1), recorded without the URL, retried on 5xx/timeout."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from tests.cli.teamrepo import cg
from tests.conftest import git

from changegate.adapters.storage.store import EventFilter, open_store

SECRET_PATH = "/services/T000/B000/very-secret-token"


class Hook:
    """Answers each POST with the next status of ``statuses`` (then 200), after ``delays``."""

    def __init__(self) -> None:
        self.statuses: list[int] = []
        self.delays: list[float] = []
        self.bodies: list[dict[str, Any]] = []
        self.received = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                outer.received += 1
                time.sleep(outer.delays.pop(0) if outer.delays else 0.0)
                status = outer.statuses.pop(0) if outer.statuses else 200
                if status == 200:
                    outer.bodies.append(json.loads(body))
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client timed out

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{SECRET_PATH}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hook]:
    h = Hook()
    monkeypatch.setenv("TEAM_WEBHOOK", h.url)
    yield h
    h.server.shutdown()


def configure(repo: Path, timeout: float = 5.0) -> None:
    path = repo / "changegate.toml"
    path.write_text(
        path.read_text()
        + f'\n[emergency]\nwebhook_url_env = "TEAM_WEBHOOK"\nwebhook_timeout_seconds = {timeout}\n'
    )


def emergency(repo: Path, ident: str, due: datetime) -> None:
    head = git(repo, "rev-parse", "HEAD").strip()
    store = open_store(None, repo)
    try:
        store.append(
            "dev@example.com",
            "emergency.declared",
            ident,
            {
                "incident": f"INC-{ident}",
                "sev": "SEV1",
                "reason": "checkout is down",
                "reason_kind": "incident",
                "commit": head,
                "base": "main",
                "merge_base": head,
                "patch_id": "x",
                "skipped": ["review"],
                "due": due.isoformat(),
            },
        )
    finally:
        store.close()


def notified(repo: Path) -> list[dict[str, Any]]:
    store = open_store(None, repo)
    try:
        return [e.data() for e in store.events(EventFilter(action="emergency.notified"))]
    finally:
        store.close()


def ledger_text(repo: Path) -> str:
    store = open_store(None, repo)
    try:
        return "\n".join(e.payload for e in store.events())
    finally:
        store.close()


NOW = datetime.now(UTC)


def test_each_overdue_emergency_is_sent_once_and_recorded_without_the_url(team, hook):
    repo, _ = team
    configure(repo)
    emergency(repo, "EMG-late", NOW - timedelta(days=2))
    emergency(repo, "EMG-later", NOW - timedelta(hours=3))
    emergency(repo, "EMG-ontime", NOW + timedelta(days=1))

    code, out, err = cg(repo, "emergency", "notify", "--dry-run")
    assert code == 0, err
    assert "2 message(s) would be sent" in out and hook.bodies == [] and notified(repo) == []

    code, out, err = cg(repo, "emergency", "notify")
    assert code == 0, err
    assert "EMG-late, EMG-later" in out and "127.0.0.1" in out and SECRET_PATH not in out
    assert [b["text"].split()[1] for b in hook.bodies] == ["EMG-late", "EMG-later"]
    first = hook.bodies[0]
    assert "overdue" in first["text"] and first["blocks"][0]["type"] == "section"
    assert any("emergency close EMG-late" in json.dumps(b) for b in first["blocks"])
    assert [(n["id"], n["host"]) for n in notified(repo)] == [
        ("EMG-late", "127.0.0.1"),
        ("EMG-later", "127.0.0.1"),
    ]
    assert notified(repo)[0]["due"] == (NOW - timedelta(days=2)).isoformat()
    assert "very-secret-token" not in ledger_text(repo)

    # Already notified: nothing is sent again.
    code, out, _ = cg(repo, "emergency", "notify")
    assert code == 0 and "no overdue emergency" in out and len(hook.bodies) == 2


def test_server_errors_and_timeouts_are_retried(team, hook):
    repo, _ = team
    configure(repo, timeout=0.5)
    emergency(repo, "EMG-late", NOW - timedelta(days=2))
    hook.statuses = [503]
    hook.delays = [0.0, 1.5]  # the second attempt times out, the third gets through
    code, _, err = cg(repo, "emergency", "notify")
    assert code == 0, err
    # The timed-out attempt may still arrive late (a retry is at-least-once delivery).
    assert hook.received == 3
    assert notified(repo)[0]["attempts"] == 3


def test_failure_is_one_clear_line_and_records_nothing(team, hook):
    repo, _ = team
    configure(repo)
    emergency(repo, "EMG-late", NOW - timedelta(days=2))
    hook.statuses = [500, 502, 503]
    code, _, err = cg(repo, "emergency", "notify")
    assert code == 2
    assert err.strip().splitlines() == [
        "changegate: EMG-late: webhook at 127.0.0.1: HTTP 503 after 3 attempts"
    ]
    assert notified(repo) == []

    hook.statuses = [404]  # a revoked URL: not retried
    code, _, err = cg(repo, "emergency", "notify")
    assert code == 2 and "refused the message (HTTP 404)" in err and SECRET_PATH not in err
    assert hook.statuses == [] and notified(repo) == []


def test_missing_configuration_is_named(team, monkeypatch):
    repo, _ = team
    emergency(repo, "EMG-late", NOW - timedelta(days=2))
    code, _, err = cg(repo, "emergency", "notify")
    assert code == 2 and "webhook_url_env" in err
    configure(repo)
    monkeypatch.delenv("TEAM_WEBHOOK", raising=False)
    code, _, err = cg(repo, "emergency", "notify")
    assert code == 2 and "TEAM_WEBHOOK is not set" in err
