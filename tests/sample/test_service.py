"""The sample service over real HTTP, as WSGI under gunicorn and as ASGI under uvicorn."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from tests.sample.deployroot import TOKEN, get, make_root, switch

from changegate.adapters.procman import adapter_for

KINDS = ["gunicorn", "uvicorn"]


def _database(root: Path) -> Path:
    path = root / "shared" / "app.db"
    with closing(sqlite3.connect(path)) as db, db:
        db.execute("CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL)")
        db.executemany("INSERT INTO items (name) VALUES (?)", [("apple",), ("pear",)])
    config = root / "shared" / "config.env"
    config.write_text(config.read_text() + "DATABASE_PATH=app.db\n")  # relative to config.env
    return path


@pytest.mark.parametrize("kind", KINDS)
def test_endpoints(kind, tmp_path: Path, launcher):
    root = make_root(tmp_path, "v1")
    db = _database(root)
    url = launcher(kind, root).url
    status, body = get(url + "/")
    assert status == 200 and body["version"] == "v1" and body["greeting"] == "hello"
    assert isinstance(body["pid"], int)
    assert get(url + "/api/account") == (401, {"error": "missing or wrong bearer token"})
    assert get(url + "/api/account", token="wrong")[0] == 401
    assert get(url + "/api/account", token=TOKEN)[0] == 200
    status, health = get(url + "/healthz")
    assert status == 200 and health["status"] == "pass"
    assert health["checks"]["database"][0]["status"] == "pass"
    assert health["checks"]["config"][0]["status"] == "pass"
    assert get(url + "/items") == (
        200,
        {"items": [{"id": 1, "name": "apple"}, {"id": 2, "name": "pear"}]},
    )
    # A migration that renames the column the old code reads breaks it, visibly.
    with closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("ALTER TABLE items RENAME COLUMN name TO title")
    status, body = get(url + "/items")
    assert status == 500 and "no such column: name" in body["error"]
    assert get(url + "/nowhere")[0] == 404


@pytest.mark.parametrize("kind", KINDS)
def test_missing_database_and_config_fail_health(kind, tmp_path: Path, launcher):
    root = make_root(tmp_path, "v1")
    config = root / "shared" / "config.env"
    config.write_text("DATABASE_PATH=missing.db\n")
    url = launcher(kind, root).url
    status, health = get(url + "/healthz")
    assert status == 503 and health["status"] == "fail"
    assert health["checks"]["database"][0]["status"] == "fail"
    assert get(url + "/items")[0] == 500


def test_unreadable_config_fails_health(tmp_path: Path, launcher):
    root = make_root(tmp_path, "v1")
    (root / "shared" / "config.env").write_text("GREETING hello\n")
    url = launcher("gunicorn", root, workers=1).url
    status, health = get(url + "/healthz")
    assert status == 503
    assert health["checks"]["config"][0] == {
        "status": "fail",
        "output": f"{root}/shared/config.env:1: expected KEY=VALUE",
    }


@pytest.mark.parametrize("kind", ["gunicorn", "uvicorn", "supervisord"])
def test_reload_rereads_config(kind, tmp_path: Path, launcher):
    root = make_root(tmp_path, "v1")
    launched = launcher(kind, root)
    assert get(launched.url + "/")[1]["greeting"] == "hello"
    (root / "shared" / "config.env").write_text(f"GREETING='good morning'\nSMOKE_TOKEN={TOKEN}2\n")
    adapter_for(launched.spec, root).reload()
    for _ in range(4):  # every worker, whichever answers
        assert get(launched.url + "/")[1]["greeting"] == "good morning"
    assert get(launched.url + "/api/account", token=TOKEN + "2")[0] == 200


def test_broken_releases(tmp_path: Path, launcher):
    root = make_root(tmp_path, "v1", "v2", "v3", broken={"v2": "smoke", "v3": "health"})
    launched = launcher("gunicorn", root, workers=1)
    adapter = adapter_for(launched.spec, root)
    assert get(launched.url + "/api/account", token=TOKEN)[0] == 200
    switch(root, "v2")
    adapter.reload()
    assert get(launched.url + "/api/account", token=TOKEN)[0] == 404
    assert get(launched.url + "/healthz")[0] == 200
    switch(root, "v3")
    adapter.reload()
    status, health = get(launched.url + "/healthz")
    assert status == 503 and health["checks"]["database"][0]["status"] == "fail"
    assert get(launched.url + "/api/account", token=TOKEN)[0] == 200
    assert get(launched.url + "/")[1]["version"] == "v3"  # readiness is not health
