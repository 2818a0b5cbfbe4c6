"""The deployer's rollback through the dashboard, on a real deploy history.

Releases are cut and deployed through the real CLI (tests/deployrepo.py): the
"service" is the release tree, whose smoke test reads ``current/STATUS``; no
process manager. The rollback then goes through the web as a signed-in user.
"""

from __future__ import annotations

import html
import os
import re
import socket
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from tests.deployrepo import cg, cut, events, setup
from tests.web.site import csrf_of, sign_in

from changegate.adapters.deploylock import DeployLock, LockInfo
from changegate.app import App
from changegate.web import create_app
from changegate.workflows.tokens import issue

OWNER = "owner@example.com"


def env_toml(root: Path) -> str:
    return f"""
[environments.prod]
deploy_root = "{root}"
keep_releases = 5
[[environments.prod.smoke]]
name = "release answers ok"
kind = "command"
command = ["sh", "-c", "grep -qx ok current/STATUS"]
retries = 1
backoff_seconds = 0.05

[environments.staging]
"""


def live(root: Path) -> str:
    return os.readlink(root / "current")


@pytest.fixture
def deployed(repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """v1 then v2 deployed to prod by the CLI; tokens for every role; the app."""
    root = tmp_path / "srv"
    setup(repo, env_toml(root))
    cut(repo, "v1", {"STATUS": "ok\n"})
    cut(repo, "v2", {"STATUS": "ok\n", "NEW": "2\n"})
    for tag in ("v1", "v2"):
        code, out, err = cg(repo, "deploy", tag, "--env", "prod", actor="dep@example.com")
        assert code == 0, out + err
    assert live(root) == "releases/v2"
    monkeypatch.setenv("CHANGEGATE_ACTOR", OWNER)
    app = App.at(repo, None)
    tokens = {
        role: issue(app, f"{role}@example.com", role, by=OWNER)[0]
        for role in ("viewer", "auditor", "deployer", "owner")
    }
    monkeypatch.delenv("CHANGEGATE_ACTOR")
    yield repo, root, app, tokens
    app.close()


def client(app: App, token: str) -> TestClient:
    c = TestClient(create_app(app), follow_redirects=False)
    sign_in(c, token)
    return c


def finished(repo: Path) -> list[dict]:
    return [e["payload"] for e in events(repo, "deploy.finished")]


def test_deployments_page_shows_live_status_per_environment(deployed):
    _, _, app, tokens = deployed
    page = client(app, tokens["deployer"]).get("/deployments")
    assert page.status_code == 200
    prod = re.search(r'<section[^>]*id="env-prod".*?</section>', page.text, re.S)
    assert prod, page.text
    assert "v2" in prod.group(0) and "by dep@example.com" in prod.group(0)
    assert "Lock</th><td>free" in prod.group(0)
    assert "Process manager</th><td>none configured" in prod.group(0)
    # only a release that ran there is offered as a target, and not the live one
    assert re.findall(r"<option>(v\d)</option>", prod.group(0)) == ["v1"]
    staging = re.search(r'<section[^>]*id="env-staging".*?</section>', page.text, re.S)
    assert staging and "deploy_root is not set" in staging.group(0)
    assert 'id="rollback-staging"' not in page.text


@pytest.mark.parametrize("role", ["viewer", "auditor"])
def test_a_viewer_or_auditor_cannot_roll_back(deployed, role):
    repo, root, app, tokens = deployed
    c = client(app, tokens[role])
    page = c.get("/deployments")
    assert 'action="/deployments/rollback"' not in page.text
    before = finished(repo)
    res = c.post(
        "/deployments/rollback",
        data={"csrf": csrf_of(page.text), "environment": "prod", "reason": "try", "to": "v1"},
    )
    assert res.status_code == 403
    assert finished(repo) == before
    assert live(root) == "releases/v2"


def test_deployer_rolls_back_as_themselves(deployed):
    repo, root, app, tokens = deployed
    c = client(app, tokens["deployer"])
    csrf = csrf_of(c.get("/deployments").text)
    form = {"environment": "prod", "reason": "latency regression", "to": "v1"}

    assert c.post("/deployments/rollback", data={**form, "csrf": "forged"}).status_code == 403
    missing = c.post("/deployments/rollback", data={**form, "csrf": csrf, "reason": " "})
    assert missing.status_code == 400 and "a reason is required" in missing.text
    assert live(root) == "releases/v2" and len(finished(repo)) == 2

    res = c.post("/deployments/rollback", data={**form, "csrf": csrf})
    assert res.status_code == 200, res.text
    assert 'id="rollback-result"' in res.text and "deployed" in res.text
    steps = re.findall(r"<tr><td>(\w+)</td><td><span", res.text)
    assert steps[:3] == ["verify", "config", "switch"] and "smoke" in steps
    assert live(root) == "releases/v1"
    last = finished(repo)[-1]
    assert (last["kind"], last["tag"], last["outcome"]) == ("rollback", "v1", "deployed")
    assert last["deployer"] == "deployer@example.com"
    assert last["reason"] == "latency regression"
    assert last["rollback_of"] == finished(repo)[1]["deployment"]
    own = [e for e in events(repo, "deploy.*") if e["payload"]["deployment"] == last["deployment"]]
    assert own and {e["actor"] for e in own} == {"deployer@example.com"}

    # the page after shows the new live release
    page = c.get("/deployments").text
    prod = re.search(r'<section[^>]*id="env-prod".*?</section>', page, re.S)
    assert prod and "rollback of v1" in prod.group(0)


def test_workflow_refusals_are_clear_messages_not_errors(deployed):
    repo, root, app, tokens = deployed
    c = client(app, tokens["owner"])  # the owner holds the deploy permission too
    csrf = csrf_of(c.get("/deployments").text)
    base = {"csrf": csrf, "environment": "prod", "reason": "undo"}

    never = c.post("/deployments/rollback", data={**base, "to": "v9"})
    assert never.status_code == 400
    assert "v9 never deployed successfully to prod" in never.text

    unknown = c.post("/deployments/rollback", data={**base, "environment": "nowhere"})
    assert unknown.status_code == 400 and "no environment 'nowhere'" in html.unescape(unknown.text)

    # someone else's rollback is running: the lock is held by a live process
    lock = DeployLock(root)
    lock.acquire(
        LockInfo(
            deployment="D-0000000001",
            kind="deploy",
            environment="prod",
            tag="v3",
            previous_tag="v2",
            actor="other@example.com",
            started_at="2026-07-01T10:00:00Z",
            pid=os.getpid(),
            host=socket.gethostname(),
        )
    )
    held = c.post("/deployments/rollback", data=base)
    assert held.status_code == 409
    assert "is running" in held.text and "wait for it before rolling back" in held.text
    page = c.get("/deployments").text
    assert "deploy D-0000000001 of v3 by other@example.com" in page and "running" in page
    lock.release()
    assert live(root) == "releases/v2" and len(finished(repo)) == 2
