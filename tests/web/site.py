"""A dashboard over a real repository and database, with a token per role, and ledger events
for the features whose producers land separately (deploys, config), appended through the store."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient
from tests.conftest import git

from changegate.app import App
from changegate.cli.main import main
from changegate.web import create_app
from changegate.workflows.tokens import issue

OWNER = "owner@example.com"
POLICY = """\
version = 1
[policy]
last_reviewed = {reviewed}
[roles]
policy_owner = "{owner}"
[[roles.reviewers]]
email = "rev@example.com"
[environments.prod]
[environments.staging]
"""
CSRF = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Site:
    root: Path
    db_url: str
    app: App
    tokens: dict[str, str]

    def client(self, role: str | None = None) -> TestClient:
        """A browser-like client; signed in through the form when a role is given."""
        client = TestClient(create_app(self.app), follow_redirects=False)
        if role is not None:
            sign_in(client, self.tokens[role])
        return client


def csrf_of(html: str) -> str:
    m = CSRF.search(html)
    assert m, "no CSRF field on the page"
    return m.group(1)


def sign_in(client: TestClient, token: str) -> None:
    form = client.get("/signin")
    res = client.post("/signin", data={"token": token, "csrf": csrf_of(form.text), "next": "/"})
    assert res.status_code == 303, res.text


def make_site(repo: Path, db_url: str, monkeypatch: Any, reviewed: date | None = None) -> Site:
    reviewed = reviewed or date.today() - timedelta(days=30)
    (repo / "changegate.toml").write_text(POLICY.format(reviewed=reviewed, owner=OWNER))
    git(repo, "add", "changegate.toml")
    git(repo, "commit", "-qm", "policy")
    assert main(["-C", str(repo), "--db", db_url, "init"]) == 0
    monkeypatch.setenv("CHANGEGATE_ACTOR", OWNER)
    app = App.at(repo, db_url)
    tokens = {
        role: issue(app, f"{role}@example.com", role, by=OWNER)[0]
        for role in ("viewer", "auditor", "deployer", "owner")
    }
    tokens["owner"] = issue(app, OWNER, "owner", by=OWNER)[0]
    monkeypatch.delenv("CHANGEGATE_ACTOR")
    return Site(repo, db_url, app, tokens)


def seed_change(app: App, commit: str, verdict: str = "pass", author: str = "dev@example.com"):
    """What `check` and `review approve` record for a change (gate results, review, verdict)."""
    store = app.store()
    with store.writer() as w:
        w.append(
            "rev@example.com",
            "review.approve",
            commit,
            {"patch_id": "p" + commit[:15], "base": "b" * 40, "findings": [], "resolves": []},
        )
        for name, status, findings in (
            ("review", "pass", []),
            (
                "lint",
                "pass" if verdict == "pass" else "fail",
                []
                if verdict == "pass"
                else [
                    {
                        "message": "E501 line too long",
                        "path": "app/x.py",
                        "line": 3,
                        "rule": "E501",
                        "severity": "error",
                    }
                ],
            ),
        ):
            w.append(
                author,
                "gate.result",
                commit,
                {
                    "name": name,
                    "status": status,
                    "reason": f"{name} {status}",
                    "findings": findings,
                    "evidence": {},
                    "duration_s": 0.1,
                    "patch_id": "p" + commit[:15],
                    "base": "b" * 40,
                },
            )
        return w.append(
            author,
            "check.verdict",
            commit,
            {
                "verdict": verdict,
                "base": "b" * 40,
                "base_ref": "main",
                "patch_id": "p" + commit[:15],
                "classification": {
                    "trivial": False,
                    "security": False,
                    "schema": False,
                    "labels": ["code"],
                    "reasons": ["touches app/"],
                },
                "gates": {"review": "pass"},
                "evidence_digest": "d" * 64,
                "policy_sha256": "e" * 64,
                "notes": [],
            },
        )


def seed_deploy(
    app: App,
    ident: str,
    env: str,
    commit: str,
    outcome: str = "deployed",
    rollback_of: str | None = None,
) -> None:
    store = app.store()
    with store.writer() as w:
        w.append(
            "deployer@example.com",
            "deploy.started",
            env,
            {
                "deployment": ident,
                "kind": "rollback" if rollback_of else "deploy",
                "tag": "v1.0." + ident[-1],
                "commit": commit,
                "environment": env,
                "previous_tag": "v0.9.0",
            },
        )
        w.append(
            "deployer@example.com",
            "deploy.step",
            env,
            {
                "deployment": ident,
                "step": "migrate",
                "status": "ok",
                "detail": "2 applied",
                "duration_ms": 812,
            },
        )
        w.append(
            "deployer@example.com",
            "deploy.finished",
            env,
            {
                "deployment": ident,
                "kind": "rollback" if rollback_of else "deploy",
                "tag": "v1.0." + ident[-1],
                "commit": commit,
                "environment": env,
                "deployer": "deployer@example.com",
                "started_at": "2026-07-01T10:00:00Z",
                "ended_at": "2026-07-01T10:03:00Z",
                "outcome": outcome,
                "migrations_applied": ["0007_add_index"],
                "config_version": 4,
                "smoke": [
                    {
                        "name": "login",
                        "kind": "http",
                        "status": "pass",
                        "attempts": 1,
                        "detail": "200 OK",
                    }
                ],
                "rollback_of": rollback_of,
                "reason": None,
                "basis": "verdict seq 5",
                "emergency": None,
            },
        )


def seed_config(app: App) -> None:
    store = app.store()
    with store.writer() as w:
        w.append(
            "dev@example.com",
            "config.proposed",
            "prod",
            {
                "proposal": "P-1",
                "environment": "prod",
                "base_version": 3,
                "changes": [
                    {
                        "key": "FEATURE_X",
                        "op": "set",
                        "secret": False,
                        "value_hash": "f" * 64,
                        "length": 2,
                    }
                ],
            },
        )
        w.append(
            "rev@example.com",
            "config.approved",
            "prod",
            {
                "proposal": "P-1",
                "environment": "prod",
                "approver": "rev@example.com",
                "signature": "sig",
            },
        )
        w.append(
            "dev@example.com",
            "config.applied",
            "prod",
            {
                "environment": "prod",
                "version": 4,
                "proposal": "P-1",
                "approver": "rev@example.com",
                "content_sha256": "c" * 64,
                "reason": "launch",
            },
        )
        w.append(
            "changegate",
            "config.drift",
            "prod",
            {
                "environment": "prod",
                "version": 4,
                "differences": [{"key": "DEBUG", "kind": "added", "where": "live env file"}],
            },
        )
