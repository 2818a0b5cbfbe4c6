"""The model reviewer against a real local chat-completions server, and as a command."""

from __future__ import annotations

import json
import sys

import pytest
from tests.chat_server import ChatServer

from changegate.adapters.model_reviewer import ModelError, review
from changegate.core.policy import ModelReviewer


@pytest.fixture
def server():
    s = ChatServer()
    yield s
    s.close()


def endpoint(server: ChatServer, **kw) -> ModelReviewer:
    return ModelReviewer(
        endpoint=server.url, model="reviewer-large", api_key_env="CG_TEST_KEY", **kw
    )


def test_findings_model_version_and_key(server, monkeypatch):
    monkeypatch.setenv("CG_TEST_KEY", "k-123")
    server.content = (
        "```json\n"
        + json.dumps(
            {
                "findings": [
                    {
                        "title": "Token TTL too long",
                        "detail": "refresh tokens live 1h",
                        "severity": "high",
                    },
                ]
            }
        )
        + "\n```"
    )
    answer = review(endpoint(server), "diff --git a/x b/x\n+TTL = 3600\n")
    assert answer.model == "reviewer-large-2026-10"
    assert answer.findings == ("[high] Token TTL too long: refresh tokens live 1h",)
    sent = server.requests[0]
    assert sent["model"] == "reviewer-large" and "+TTL = 3600" in sent["messages"][1]["content"]
    assert server.headers[0]["Authorization"] == "Bearer k-123"


def test_nothing_found(server, monkeypatch):
    monkeypatch.setenv("CG_TEST_KEY", "k")
    assert review(endpoint(server), "diff").findings == ()


@pytest.mark.parametrize(
    "content", ["looks fine to me!", '{"issues": []}', '{"findings": [{"detail": "no title"}]}']
)
def test_malformed_answer_is_an_error(server, monkeypatch, content):
    monkeypatch.setenv("CG_TEST_KEY", "k")
    server.content = content
    with pytest.raises(ModelError, match="not the expected JSON"):
        review(endpoint(server), "diff")


def test_timeout_http_error_and_missing_key(server, monkeypatch):
    monkeypatch.setenv("CG_TEST_KEY", "k")
    server.delay = 2.0
    with pytest.raises(ModelError, match="unreachable or too slow"):
        review(endpoint(server, timeout_seconds=0.3), "diff")
    server.delay, server.status = 0.0, 500
    with pytest.raises(ModelError, match="HTTP 500"):
        review(endpoint(server), "diff")
    monkeypatch.delenv("CG_TEST_KEY")
    with pytest.raises(ModelError, match="CG_TEST_KEY is not set"):
        review(endpoint(server), "diff")


def test_command_reviewer(tmp_path):
    script = tmp_path / "reviewer.py"
    script.write_text(
        "import json, sys\n"
        "diff = sys.stdin.read()\n"
        "found = [{'title': 'drops a column'}] if 'DROP' in diff else []\n"
        "print(json.dumps({'model': 'local-linter 1.0', 'findings': found}))\n"
    )
    cfg = ModelReviewer(command=[sys.executable, str(script)])
    answer = review(cfg, "+ALTER TABLE t DROP COLUMN c;\n")
    assert answer.model == "local-linter 1.0" and answer.findings == ("drops a column",)
    assert review(cfg, "+select 1;\n").findings == ()
    bad = ModelReviewer(command=[sys.executable, "-c", "print('no json')"])
    with pytest.raises(ModelError):
        review(bad, "diff")
