"""`changegate check` and signed reviews end to end: real repositories, real SSH keys, real
tools in a clean worktree."""

from __future__ import annotations

import json
import subprocess

import pytest
from tests.cli.teamrepo import PY, approve, cg, change, verdict
from tests.conftest import git


def test_review_flow_on_a_normal_change(team):
    repo, keys = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
    v = verdict(repo)
    assert v["verdict"] == "blocked" and v["by_gate"]["review"]["status"] == "fail"
    assert v["classification"]["labels"] == ["normal"]
    for gate in ("lint", "types", "tests", "secrets", "migrations"):
        assert v["by_gate"][gate]["status"] == "pass", v["by_gate"][gate]
    assert v["by_gate"]["adversarial_review"]["status"] == "skipped"

    code, _, err = approve(repo, "alice", keys)
    assert code == 0, err
    v = verdict(repo)
    assert (
        v["verdict"] == "pass"
        and v["by_gate"]["review"]["reason"] == "approved by alice@example.com"
    )

    # A new commit that changes the diff dismisses the approval...
    change(repo, "app/core.py", "def add(a, b):\n    return a + b + 0\n", "tweak")
    assert verdict(repo)["by_gate"]["review"]["status"] == "fail"
    # ...a rebase that keeps the patch-id keeps it.
    approve(repo, "bob", keys)
    git(repo, "checkout", "-q", "main")
    change(repo, "docs/guide.md", "# Guide\n\nMore.\n", "docs on main")
    git(repo, "checkout", "-q", "feature")
    git(repo, "rebase", "-q", "main")
    v = verdict(repo)
    assert v["verdict"] == "pass" and "bob@example.com" in v["by_gate"]["review"]["reason"]

    code, out, _ = cg(repo, "audit", "log", "--action", "check.verdict", "--format", "json")
    assert [e["payload"]["verdict"] for e in json.loads(out)["events"]][-1] == "pass"


def test_self_approval_and_wrong_key_are_rejected(team):
    repo, keys = team
    git(repo, "config", "user.email", "bob@example.com")
    change(repo, "app/core.py", "def add(a, b):\n    return a + b  # bob\n", "bob's change")
    code, _, err = approve(repo, "bob", keys)
    assert code == 1 and "cannot review their own change" in err
    carol_key = ["review", "approve", "--base", "main", "--key", str(keys["carol"])]
    code, _, err = cg(repo, *carol_key, actor="alice@example.com")
    assert code == 2 and "not the key the policy lists" in err
    code, _, err = cg(repo, *carol_key, actor="mallory@example.com")
    assert code == 1 and "not a reviewer" in err
    assert verdict(repo)["verdict"] == "blocked"


def test_security_change_needs_an_independent_adversarial_review(team):
    repo, keys = team
    change(repo, "app/auth/tokens.py", "TTL = 3600\n", "token ttl")
    approve(repo, "alice", keys)
    v = verdict(repo)
    assert v["classification"]["security"] and v["by_gate"]["review"]["status"] == "pass"
    assert v["by_gate"]["adversarial_review"]["status"] == "fail"
    # The approver cannot also be the adversary.
    approve(repo, "alice", keys, "--adversarial")
    assert verdict(repo)["by_gate"]["adversarial_review"]["status"] == "fail"
    code, out, _ = approve(
        repo,
        "bob",
        keys,
        "--adversarial",
        "--finding",
        "TTL of an hour is too long for refresh tokens",
    )
    assert code == 0
    fid = out.split("finding ")[1].split(":")[0]
    assert fid.startswith("F") and len(fid) == 9
    v = verdict(repo)
    assert v["by_gate"]["adversarial_review"]["status"] == "fail"
    assert "too long" in v["by_gate"]["adversarial_review"]["findings"][0]["message"]
    approve(repo, "carol", keys, "--resolve", fid)
    v = verdict(repo)
    assert v["verdict"] == "pass", v["by_gate"]["adversarial_review"]


def test_a_trivial_docs_change_needs_no_review(team):
    repo, _ = team
    change(repo, "docs/guide.md", "# Guide\n\nFixed a typo.\n", "docs")
    v = verdict(repo)
    assert v["verdict"] == "pass" and v["classification"]["trivial"]
    assert v["by_gate"]["review"]["status"] == "skipped"


@pytest.mark.parametrize(
    ("path", "text", "gate"),
    [
        ("app/core.py", "import os\ndef add(a, b):\n    return a + b\n", "lint"),
        ("app/core.py", "def add(a, b):\n    return a +\n", "types"),
        ("app/core.py", "def add(a, b):\n    return a - b\n", "tests"),
        (
            "app/config.py",
            'TOKEN = "ghp_' + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8" + '"\n',
            "secrets",
        ),
        ("migrations/0001_drop.up.sql", "DROP TABLE customers;\n", "migrations"),
    ],
)
def test_each_failing_gate_blocks(team, path, text, gate):
    repo, keys = team
    change(repo, path, text, f"break {gate}")
    approve(repo, "alice", keys)
    v = verdict(repo)
    assert v["verdict"] == "blocked"
    assert v["by_gate"][gate]["status"] == "fail", v["by_gate"][gate]


def test_missing_tool_is_an_error_not_a_pass(team):
    repo, keys = team
    policy = (
        (repo / "changegate.toml")
        .read_text()
        .replace(f'["{PY}", "-m", "compileall", "-q", "app"]', '["no-such-type-checker", "app"]')
    )
    git(repo, "checkout", "-q", "main")
    (repo / "changegate.toml").write_text(policy)
    git(repo, "commit", "-qam", "types via a tool that is not installed")
    git(repo, "checkout", "-q", "feature")
    git(repo, "rebase", "-q", "main")
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
    approve(repo, "alice", keys)
    v = verdict(repo)
    assert v["by_gate"]["types"]["status"] == "error"
    assert "no-such-type-checker: command not found" in v["by_gate"]["types"]["reason"]
    assert v["verdict"] == "blocked"


def test_markdown_and_bad_base(team):
    repo, _ = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
    code, out, _ = cg(repo, "check", "--base", "main", "--format", "markdown")
    assert code == 1 and "⛔ **blocked**" in out and "**To clear:**" in out
    code, _, err = cg(repo, "check", "--base", "nope")
    assert code == 2 and "nope: unknown revision" in err


def test_model_as_the_adversarial_reviewer(team, monkeypatch):
    from tests.chat_server import ChatServer

    repo, keys = team
    server = ChatServer()
    try:
        git(repo, "checkout", "-q", "main")
        with (repo / "changegate.toml").open("a") as fh:
            fh.write(
                f'\n[gates.adversarial_review.model]\nendpoint = "{server.url}"\n'
                'model = "reviewer-large"\ntimeout_seconds = 5\n'
            )
        git(repo, "commit", "-qam", "adversarial pass by a model")
        git(repo, "checkout", "-q", "feature")
        git(repo, "rebase", "-q", "main")
        change(repo, "app/auth/tokens.py", "TTL = 3600\n", "token ttl")
        approve(repo, "alice", keys)
        server.content = json.dumps({"findings": [{"title": "TTL too long", "severity": "high"}]})
        v = verdict(repo)
        gate = v["by_gate"]["adversarial_review"]
        assert gate["status"] == "fail" and gate["evidence"]["model"] == "reviewer-large-2026-10"
        message = gate["findings"][0]["message"]
        assert "TTL too long" in message
        fid = message.rsplit("[", 1)[1].rstrip("]")
        verdict(repo)
        assert len(server.requests) == 1  # the model's review of this diff is reused
        approve(repo, "bob", keys, "--resolve", fid)
        assert verdict(repo)["verdict"] == "pass"

        change(repo, "app/auth/tokens.py", "TTL = 600\n", "shorter ttl")
        approve(repo, "alice", keys)
        server.content = "I think it is fine"
        gate = verdict(repo)["by_gate"]["adversarial_review"]
        assert gate["status"] == "error" and "not the expected JSON" in gate["reason"]
    finally:
        server.close()


def test_a_hanging_command_times_out_as_an_error(team):
    repo, _ = team
    git(repo, "checkout", "-q", "main")
    text = (
        (repo / "changegate.toml")
        .read_text()
        .replace(
            f'command = ["{PY}", "-m", "compileall", "-q", "app"]',
            f'command = ["{PY}", "-c", "import time; time.sleep(60)"]\ntimeout_seconds = 1',
        )
    )
    (repo / "changegate.toml").write_text(text)
    git(repo, "commit", "-qam", "a type checker that hangs")
    git(repo, "checkout", "-q", "feature")
    git(repo, "rebase", "-q", "main")
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
    gate = verdict(repo)["by_gate"]["types"]
    assert gate["status"] == "error" and "no answer after 1s" in gate["reason"]


def test_unchanged_change_reuses_gate_results(team):
    repo, keys = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
    first = verdict(repo)
    assert "cached_from_seq" not in first["by_gate"]["lint"]["evidence"]
    approve(repo, "alice", keys)
    second = verdict(repo)
    for gate in ("lint", "types", "tests", "migrations"):
        assert second["by_gate"][gate]["evidence"]["cached_from_seq"] > 0, gate
        assert second["by_gate"][gate]["status"] == first["by_gate"][gate]["status"]
    # Reviews are never cached: the new approval counts at once.
    assert second["verdict"] == "pass"
    change(repo, "app/core.py", "def add(a, b):\n    return a + b\n", "back")
    assert "cached_from_seq" not in verdict(repo)["by_gate"]["lint"]["evidence"]


def test_merge_only_on_a_passing_verdict(team):
    repo, keys = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
    git(repo, "checkout", "-q", "main")
    code, _, err = cg(repo, "merge", "feature")
    assert code == 1 and "no passing verdict" in err
    git(repo, "checkout", "-q", "feature")
    approve(repo, "alice", keys)
    assert verdict(repo)["verdict"] == "pass"
    git(repo, "checkout", "-q", "main")
    code, out, err = cg(repo, "merge", "feature")
    assert code == 0, err
    message = git(repo, "log", "-1", "--format=%B")
    assert "changegate verdict: pass" in message and "evidence:" in message
    code, out, _ = cg(repo, "audit", "log", "--action", "change.merged", "--format", "json")
    (event,) = json.loads(out)["events"]
    assert event["subject"] == git(repo, "rev-parse", "HEAD").strip()


def test_ci_github_writes_the_workflow(team):
    repo, _ = team
    code, out, _ = cg(repo, "ci", "github")
    assert "required" in out
    text = (repo / ".github" / "workflows" / "changegate.yml").read_text()
    assert code == 0 and "changegate check --base" in text and "refs/notes/changegate" in text
    assert "${{ secrets.CHANGEGATE_DB }}" in text


def test_github_pull_request_reviews_are_imported(team, monkeypatch):
    from tests.github_server import GitHubServer

    repo, _ = team
    server = GitHubServer()
    try:
        git(repo, "checkout", "-q", "main")
        text = (
            (repo / "changegate.toml")
            .read_text()
            .replace(
                'email = "alice@example.com"\n',
                'email = "alice@example.com"\ngithub = "alice-gh"\n',
            )
        )
        (repo / "changegate.toml").write_text(text)
        git(repo, "commit", "-qam", "alice's GitHub login")
        git(repo, "checkout", "-q", "feature")
        git(repo, "rebase", "-q", "main")
        change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
        head = git(repo, "rev-parse", "HEAD").strip()
        server.add_pull(
            "acme/orders",
            7,
            head,
            [
                ("alice-gh", "APPROVED", head),
                ("mallory", "APPROVED", head),
                ("alice-gh", "COMMENTED", head),
            ],
        )
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("GITHUB_TOKEN", "wrong")
        code, _, err = cg(repo, "review", "import", "--github", "acme/orders#7", "--base", "main")
        assert code == 2 and "HTTP 401" in err and "GITHUB_TOKEN" in err
        monkeypatch.setenv("GITHUB_TOKEN", server.token)
        code, out, _ = cg(repo, "review", "import", "--github", "acme/orders#7", "--base", "main")
        assert code == 0 and "imported alice@example.com (alice-gh): approve" in out
        assert "mallory: no reviewer in the policy" in out
        v = verdict(repo)
        assert v["verdict"] == "pass" and "alice@example.com" in v["by_gate"]["review"]["reason"]
        code, out, _ = cg(repo, "review", "import", "--github", "acme/orders#7", "--base", "main")
        assert "already imported" in out
        code, _, err = cg(repo, "review", "import", "--github", "acme/orders", "--base", "main")
        assert code == 2 and "OWNER/REPO#NUMBER" in err
    finally:
        server.close()


def test_pre_receive_hook_refuses_unverified_pushes(team, tmp_path, monkeypatch):
    repo, keys = team
    db = f"sqlite:///{tmp_path / 'team-ledger.db'}"
    monkeypatch.setenv("CHANGEGATE_DB", db)
    assert cg(repo, "init")[0] == 0  # the team ledger, shared by developers and the server
    server = tmp_path / "server.git"
    subprocess.run(["git", "init", "-q", "--bare", str(server)], check=True)
    git(repo, "push", "-q", str(server), "main")
    code, out, _ = cg(server, "hook", "install", "--pre-receive", "--branch", "main")
    assert code == 0 and "need a passing recorded verdict" in out

    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
    git(repo, "checkout", "-q", "main")
    git(repo, "merge", "-q", "--no-ff", "-m", "sneaky merge", "feature")
    push = subprocess.run(
        ["git", "push", "-q", str(server), "main"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert push.returncode != 0 and "no passing recorded verdict" in push.stderr
    git(repo, "reset", "-q", "--hard", "HEAD~1")

    git(repo, "checkout", "-q", "feature")
    approve(repo, "alice", keys)
    assert verdict(repo)["verdict"] == "pass"
    git(repo, "checkout", "-q", "main")
    assert cg(repo, "merge", "feature")[0] == 0
    push = subprocess.run(
        ["git", "push", "-q", str(server), "main"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert push.returncode == 0, push.stderr
    # Other branches are not protected.
    git(repo, "push", "-q", str(server), "feature")


def test_every_commit_catches_a_broken_intermediate_commit(team):
    repo, keys = team
    change(repo, "app/core.py", "import os\ndef add(a, b):\n    return a + b\n", "unused import")
    change(repo, "app/core.py", "def add(a, b):\n    return a + b\n", "fixed")
    approve(repo, "alice", keys)
    assert verdict(repo)["by_gate"]["lint"]["status"] == "pass"  # HEAD alone is clean
    code, out, _ = cg(repo, "check", "--base", "main", "--every-commit", "--format", "json")
    lint = {g["name"]: g for g in json.loads(out)["gates"]}["lint"]
    assert code == 1 and lint["status"] == "fail" and lint["reason"].startswith("commit ")
    assert [c["status"] for c in lint["evidence"]["commits"]] == ["fail"]


def test_shallow_clone_without_the_merge_base(team, tmp_path):
    repo, _ = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
    shallow = tmp_path / "shallow"
    subprocess.run(
        [
            "git",
            "clone",
            "-q",
            "--depth",
            "1",
            "--branch",
            "feature",
            f"file://{repo}",
            str(shallow),
        ],
        check=True,
    )
    subprocess.run(
        ["git", "fetch", "-q", "--depth", "1", "origin", "main:main"], cwd=shallow, check=True
    )
    code, _, err = cg(shallow, "check", "--base", "main")
    assert code == 2 and "no merge base" in err and "shallow clone" in err


def test_verify_catches_a_force_push_that_drops_a_recorded_merge(team):
    repo, keys = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
    approve(repo, "alice", keys)
    assert verdict(repo)["verdict"] == "pass"
    git(repo, "checkout", "-q", "main")
    assert cg(repo, "merge", "feature")[0] == 0
    assert cg(repo, "audit", "verify")[0] == 0
    git(repo, "reset", "-q", "--hard", "HEAD~1")  # what a force-push would do to main
    code, _, err = cg(repo, "audit", "verify")
    assert code == 1 and "history REWRITTEN" in err and "no longer reachable from main" in err


def test_release_only_a_commit_that_passed(team):
    repo, keys = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
    code, _, err = cg(repo, "release", "v1.0.0")
    assert code == 1 and "no passing recorded verdict" in err
    assert not git(repo, "tag", "--list")
    approve(repo, "alice", keys)
    assert verdict(repo)["verdict"] == "pass"
    git(repo, "checkout", "-q", "main")
    assert cg(repo, "merge", "feature")[0] == 0
    code, out, err = cg(repo, "release", "v1.0.0")
    assert code == 0, err
    message = git(repo, "tag", "-l", "--format=%(contents)", "v1.0.0")
    assert "allowed by: merge seq" in message and "evidence: " in message
    assert (
        git(repo, "rev-parse", "v1.0.0^{commit}").strip() == git(repo, "rev-parse", "HEAD").strip()
    )
    code, _, err = cg(repo, "release", "v1.0.0")
    assert code == 2 and "already exists" in err
    code, _, err = cg(repo, "release", "not a tag")
    assert code == 2 and "not a release tag name" in err
    code, out, _ = cg(repo, "audit", "log", "--action", "release.created", "--format", "json")
    (event,) = json.loads(out)["events"]
    assert event["subject"] == "v1.0.0"
