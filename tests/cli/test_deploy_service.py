"""Deploys of a real service under a real process manager while a load generator counts
every failed request: deploy v1, deploy v2 under load, roll back to v1 — zero failures.

Also: a v2 whose smoke test fails is rolled back by itself; a migration that breaks
the running v1 is caught by the pre-switch smoke run and the code is never switched.
"""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest
from tests.deployrepo import cg, cut, events, setup

from changegate.adapters.pgserver import free_port
from changegate.sample import Load, environment_toml, launch, write_service


def service_files(tmp: Path, version: str, broken: str | None = None) -> dict[str, str]:
    src = tmp / f"svc-{version}-{broken}"
    names = write_service(src, version, broken=broken)  # type: ignore[arg-type]
    return {name: (src / name).read_text() for name in names}


def policy(root: Path, kind: str, port: int, extra: str = "") -> str:
    return f"""
[environments.prod]
deploy_root = "{root}"
{extra}
""" + environment_toml(kind, port, backoff_seconds=0.1)


TOKEN = "smoke-token-for-tests"


@pytest.fixture
def served(
    repo: Path, tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
):
    """A repository whose v1 is deployed and served by the process manager under test."""
    kind = request.param
    root, port = tmp_path / "srv", free_port()
    setup(repo, policy(root, kind, port))
    (root / "shared").mkdir(parents=True)
    (root / "shared" / "config.env").write_text(f"SMOKE_TOKEN={TOKEN}\nGREETING=hi\n")
    monkeypatch.setenv("SMOKE_TOKEN", TOKEN)
    cut(repo, "v1", service_files(tmp_path, "v1"))
    code, out, err = cg(repo, "deploy", "v1", "--env", "prod")
    assert code == 0, out + err
    launched = launch(kind, root, port=port, workers=2)
    yield repo, root, launched
    launched.stop()


@pytest.mark.slow
@pytest.mark.parametrize("served", ["gunicorn", "uvicorn", "supervisord"], indirect=True)
def test_deploy_and_rollback_under_load_drop_no_request(served, tmp_path):
    repo, _root, launched = served
    cut(repo, "v2", service_files(tmp_path, "v2"))
    load = Load(launched.url + "/").start()
    load.wait_for(20)
    code, out, err = cg(repo, "deploy", "v2", "--env", "prod")
    assert code == 0, out + err
    load.wait_for(20)
    code, out, err = cg(repo, "rollback", "--env", "prod", "--reason", "back to v1 under load")
    assert code == 0, out + err
    load.wait_for(20)
    report = load.stop()
    assert report.failures == 0, report.failure_samples
    assert [v for _, v in report.versions_seen] == ["v1", "v2"]
    finished = [e["payload"] for e in events(repo, "deploy.finished")]
    assert [(f["kind"], f["tag"], f["outcome"]) for f in finished] == [
        ("deploy", "v1", "deployed"),
        ("deploy", "v2", "deployed"),
        ("rollback", "v1", "deployed"),
    ]
    assert {s["name"]: s["status"] for s in finished[1]["smoke"]} == {
        "authentication": "pass",
        "integrations": "pass",
    }
    body = json.loads(_get(launched.url + "/"))
    assert body["version"] == "v1"
    assert TOKEN not in json.dumps(finished)


@pytest.mark.slow
@pytest.mark.parametrize("served", ["gunicorn"], indirect=True)
def test_failed_smoke_rolls_back_by_itself_under_load(served, tmp_path):
    repo, _root, launched = served
    cut(repo, "v2", service_files(tmp_path, "v2", broken="smoke"))
    load = Load(launched.url + "/").start()
    load.wait_for(20)
    code, out, err = cg(repo, "deploy", "v2", "--env", "prod")
    assert code == 1, out + err
    assert "ROLLED BACK" in out
    load.wait_for(20)
    report = load.stop()
    assert report.failures == 0, report.failure_samples
    assert json.loads(_get(launched.url + "/"))["version"] == "v1"
    finished = [e["payload"] for e in events(repo, "deploy.finished")]
    assert [(f["kind"], f["tag"], f["outcome"]) for f in finished][1:] == [
        ("deploy", "v2", "rolled-back"),
        ("rollback", "v1", "deployed"),
    ]
    auth = next(s for s in finished[1]["smoke"] if s["name"] == "authentication")
    assert auth["status"] == "fail" and "404" in auth["detail"]


MIGRATION_OK = "CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n"
# A waiver the team got wrong: v1 does still read items.name. The static gate trusted the
# waiver; the pre-switch smoke run against the running v1 is what catches it.
MIGRATION_BREAKS_V1 = (
    "-- changegate: allow referenced-by-code reason: we believe nothing reads items.name\n"
    "ALTER TABLE items RENAME COLUMN name TO title;\n"
)


@pytest.mark.slow
def test_migration_that_breaks_the_running_release_stops_before_the_switch(
    repo, tmp_path, monkeypatch
):
    root, port = tmp_path / "srv", free_port()
    db = tmp_path / "app.sqlite"
    items_check = f"""
[[environments.prod.smoke]]
name = "items"
kind = "http"
url = "http://127.0.0.1:{port}/items"
retries = 1
backoff_seconds = 0.1
"""
    extra = 'database_url_env = "APP_DATABASE_URL"\nmigrations = ["db/migrations"]\n'
    text = policy(root, "gunicorn", port, extra) + items_check
    text += '\n[[gates.migrations.sets]]\npath = "db/migrations"\nformat = "golang-migrate"\n'
    setup(repo, text)
    (root / "shared").mkdir(parents=True)
    (root / "shared" / "config.env").write_text(f"SMOKE_TOKEN={TOKEN}\nDATABASE_PATH={db}\n")
    monkeypatch.setenv("SMOKE_TOKEN", TOKEN)
    monkeypatch.setenv("APP_DATABASE_URL", f"sqlite:///{db}")
    files = service_files(tmp_path, "v1")
    files["db/migrations/000001_items.up.sql"] = MIGRATION_OK
    files["db/migrations/000001_items.down.sql"] = "DROP TABLE items;\n"
    cut(repo, "v1", files)
    code, out, err = cg(repo, "deploy", "v1", "--env", "prod")
    assert code == 0, out + err
    with sqlite3.connect(db) as conn:
        conn.execute("INSERT INTO items (name) VALUES ('one')")
    launched = launch("gunicorn", root, port=port, workers=2)
    try:
        assert json.loads(_get(launched.url + "/items"))
        files = service_files(tmp_path, "v2")
        files["db/migrations/000002_rename.up.sql"] = MIGRATION_BREAKS_V1
        files["db/migrations/000002_rename.down.sql"] = (
            "ALTER TABLE items RENAME COLUMN title TO name;\n"
        )
        cut(repo, "v2", files)
        code, out, err = cg(repo, "deploy", "v2", "--env", "prod")
        assert code == 1, out + err
        assert os.readlink(root / "current") == "releases/v1"
        finished = events(repo, "deploy.finished")[-1]["payload"]
        assert finished["outcome"] == "failed"
        assert finished["failed_step"] == "smoke-previous"
        assert "not forward-compatible" in finished["reason"]
        assert [m["version"] for m in finished["migrations_applied"]] == ["000002"]
        assert [s["step"] for s in finished["steps"]] == ["verify", "migrate", "smoke-previous"]
        assert json.loads(_get(launched.url + "/"))["version"] == "v1"
    finally:
        launched.stop()


def _get(url: str) -> str:
    from urllib.request import urlopen

    with urlopen(url, timeout=10) as resp:
        return str(resp.read().decode())
