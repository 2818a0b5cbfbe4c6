"""Recovery paths found in review: a run killed after its record, an interrupted rollback,
a schema rollback after a code rollback, failed migrations on record, who may roll back."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import time
from pathlib import Path

import pytest
from tests.cli.test_deploy import env_toml
from tests.deployrepo import PY, cg, cut, events, setup

STEPS = ["verify", "migrate", "smoke-previous", "config", "switch", "reload", "smoke", "record"]


def live(root: Path) -> str:
    return os.readlink(root / "current")


def dead_pid() -> int:
    proc = subprocess.Popen(["true"])
    proc.wait()
    return proc.pid


def journal_of(root: Path, finished: dict, kind: str, done: list[str]) -> None:
    """The lock a run killed right after writing ``finished`` leaves behind."""
    (root / "deploy.lock").write_text(
        json.dumps(
            {
                "deployment": finished["deployment"],
                "kind": kind,
                "environment": "prod",
                "tag": finished["tag"],
                "previous_tag": finished["previous_tag"],
                "actor": finished["deployer"],
                "started_at": finished["started_at"],
                "pid": dead_pid(),
                "host": os.uname().nodename,
                "done": done,
                "data": {"commit": finished["commit"], "basis": finished["basis"]},
            }
        )
    )


@pytest.fixture
def prod(repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "srv"
    setup(repo, env_toml(root))
    return repo, root


def test_a_run_killed_after_its_record_is_finished_without_a_second_record(prod):
    repo, root = prod
    cut(repo, "v1", {"STATUS": "ok\n"})
    cut(repo, "v2", {"STATUS": "ok\n", "v": "2\n"})
    assert cg(repo, "deploy", "v1", "--env", "prod")[0] == 0
    assert cg(repo, "deploy", "v2", "--env", "prod")[0] == 0
    finished = events(repo, "deploy.finished")[-1]["payload"]
    journal_of(root, finished, "deploy", STEPS)
    code, out, err = cg(repo, "deploy", "--resume", "--env", "prod")
    assert code == 0, out + err
    ids = [e["payload"]["deployment"] for e in events(repo, "deploy.finished")]
    assert ids.count(finished["deployment"]) == 1
    assert not (root / "deploy.lock").exists()


def test_a_pending_automatic_rollback_is_carried_out_on_resume(prod):
    repo, root = prod
    cut(repo, "v1", {"STATUS": "ok\n"})
    cut(repo, "v2", {"STATUS": "broken\n"})
    assert cg(repo, "deploy", "v1", "--env", "prod")[0] == 0
    assert cg(repo, "deploy", "v2", "--env", "prod")[0] == 1  # smoke fails, rolled back
    rolled_back, rollback = [e["payload"] for e in events(repo, "deploy.finished")][-2:]
    # Replay the moment after v2 was recorded rolled-back, before the rollback took the lock.
    os.unlink(root / "current")
    os.symlink("releases/v2", root / "current")
    journal_of(root, rolled_back, "deploy", STEPS[:6])
    code, out, err = cg(repo, "deploy", "--resume", "--env", "prod")
    assert code == 1, out + err  # the deploy it resumed did not succeed
    assert live(root) == "releases/v1"
    finished = [e["payload"] for e in events(repo, "deploy.finished")]
    assert [f["deployment"] for f in finished].count(rolled_back["deployment"]) == 1
    assert finished[-1]["kind"] == "rollback"
    assert finished[-1]["rollback_of"] == rolled_back["deployment"]
    assert rollback["deployment"] != finished[-1]["deployment"]


def test_rollback_after_an_interrupted_rollback_finishes_it(repo, tmp_path):
    root = tmp_path / "srv"
    flag, gate = tmp_path / "at-step", tmp_path / "gate"
    wait = f"touch {flag}; while [ ! -e {gate} ]; do sleep 0.02; done"
    hook = f'[environments.prod.hooks]\nreload = ["{wait}"]\n'
    setup(repo, env_toml(root, hook))
    gate.touch()
    for n in (1, 2, 3):
        cut(repo, f"v{n}", {"STATUS": "ok\n", "n": f"{n}\n"})
        code, out, err = cg(repo, "deploy", f"v{n}", "--env", "prod")
        assert code == 0, out + err
    gate.unlink()
    flag.unlink()
    proc = subprocess.Popen(
        [
            PY,
            "-m",
            "changegate.cli.main",
            "-C",
            str(repo),
            "rollback",
            "--env",
            "prod",
            "--reason",
            "r",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not flag.exists():
        assert time.monotonic() < deadline
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=10)
    assert live(root) == "releases/v2"  # switched, then killed before the reload
    gate.touch()
    code, out, err = cg(repo, "rollback", "--env", "prod", "--reason", "finish it")
    assert code == 0, out + err
    assert live(root) == "releases/v2"  # not one release further (v1)
    finished = [e["payload"] for e in events(repo, "deploy.finished")]
    v3 = next(f for f in finished if f["tag"] == "v3")
    assert finished[-1]["rollback_of"] == v3["deployment"]
    assert finished[-2]["kind"] == "rollback" and finished[-2]["outcome"] == "failed"


def test_schema_rollback_after_a_code_rollback_and_failed_migrations_on_record(
    repo, tmp_path, monkeypatch
):
    root, db = tmp_path / "srv", tmp_path / "app.sqlite"
    monkeypatch.setenv("APP_DB", f"sqlite:///{db}")
    text = env_toml(root, 'database_url_env = "APP_DB"')
    text += '\n[[gates.migrations.sets]]\npath = "db"\nformat = "golang-migrate"\n'
    setup(repo, text)
    t = {
        "db/000001_t.up.sql": "CREATE TABLE t (id INTEGER);\n",
        "db/000001_t.down.sql": "DROP TABLE t;\n",
    }
    u = {
        "db/000002_u.up.sql": "CREATE TABLE u (id INTEGER);\n",
        "db/000002_u.down.sql": "DROP TABLE u;\n",
    }
    cut(repo, "v1", {"STATUS": "ok\n", **t})
    assert cg(repo, "deploy", "v1", "--env", "prod")[0] == 0
    cut(repo, "v2", u)
    assert cg(repo, "deploy", "v2", "--env", "prod")[0] == 0
    assert cg(repo, "rollback", "--env", "prod", "--reason", "code only")[0] == 0

    def tables() -> set[str]:
        with sqlite3.connect(db) as conn:
            return {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}

    assert "u" in tables()  # the code rollback left the schema alone
    approve = ("rollback", "--env", "prod", "--to", "v1", "--approve-schema", "--reason", "ok")
    assert cg(repo, *approve, actor="owner@example.com")[0] == 0
    code, out, err = cg(
        repo, "rollback", "--env", "prod", "--to", "v1", "--schema", "--reason", "undo u"
    )
    assert code == 0, out + err
    assert "u" not in tables() and "t" in tables()
    # the approval was used: a second schema rollback needs a new one
    code, _, err = cg(
        repo, "rollback", "--env", "prod", "--to", "v1", "--schema", "--reason", "again"
    )
    assert code == 1 and "approval" in err

    cut(
        repo,
        "v4",
        {
            "db/000003_v.up.sql": "CREATE TABLE v (id INTEGER);\n",
            "db/000003_v.down.sql": "DROP TABLE v;\n",
            "db/000004_w.up.sql": "INSERT INTO nowhere VALUES (1);\n",
            "db/000004_w.down.sql": "DELETE FROM nowhere;\n",
        },
    )
    code, out, err = cg(repo, "deploy", "v4", "--env", "prod")
    assert code == 1, out + err
    final = events(repo, "deploy.finished")[-1]["payload"]
    assert final["failed_step"] == "migrate"
    assert [m["version"] for m in final["migrations_applied"]] == ["000002", "000003"]
    assert final["schema_state"] == {"db": "000003"}
    assert {"u", "v"} <= tables() and live(root) == "releases/v1"


def test_only_deployers_deploy_roll_back_resume_or_break_locks(repo, tmp_path):
    root = tmp_path / "srv"
    setup(
        repo,
        env_toml(root).replace(
            "keep_releases = 3", 'keep_releases = 3\ndeployers = ["dep@example.com"]'
        ),
    )
    cut(repo, "v1", {"STATUS": "ok\n"})
    cut(repo, "v2", {"STATUS": "ok\n", "v": "2\n"})
    code, _, err = cg(repo, "deploy", "v1", "--env", "prod", actor="mallory@example.com")
    assert code == 1 and "may not deploy" in err
    for tag in ("v1", "v2"):
        assert cg(repo, "deploy", tag, "--env", "prod", actor="dep@example.com")[0] == 0
    code, _, err = cg(
        repo, "rollback", "--env", "prod", "--reason", "x", actor="mallory@example.com"
    )
    assert code == 1 and "may not deploy to or roll back" in err
    assert live(root) == "releases/v2"
    code, _, err = cg(
        repo,
        "deploy",
        "--break-lock",
        "--env",
        "prod",
        "--reason",
        "x",
        actor="mallory@example.com",
    )
    assert code == 1


def test_a_tag_that_cannot_be_a_directory_is_refused(prod):
    repo, _ = prod
    (repo / "STATUS").write_text("ok\n")
    subprocess.run(["git", "-C", str(repo), "add", "STATUS"], check=True)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "x"], check=True)
    assert cg(repo, "check", "--base", "HEAD~1", "--head", "HEAD")[0] == 0
    code, _, err = cg(repo, "release", "rel/v2")
    assert code == 2 and "release tag name" in err
    subprocess.run(["git", "-C", str(repo), "tag", "-a", "rel/v3", "-m", "x"], check=True)
    code, _, err = cg(repo, "deploy", "rel/v3", "--env", "prod")
    assert code == 2 and "directory name" in err
