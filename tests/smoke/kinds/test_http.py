"""kind = "http": status (one or several), body, JSON assertions, method and headers."""

from __future__ import annotations

from pathlib import Path

from tests.smoke.build import make
from tests.smoke.server import Answer, SmokeServer

from changegate.smoke import run_smoke

DOC = {"status": "ok", "version": "2.4.1", "region": "eu", "db": {"replicas": [{"lag": 0}]}}


def run(tmp_path: Path, **fields):
    (result,) = run_smoke([make("http", **fields)], base_dir=tmp_path).results
    return result


def test_status_body_and_json_assertions_pass(server: SmokeServer, tmp_path: Path):
    url = server.route("/status", Answer(200, DOC))
    result = run(
        tmp_path,
        url=url,
        body_contains='"version"',
        expect_json=[
            {"path": "$.status", "equals": "ok"},
            {"path": "$.db.replicas[0].lag", "equals": 0},
            {"path": "$.version", "exists": True},
            {"path": "$.debug", "exists": False},
            {"path": "$.region", "one_of": ["eu", "us"]},
        ],
    )
    assert result.status == "pass", result.detail
    assert "5 JSON assertion(s) hold" in result.detail


def test_wrong_status_says_what_was_expected_and_what_came(server, tmp_path):
    url = server.route("/status", Answer(500, "boom"))
    result = run(tmp_path, url=url, expect_status=[200, 204])
    assert result.status == "fail"
    assert "expected HTTP 200 or 204, got 500" in result.detail and "boom" in result.detail


def test_a_listed_status_passes(server: SmokeServer, tmp_path: Path):
    url = server.route("/created", Answer(201, ""))
    assert run(tmp_path, url=url, expect_status=[200, 201]).status == "pass"
    assert run(tmp_path, url=url, expect_status=201).status == "pass"


def test_redirects_are_not_followed(server: SmokeServer, tmp_path: Path):
    server.route("/landing", Answer(200, "welcome"))
    url = server.route("/", Answer(302, "", {"Location": server.url + "/landing"}))
    assert "got 302" in run(tmp_path, url=url).detail
    assert run(tmp_path, url=url, expect_status=302).status == "pass"
    assert server.hits("/landing") == []


def test_missing_body_text_fails(server: SmokeServer, tmp_path: Path):
    url = server.route("/", Answer(200, "maintenance mode"))
    result = run(tmp_path, url=url, body_contains="Welcome")
    assert result.status == "fail" and "lacks 'Welcome'" in result.detail


def test_json_assertion_failures_name_the_path_and_the_value(server, tmp_path):
    url = server.route("/status", Answer(200, DOC))
    cases = {
        "$.status": ({"equals": "up"}, 'expected "up", found "ok"'),
        "$.db.replicas[3].lag": ({"exists": True}, "expected a value, found nothing"),
        "$.region": ({"one_of": ["us", "ap"]}, 'expected one of ["us", "ap"], found "eu"'),
        "$.version": ({"exists": False}, 'expected no value, found "2.4.1"'),
    }
    for path, (test, message) in cases.items():
        result = run(tmp_path, url=url, expect_json=[{"path": path, **test}])
        assert result.status == "fail"
        assert f"{path}: {message}" in result.detail


def test_json_assertions_on_a_non_json_body_fail(server: SmokeServer, tmp_path: Path):
    url = server.route("/", Answer(200, "<html>"))
    result = run(tmp_path, url=url, expect_json=[{"path": "$.a", "exists": True}])
    assert result.status == "fail" and "expected a JSON body" in result.detail


def test_method_and_headers_are_sent(server: SmokeServer, tmp_path: Path):
    url = server.route("/hook", Answer(204, ""))
    result = run(tmp_path, url=url, method="POST", headers={"X-Smoke": "1"}, expect_status=204)
    assert result.status == "pass"
    (seen,) = server.hits("/hook")
    assert seen.method == "POST" and seen.headers["x-smoke"] == "1"


def test_a_credential_can_be_sent_with_a_custom_header(server: SmokeServer, tmp_path: Path):
    url = server.route("/api", Answer(200))
    check = make(
        "http",
        url=url,
        credential_env="API_KEY",
        credential_scheme="raw",
        credential_header="X-Api-Key",
    )
    report = run_smoke([check], base_dir=tmp_path, environ={"API_KEY": "k-123456"})
    assert report.passed
    assert server.hits("/api")[0].headers["x-api-key"] == "k-123456"


def test_a_slow_endpoint_times_out_as_a_failure(server: SmokeServer, tmp_path: Path):
    import time

    url = server.route("/slow", lambda seen: (time.sleep(0.5), Answer(200))[1])
    result = run(tmp_path, url=url, timeout_seconds=0.1)
    assert result.status == "fail" and "no answer" in result.detail
