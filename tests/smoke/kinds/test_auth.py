"""kind = "auth": refused without credentials, admitted with the smoke credential."""

from __future__ import annotations

import base64
from pathlib import Path

from tests.smoke.build import make
from tests.smoke.server import Answer, Seen, SmokeServer

from changegate.smoke import run_smoke

TOKEN = "smoke-token-1a2b3c"


def protected(seen: Seen) -> Answer:
    """What a real protected endpoint does: 401 unless the right bearer token comes."""
    if seen.headers.get("authorization") == f"Bearer {TOKEN}":
        return Answer(200, {"user": "smoke"})
    return Answer(401, {"error": "unauthorized"}, {"WWW-Authenticate": "Bearer"})


def run(tmp_path: Path, environ: dict[str, str] | None = None, **fields):
    fields.setdefault("credential_env", "SMOKE_TOKEN")
    env = {"SMOKE_TOKEN": TOKEN} if environ is None else environ
    (result,) = run_smoke([make("auth", **fields)], base_dir=tmp_path, environ=env).results
    return result


def test_refused_then_admitted_passes(server: SmokeServer, tmp_path: Path):
    url = server.route("/api/me", protected)
    result = run(tmp_path, url=url, expect_json=[{"path": "$.user", "equals": "smoke"}])
    assert result.status == "pass", result.detail
    assert "refused without credentials (401)" in result.detail
    assert result.credential_env == "SMOKE_TOKEN"
    anonymous, admitted = server.hits("/api/me")
    assert "authorization" not in anonymous.headers
    assert admitted.headers["authorization"] == f"Bearer {TOKEN}"


def test_200_without_credentials_means_not_protected(server: SmokeServer, tmp_path: Path):
    url = server.route("/api/me", Answer(200, {"user": "anyone"}))
    result = run(tmp_path, url=url)
    assert result.status == "fail"
    assert "without credentials: expected 401 or 403, got 200" in result.detail
    assert "not protected" in result.detail


def test_404_without_credentials_means_not_there(server: SmokeServer, tmp_path: Path):
    result = run(tmp_path, url=server.url + "/api/gone")
    assert result.status == "fail" and "got 404 (the endpoint is not there)" in result.detail


def test_a_login_redirect_is_not_a_refusal_unless_declared(server, tmp_path):
    def app(seen: Seen) -> Answer:
        if seen.headers.get("authorization"):
            return Answer(200, "dashboard")
        return Answer(302, "", {"Location": "/login"})

    url = server.route("/admin", app)
    result = run(tmp_path, url=url)
    assert result.status == "fail" and "redirected to /login" in result.detail
    assert run(tmp_path, url=url, refuse_status=[302]).status == "pass"


def test_a_wrong_credential_fails_on_the_admitted_half(server, tmp_path):
    url = server.route("/api/me", protected)
    result = run(tmp_path, url=url, environ={"SMOKE_TOKEN": "expired-token"})
    assert result.status == "fail"
    assert "with SMOKE_TOKEN" in result.detail and "expected HTTP 200, got 401" in result.detail
    assert "expired-token" not in result.detail


def test_basic_credentials_with_user_and_password(server: SmokeServer, tmp_path: Path):
    good = "Basic " + base64.b64encode(b"smoke:pa55word").decode()

    def app(seen: Seen) -> Answer:
        return Answer(200) if seen.headers.get("authorization") == good else Answer(403)

    url = server.route("/private", app)
    env = {"SMOKE_BASIC": "smoke:pa55word"}
    fields = {"credential_env": "SMOKE_BASIC", "credential_scheme": "basic"}
    assert run(tmp_path, env, url=url, **fields).status == "pass"
    bad = run(tmp_path, {"SMOKE_BASIC": "no-colon"}, url=url, **fields)
    assert bad.status == "fail" and "must hold user:password" in bad.detail
    assert "no-colon" not in bad.detail


def test_a_custom_header_carries_the_credential(server: SmokeServer, tmp_path: Path):
    def app(seen: Seen) -> Answer:
        return Answer(200) if seen.headers.get("x-api-key") == TOKEN else Answer(403)

    url = server.route("/v1/things", app)
    result = run(tmp_path, url=url, credential_header="X-Api-Key", credential_scheme="raw")
    assert result.status == "pass", result.detail
