"""kind = "health": health+json and Spring Actuator documents, failing components named."""

from __future__ import annotations

from pathlib import Path

from tests.smoke.build import make
from tests.smoke.server import Answer, SmokeServer

from changegate.smoke import run_smoke
from changegate.smoke.kinds.health import components


def run(tmp_path: Path, **fields):
    (result,) = run_smoke([make("health", **fields)], base_dir=tmp_path).results
    return result


HEALTH_JSON_OK = {
    "status": "pass",
    "checks": {
        "postgres:responseTime": [{"componentId": "primary", "status": "pass"}],
        "stripe:reachable": [{"status": "pass"}],
    },
}
SPRING_DOWN = {
    "status": "DOWN",
    "components": {
        "db": {"status": "UP"},
        "mail": {"status": "DOWN", "details": {"error": "timeout"}},
        "brokers": {
            "status": "DOWN",
            "components": {"kafka": {"status": "UP"}, "rabbit": {"status": "OUT_OF_SERVICE"}},
        },
    },
}


def test_health_json_all_passing(server: SmokeServer, tmp_path: Path):
    url = server.route(
        "/health", Answer(200, HEALTH_JSON_OK, {"Content-Type": "application/health+json"})
    )
    result = run(tmp_path, url=url, require_components=["postgres", "stripe"])
    assert result.status == "pass", result.detail
    assert "2 component(s) pass" in result.detail


def test_health_json_failing_component_is_named(server: SmokeServer, tmp_path: Path):
    doc = {
        "status": "fail",
        "checks": {
            "postgres:responseTime": [{"status": "pass"}],
            "redis:connections": [
                {"componentId": "cache-a", "status": "pass"},
                {"componentId": "cache-b", "status": "fail"},
            ],
        },
    }
    url = server.route("/health", Answer(503, doc))
    result = run(tmp_path, url=url)
    assert result.status == "fail"
    assert "HTTP 503" in result.detail and "status fail" in result.detail
    assert "failing: redis:connections[cache-b] (fail)" in result.detail
    assert "postgres" not in result.detail


def test_spring_down_names_nested_failing_components(server: SmokeServer, tmp_path: Path):
    url = server.route("/actuator/health", Answer(503, SPRING_DOWN))
    result = run(tmp_path, url=url)
    assert result.status == "fail"
    assert "mail (DOWN)" in result.detail
    assert "brokers/rabbit (OUT_OF_SERVICE)" in result.detail
    assert "db (" not in result.detail


def test_spring_up_passes(server: SmokeServer, tmp_path: Path):
    doc = {"status": "UP", "components": {"db": {"status": "UP"}, "ping": {"status": "UP"}}}
    url = server.route("/actuator/health", Answer(200, doc))
    assert run(tmp_path, url=url).status == "pass"


def test_a_top_level_pass_with_one_failing_check_fails(server, tmp_path):
    doc = {"status": "pass", "checks": {"queue": [{"status": "warn"}]}}
    url = server.route("/health", Answer(200, doc))
    result = run(tmp_path, url=url)
    assert result.status == "fail" and "queue (warn)" in result.detail
    assert run(tmp_path, url=url, passing=["pass", "warn"]).status == "pass"


def test_a_required_component_that_disappeared_fails(server, tmp_path):
    url = server.route("/health", Answer(200, {"status": "ok", "checks": {"db": {"status": "ok"}}}))
    result = run(tmp_path, url=url, require_components=["db", "payments"])
    assert result.status == "fail" and "missing components: payments" in result.detail


def test_not_a_health_document_fails(server: SmokeServer, tmp_path: Path):
    url = server.route("/health", Answer(200, "OK"))
    result = run(tmp_path, url=url)
    assert result.status == "fail" and "expected a JSON health document" in result.detail
    url2 = server.route("/h2", Answer(200, {"checks": {}}))
    assert "status (none)" in run(tmp_path, url=url2).detail


def test_components_flattens_both_shapes():
    assert components(SPRING_DOWN) == {
        "db": "UP",
        "mail": "DOWN",
        "brokers": "DOWN",
        "brokers/kafka": "UP",
        "brokers/rabbit": "OUT_OF_SERVICE",
    }
    assert components(HEALTH_JSON_OK) == {
        "postgres:responseTime": "pass",
        "stripe:reachable": "pass",
    }
