"""run_smoke: retries with backoff, every attempt kept, order, phases, no secret shown."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path

import pytest
from tests.smoke.build import make
from tests.smoke.server import Answer, SmokeServer

from changegate.adapters.pgserver import free_port
from changegate.errors import InputError
from changegate.smoke import run_smoke
from changegate.smoke.runner import delays


def test_one_transient_503_passes_on_retry(server: SmokeServer, tmp_path: Path):
    url = server.route("/ping", Answer(503, "reloading"), Answer(200, "pong"))
    report = run_smoke([make("http", url=url, retries=2)], base_dir=tmp_path)
    (result,) = report.results
    assert report.passed and result.status == "pass"
    assert [a.status for a in result.attempts] == ["fail", "pass"]
    assert "expected HTTP 200, got 503" in result.attempts[0].detail
    assert "passed on attempt 2" in result.detail
    assert len(server.hits("/ping")) == 2


def test_persistent_503_fails_with_every_attempt_recorded(server: SmokeServer, tmp_path: Path):
    url = server.route("/ping", Answer(503, "down"))
    report = run_smoke([make("http", url=url, retries=3)], base_dir=tmp_path)
    (result,) = report.results
    assert not report.passed and result.status == "fail"
    assert [a.number for a in result.attempts] == [1, 2, 3, 4]
    assert all(a.status == "fail" and "got 503" in a.detail for a in result.attempts)
    assert all(a.duration_s >= 0 for a in result.attempts)
    assert "(4 attempts)" in result.detail
    assert len(server.hits("/ping")) == 4


def test_backoff_doubles_up_to_the_cap_and_is_actually_waited(server: SmokeServer, tmp_path):
    check = make(
        "http",
        url=server.route("/x", Answer(500)),
        retries=4,
        backoff_seconds=0.02,
        backoff_max_seconds=0.05,
    )
    assert delays(check) == [0.02, 0.04, 0.05, 0.05]
    t0 = time.monotonic()
    run_smoke([check], base_dir=tmp_path)
    assert time.monotonic() - t0 >= 0.16


def test_refused_connection_during_a_reload_is_retried(tmp_path: Path):
    """Nothing listens at first; the server comes up before the second attempt."""
    port = free_port()
    started: list[SmokeServer] = []

    def come_up() -> None:
        started.append(SmokeServer(port=port))
        started[0].route("/", Answer(200, "up"))

    timer = threading.Timer(0.15, come_up)
    timer.start()
    try:
        check = make("http", url=f"http://127.0.0.1:{port}/", retries=1, backoff_seconds=0.5)
        report = run_smoke([check], base_dir=tmp_path)
    finally:
        timer.join()
        for s in started:
            s.close()
    (result,) = report.results
    assert result.status == "pass"
    assert [a.status for a in result.attempts] == ["fail", "pass"]
    assert "refused" in result.attempts[0].detail.lower()


def test_a_connection_dropped_without_answer_is_retried(tmp_path: Path):
    """A worker killed mid-request: the first connection closes with no response."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]

        def serve() -> None:
            conn, _ = listener.accept()
            conn.recv(1024)
            conn.close()  # no answer at all
            conn, _ = listener.accept()
            conn.recv(1024)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            conn.close()

        thread = threading.Thread(target=serve)
        thread.start()
        check = make("http", url=f"http://127.0.0.1:{port}/", retries=1)
        report = run_smoke([check], base_dir=tmp_path)
        thread.join(5)
    (result,) = report.results
    assert [a.status for a in result.attempts] == ["fail", "pass"]
    assert "no answer" in result.attempts[0].detail


def test_unreachable_url_is_a_failure_not_an_exception(tmp_path: Path):
    report = run_smoke(
        [make("http", url=f"http://127.0.0.1:{free_port()}/health")], base_dir=tmp_path
    )
    (result,) = report.results
    assert result.status == "fail"
    assert "no answer" in result.detail and "refused" in result.detail.lower()


def test_results_keep_policy_order_while_running_concurrently(server: SmokeServer, tmp_path):
    slow = server.route("/slow", lambda seen: (time.sleep(0.3), Answer(200))[1])
    fast = server.route("/fast", Answer(200))
    checks = [make("http", name=f"slow{i}", url=slow) for i in range(3)]
    checks.append(make("http", name="fast", url=fast))
    t0 = time.monotonic()
    report = run_smoke(checks, base_dir=tmp_path)
    assert [r.name for r in report.results] == ["slow0", "slow1", "slow2", "fast"]
    assert report.passed
    assert time.monotonic() - t0 < 0.85  # three 0.3 s checks overlapped


def test_a_failing_check_fails_the_report_but_others_still_run(server, tmp_path):
    ok = server.route("/ok", Answer(200))
    bad = server.route("/bad", Answer(500))
    report = run_smoke(
        [make("http", name="a", url=bad), make("http", name="b", url=ok)], base_dir=tmp_path
    )
    assert not report.passed
    assert [r.status for r in report.results] == ["fail", "pass"]
    assert [r.name for r in report.failed] == ["a"]


def test_phase_selects_checks_and_unknown_phase_is_an_input_error(server, tmp_path):
    url = server.route("/new-endpoint", Answer(404))
    check = make("http", url=url, phases=["post-deploy"])
    report = run_smoke([check], base_dir=tmp_path, phase="pre-deploy")
    assert report.passed and report.results[0].status == "skip"
    assert report.lines() == ["SKIP  http check (http): not run pre-deploy (phases: post-deploy)"]
    assert server.hits("/new-endpoint") == []
    assert not run_smoke([check], base_dir=tmp_path, phase="post-deploy").passed
    with pytest.raises(InputError, match="pre-deploy, post-deploy"):
        run_smoke([check], base_dir=tmp_path, phase="after")


def test_missing_credential_variable_fails_at_once_without_retrying(server, tmp_path):
    url = server.route("/me", Answer(200))
    check = make("http", url=url, credential_env="SMOKE_TOKEN", retries=3)
    report = run_smoke([check], base_dir=tmp_path, environ={})
    (result,) = report.results
    assert result.status == "fail" and len(result.attempts) == 1
    assert "SMOKE_TOKEN is not set" in result.detail
    assert server.hits("/me") == []


def test_no_credential_value_in_the_report_even_when_the_server_echoes_it(server, tmp_path):
    token = "s3cr3t-token-value"
    url = server.route(
        "/echo", lambda seen: Answer(500, f"bad header {seen.headers.get('authorization')}")
    )
    basic_url = server.route(
        "/basic", lambda seen: Answer(500, f"got {seen.headers.get('authorization')}")
    )
    checks = [
        make("http", name="bearer", url=url, credential_env="SMOKE_TOKEN", retries=1),
        make(
            "http",
            name="basic",
            url=basic_url,
            credential_env="SMOKE_BASIC",
            credential_scheme="basic",
        ),
    ]
    environ = {"SMOKE_TOKEN": token, "SMOKE_BASIC": "smoke:hunter2-pw"}
    report = run_smoke(checks, base_dir=tmp_path, environ=environ)
    # The server did receive the credentials ...
    assert server.hits("/echo")[0].headers["authorization"] == f"Bearer {token}"
    assert server.hits("/basic")[0].headers["authorization"].startswith("Basic ")
    # ... and the report shows only that they were used.
    dumped = json.dumps(report.to_dict())
    assert token not in dumped and "hunter2-pw" not in dumped
    assert server.hits("/basic")[0].headers["authorization"][6:] not in dumped
    assert "[redacted]" in dumped
    assert [r["credential_env"] for r in report.to_dict()["results"]] == [
        "SMOKE_TOKEN",
        "SMOKE_BASIC",
    ]


def test_to_dict_is_json_and_complete(server: SmokeServer, tmp_path: Path):
    url = server.route("/ok", Answer(200))
    data = json.loads(json.dumps(run_smoke([make("http", url=url)], base_dir=tmp_path).to_dict()))
    assert data["phase"] == "post-deploy" and data["passed"] is True
    (r,) = data["results"]
    assert set(r) == {
        "name",
        "kind",
        "status",
        "detail",
        "duration_s",
        "credential_env",
        "attempts",
    }
    assert r["attempts"][0]["status"] == "pass" and r["attempts"][0]["number"] == 1


def test_no_checks_is_a_passing_empty_report(tmp_path: Path):
    report = run_smoke([], base_dir=tmp_path)
    assert report.passed and report.results == []
