"""``deploy``, ``rollback``, ``deployments``, ``status`` end to end on a real repository.

The "service" here is the release tree itself: a smoke test reads the live
release's STATUS file through the ``current`` symlink, so the outcome of each
deploy is decided by what was committed, exactly as a real smoke test is by
what the new code serves. The process-manager runs are in test_deploy_service.py.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from tests.conftest import git
from tests.deployrepo import PY, cg, cut, events, setup


def env_toml(root: Path, extra: str = "") -> str:
    return f"""
[environments.prod]
deploy_root = "{root}"
keep_releases = 3
{extra}
[[environments.prod.smoke]]
name = "release answers ok"
kind = "command"
command = ["sh", "-c", "grep -qx ok current/STATUS"]
retries = 1
backoff_seconds = 0.05
"""


@pytest.fixture
def prod(repo: Path, tmp_path: Path) -> tuple[Path, Path]:
    root = tmp_path / "srv"
    setup(repo, env_toml(root))
    return repo, root


def live(root: Path) -> str:
    return os.readlink(root / "current")


def test_plan_prints_the_procedure_and_changes_nothing(prod):
    repo, root = prod
    cut(repo, "v1", {"STATUS": "ok\n"})
    code, out, _ = cg(repo, "deploy", "v1", "--env", "prod", "--plan")
    assert code == 0
    lines = [line for line in out.splitlines() if line[:2].rstrip(".").isdigit()]
    assert [line.split(":")[0].split(". ")[1] for line in lines] == [
        "verify",
        "migrate",
        "smoke-previous",
        "config",
        "switch",
        "reload",
        "smoke",
        "record",
    ]
    assert "first deploy" in out
    assert not root.exists()
    assert events(repo, "deploy.*") == []


def test_deploy_records_every_step_and_rolls_back_on_failed_smoke(prod):
    repo, root = prod
    c1 = cut(repo, "v1", {"STATUS": "ok\n"})
    code, out, err = cg(repo, "deploy", "v1", "--env", "prod", actor="dep@example.com")
    assert code == 0, out + err
    assert live(root) == "releases/v1"
    cut(repo, "v2", {"STATUS": "broken\n"})
    code, out, err = cg(repo, "deploy", "v2", "--env", "prod", actor="dep@example.com")
    assert code == 1, out + err
    assert "ROLLED BACK" in out
    assert live(root) == "releases/v1"
    finished = [e["payload"] for e in events(repo, "deploy.finished")]
    assert [(f["kind"], f["tag"], f["outcome"]) for f in finished] == [
        ("deploy", "v1", "deployed"),
        ("deploy", "v2", "rolled-back"),
        ("rollback", "v1", "deployed"),
    ]
    assert finished[0]["commit"] == c1
    assert finished[0]["deployer"] == "dep@example.com"
    assert finished[1]["failed_step"] == "smoke"
    assert finished[2]["rollback_of"] == finished[1]["deployment"]
    assert finished[2]["reason"].startswith("automatic: smoke failed")
    assert finished[1]["smoke"][0]["status"] == "fail"
    assert finished[1]["smoke"][0]["attempts"] == 2  # one retry, then it counts
    steps = [e["payload"]["step"] for e in events(repo, "deploy.step")]
    assert steps[:8] == [
        "verify",
        "migrate",
        "smoke-previous",
        "config",
        "switch",
        "reload",
        "smoke",
        "record",
    ]
    assert not (root / "deploy.lock").exists()
    code, out, _ = cg(repo, "deployments", "--env", "prod", "--format", "json")
    assert [d["outcome"] for d in json.loads(out)["deployments"]] == [
        "deployed",
        "rolled-back",
        "deployed",
    ]


def test_one_command_rollback_and_release_retention(prod):
    repo, root = prod
    for n in range(1, 5):
        cut(repo, f"v{n}", {"STATUS": "ok\n", "n.txt": f"{n}\n"})
        code, out, err = cg(repo, "deploy", f"v{n}", "--env", "prod")
        assert code == 0, out + err
    assert sorted(p.name for p in (root / "releases").iterdir()) == ["v2", "v3", "v4"]
    code, out, err = cg(repo, "rollback", "--env", "prod")
    assert code == 2 and "--reason is required" in err
    code, out, err = cg(repo, "rollback", "--env", "prod", "--reason", "latency regression")
    assert code == 0, out + err
    assert live(root) == "releases/v3"
    # a second rollback goes further back, not forward to the release just undone
    code, out, err = cg(repo, "rollback", "--env", "prod", "--reason", "still slow")
    assert code == 0, out + err
    assert live(root) == "releases/v2"
    code, out, err = cg(repo, "rollback", "--env", "prod", "--to", "v9", "--reason", "x")
    assert code == 2 and "never deployed" in err
    code, out, _ = cg(repo, "status", "--env", "prod", "--format", "json")
    state = json.loads(out)["environments"][0]
    assert state["current"] == "v2" and state["consistent"]
    rollbacks = [e["payload"] for e in events(repo, "deploy.finished")][-2:]
    assert [r["reason"] for r in rollbacks] == ["latency regression", "still slow"]


def test_only_recorded_annotated_release_tags_deploy(prod):
    repo, _ = prod
    (repo / "STATUS").write_text("ok\n")
    git(repo, "add", "STATUS")
    git(repo, "commit", "-qm", "unchecked")
    git(repo, "tag", "light")
    git(repo, "tag", "-a", "manual", "-m", "by hand")
    code, _, err = cg(repo, "deploy", "nope", "--env", "prod")
    assert code == 2 and "not a tag" in err
    code, _, err = cg(repo, "deploy", "light", "--env", "prod")
    assert code == 1 and "lightweight" in err
    code, _, err = cg(repo, "deploy", "manual", "--env", "prod")
    assert code == 1 and "no recorded release" in err
    code, _, err = cg(repo, "deploy", "v1", "--env", "staging")
    assert code == 2 and "no [environments.staging]" in err


def test_lock_refuses_a_second_deploy_and_a_stale_one_is_broken_with_a_reason(prod):
    repo, root = prod
    cut(repo, "v1", {"STATUS": "ok\n"})
    root.mkdir(parents=True)
    dead = subprocess.Popen(["true"])
    dead.wait()
    lock = {
        "deployment": "D-dead",
        "kind": "deploy",
        "environment": "prod",
        "tag": "v0",
        "previous_tag": None,
        "actor": "gone@example.com",
        "started_at": "2026-11-24T00:00:00.000000Z",
        "pid": dead.pid,
        "host": os.uname().nodename,
        "done": ["verify"],
        "data": {},
    }
    (root / "deploy.lock").write_text(json.dumps(lock))
    code, _, err = cg(repo, "deploy", "v1", "--env", "prod")
    assert code == 2 and "STALE" in err and "gone@example.com" in err
    code, _, err = cg(repo, "deploy", "--break-lock", "--env", "prod")
    assert code == 2 and "--reason" in err
    code, out, err = cg(repo, "deploy", "--break-lock", "--env", "prod", "--reason", "box rebooted")
    assert code == 0, err
    assert events(repo, "deploy.lock_broken")[0]["payload"]["reason"] == "box rebooted"
    code, out, err = cg(repo, "deploy", "v1", "--env", "prod")
    assert code == 0, out + err


ORDER = ["verify", "migrate", "smoke-previous", "config", "switch", "reload", "smoke", "record"]


HOOK_WAIT = """
[environments.prod.hooks]
{step} = ["touch {flag}; while [ ! -e {gate} ]; do sleep 0.02; done"]
"""


@pytest.mark.parametrize("step", ORDER)
def test_kill_9_at_each_step_then_resume_or_rollback(repo, tmp_path, step):
    """A hook before ``step`` waits on a gate file, so the kill lands exactly there.

    v2 is killed there and resumed; v3 is killed there and rolled back.
    """
    root = tmp_path / "srv"
    flag, gate = tmp_path / "at-step", tmp_path / "gate"
    setup(repo, env_toml(root, HOOK_WAIT.format(step=step, flag=flag, gate=gate)))
    gate.touch()
    cut(repo, "v1", {"STATUS": "ok\n"})
    code, out, err = cg(repo, "deploy", "v1", "--env", "prod")
    assert code == 0, out + err
    switched = step in ("reload", "smoke", "record")

    def killed_deploy(tag: str, before: str) -> None:
        gate.unlink()
        flag.unlink()
        cut(repo, tag, {"STATUS": "ok\n", "v": f"{tag}\n"})
        proc = subprocess.Popen(
            [PY, "-m", "changegate.cli.main", "-C", str(repo), "deploy", tag, "--env", "prod"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            _wait_for(flag)
        finally:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        assert live(root) == f"releases/{tag if switched else before}"  # one symlink: no mix
        code, _, err = cg(repo, "deploy", tag, "--env", "prod")
        assert code == 2 and "STALE" in err
        gate.touch()

    killed_deploy("v2", "v1")
    code, out, err = cg(repo, "deploy", "--resume", "--env", "prod")
    assert code == 0, out + err
    assert live(root) == "releases/v2"
    final = events(repo, "deploy.finished")[-1]["payload"]
    assert (final["tag"], final["outcome"]) == ("v2", "deployed")
    assert events(repo, "deploy.resumed")[0]["payload"]["done"] == _before(step)
    assert not (root / "deploy.lock").exists()

    killed_deploy("v3", "v2")
    code, out, err = cg(repo, "rollback", "--env", "prod", "--reason", "interrupted")
    assert code == 0, out + err
    assert live(root) == "releases/v2"
    finished = [e["payload"] for e in events(repo, "deploy.finished")]
    assert (finished[-2]["tag"], finished[-2]["outcome"]) == ("v3", "failed")
    assert (finished[-1]["kind"], finished[-1]["tag"]) == ("rollback", "v2")
    assert finished[-1]["rollback_of"] == finished[-2]["deployment"]
    assert not (root / "deploy.lock").exists()


def _before(step: str) -> list[str]:
    return ORDER[: ORDER.index(step)]


def _wait_for(path: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)


def test_emergency_release_deploys_restarts_the_retro_clock_and_needs_owner_input_to_roll_back(
    prod,
):
    repo, root = prod
    cut(repo, "v1", {"STATUS": "ok\n"})
    assert cg(repo, "deploy", "v1", "--env", "prod")[0] == 0
    (repo / "STATUS").write_text("ok\n")
    (repo / "hotfix.txt").write_text("fix\n")
    git(repo, "add", "hotfix.txt")
    git(repo, "commit", "-qm", "hotfix")
    code, out, err = cg(
        repo,
        "emergency",
        "declare",
        "--incident",
        "INC-9",
        "--sev",
        "SEV1",
        "--reason",
        "outage",
        "--base",
        "HEAD~1",
    )
    assert code == 0, out + err
    code, out, err = cg(repo, "release", "v2")
    assert code == 0 and "emergency" in out, out + err
    code, out, err = cg(repo, "deploy", "v2", "--env", "prod", actor="dev@example.com")
    assert code == 0, out + err
    final = events(repo, "deploy.finished")[-1]["payload"]
    assert final["emergency"].startswith("EMG-")
    deployed = events(repo, "emergency.deployed")
    assert len(deployed) == 1
    assert deployed[0]["payload"]["deployment"] == final["deployment"]
    code, out, _ = cg(repo, "emergency", "list", "--format", "json")
    state = json.loads(out)["emergencies"][0]
    assert state["deployed_at"] == final["ended_at"]
    assert state["due"] == deployed[0]["payload"]["due"]
    # §4: rolling back a SEV-level deploy takes the policy owner's input first
    code, _, err = cg(
        repo, "rollback", "--env", "prod", "--reason", "bad fix", actor="dev@example.com"
    )
    assert code == 1 and "owner@example.com" in err
    code, _, err = cg(
        repo, "rollback", "--env", "prod", "--owner-input", "ok", actor="dev@example.com"
    )
    assert code == 1 and "only the policy owner" in err
    code, out, err = cg(
        repo,
        "rollback",
        "--env",
        "prod",
        "--owner-input",
        "agreed: roll back",
        actor="owner@example.com",
    )
    assert code == 0, out + err
    code, out, err = cg(
        repo, "rollback", "--env", "prod", "--reason", "bad fix", actor="dev@example.com"
    )
    assert code == 0, out + err
    assert live(root) == "releases/v1"


def test_schema_rollback_needs_an_approval_by_someone_else(repo, tmp_path, monkeypatch):
    import sqlite3

    root = tmp_path / "srv"
    db = tmp_path / "app.sqlite"
    monkeypatch.setenv("APP_DB", f"sqlite:///{db}")
    text = env_toml(root).replace(
        "keep_releases = 3", 'keep_releases = 3\ndatabase_url_env = "APP_DB"'
    )
    text += '\n[[gates.migrations.sets]]\npath = "db"\nformat = "golang-migrate"\n'
    setup(repo, text)
    cut(
        repo,
        "v1",
        {
            "STATUS": "ok\n",
            "db/000001_t.up.sql": "CREATE TABLE t (id INTEGER PRIMARY KEY);\n",
            "db/000001_t.down.sql": "DROP TABLE t;\n",
        },
    )
    assert cg(repo, "deploy", "v1", "--env", "prod")[0] == 0
    cut(
        repo,
        "v2",
        {
            "db/000002_u.up.sql": "CREATE TABLE u (id INTEGER PRIMARY KEY);\n",
            "db/000002_u.down.sql": "DROP TABLE u;\n",
        },
    )
    code, out, err = cg(repo, "deploy", "v2", "--env", "prod", actor="dev@example.com")
    assert code == 0, out + err
    tables = lambda: {r[0] for r in sqlite3.connect(db).execute("SELECT name FROM sqlite_master")}  # noqa: E731
    assert "u" in tables()
    args = ("rollback", "--env", "prod", "--to", "v1", "--schema", "--reason", "undo u")
    code, _, err = cg(repo, *args, actor="dev@example.com")
    assert code == 1 and "explicit approval" in err
    approve = ("rollback", "--env", "prod", "--to", "v1", "--approve-schema", "--reason", "ok")
    code, _, err = cg(repo, *approve, actor="dev@example.com")
    assert code == 1 and "not a reviewer" in err
    code, out, err = cg(repo, *approve, actor="owner@example.com")
    assert code == 0, out + err
    code, out, err = cg(repo, *args, actor="dev@example.com")
    assert code == 0, out + err
    assert "u" not in tables() and "t" in tables()
    final = events(repo, "deploy.finished")[-1]["payload"]
    assert [(m["version"], m["direction"]) for m in final["migrations_applied"]] == [
        ("000002", "down")
    ]
