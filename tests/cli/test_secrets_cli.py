"""Secret scanning from the CLI on real repositories: hook, scan, and the leak lifecycle."""

from __future__ import annotations

import json
import random
import string
import subprocess
from pathlib import Path

import pytest
from tests.cli.teamrepo import cg
from tests.conftest import git

from changegate.cli.main import main


def fake_github_token() -> str:
    """A random value in GitHub's token shape (never a live credential)."""
    rng = random.Random()
    return "ghp_" + "".join(rng.choice(string.ascii_letters + string.digits) for _ in range(36))


@pytest.fixture
def adopted(repo: Path) -> Path:
    assert main(["-C", str(repo), "init"]) == 0
    git(repo, "add", "changegate.toml", ".gitignore")
    git(repo, "commit", "-qm", "adopt changegate")
    return repo


def test_hook_blocks_a_secret_and_lets_a_clean_commit_through(adopted):
    previous = adopted / ".git" / "hooks" / "pre-commit"
    previous.write_text('#!/bin/sh\necho previous-hook-ran >> "$(git rev-parse --git-dir)/ran"\n')
    previous.chmod(0o755)
    code, out, _ = cg(adopted, "hook", "install")
    assert code == 0 and "previous hook moved" in out
    token = fake_github_token()
    (adopted / "settings.py").write_text(f'GITHUB_TOKEN = "{token}"\n')
    git(adopted, "add", "settings.py")
    proc = subprocess.run(
        ["git", "commit", "-qm", "add settings"],
        cwd=adopted,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode != 0
    assert "settings.py:1:" in proc.stderr and "ghp_…(40)" in proc.stderr
    assert token not in proc.stderr and token[4:] not in proc.stderr
    assert not (adopted / ".git" / "ran").exists()  # blocked before the chained hook
    (adopted / "settings.py").write_text('GITHUB_TOKEN = os.environ["GITHUB_TOKEN"]\n')
    git(adopted, "add", "settings.py")
    git(adopted, "commit", "-qm", "settings from the environment")
    assert (adopted / ".git" / "ran").read_text() == "previous-hook-ran\n"
    code, out, _ = cg(adopted, "hook", "uninstall")
    assert code == 0 and "removed" in out
    assert "previous-hook-ran" in previous.read_text()


def test_scan_paths_json_and_sarif(adopted):
    token = fake_github_token()
    (adopted / "deploy.sh").write_text(f"export GH_TOKEN={token}\n")
    code, out, _ = cg(adopted, "scan", "deploy.sh", "--format", "json")
    data = json.loads(out)
    assert code == 1 and token not in out
    (finding,) = data["findings"]
    assert (finding["path"], finding["line"], finding["commit"]) == ("deploy.sh", 1, None)
    assert finding["preview"] == "ghp_…(40)" and len(finding["fingerprint"]) == 64
    code, out, _ = cg(adopted, "scan", "deploy.sh", "--format", "sarif")
    assert code == 1 and json.loads(out)["version"] == "2.1.0"
    (adopted / "deploy.sh").write_text("export GH_TOKEN=${GH_TOKEN}\n")
    assert cg(adopted, "scan", "deploy.sh")[0] == 0
    code, _, err = cg(adopted, "scan", "nope.txt")
    assert code == 2 and "nope.txt" in err


def test_false_positive_allowed_with_a_reason(adopted):
    (adopted / "fixture.txt").write_text(f"token: {fake_github_token()}\n")
    code, out, _ = cg(adopted, "scan", "fixture.txt", "--format", "json")
    fp = json.loads(out)["findings"][0]["fingerprint"]
    code, _, err = cg(adopted, "secrets", "allow", fp, "--reason", " ")
    assert code == 2 and "--reason" in err
    assert cg(adopted, "secrets", "allow", fp, "--reason", "test fixture, revoked token")[0] == 0
    code, out, _ = cg(adopted, "scan", "fixture.txt")
    assert code == 0 and "false positives" in out
    code, out, _ = cg(adopted, "audit", "log", "--action", "secrets.allowed", "--format", "json")
    (event,) = json.loads(out)["events"]
    assert event["actor"] == "dev@example.com" and "revoked" in event["payload"]["reason"]


def test_leak_lifecycle_rotate_purge_close(adopted):
    git(adopted, "checkout", "-qb", "leaky")
    (adopted / "config.yml").write_text(f"github:\n  token: {fake_github_token()}\n")
    git(adopted, "add", "config.yml")
    git(adopted, "commit", "-qm", "oops")
    git(adopted, "checkout", "-q", "main")

    code, out, _ = cg(adopted, "scan", "--history", "--format", "json")
    assert code == 1
    (leak,) = json.loads(out)["leaks"]
    fp = leak["fingerprint"]
    assert leak["refs"] == ["refs/heads/leaky"] and leak["introduced_by"] == "dev@example.com"
    code, out, _ = cg(adopted, "secrets", "list", "--format", "json")
    assert code == 1 and json.loads(out)["open"] == 1

    assert cg(adopted, "secrets", "rotated", fp[:12], "--note", "revoked in GitHub, INC-7")[0] == 0
    code, _, err = cg(adopted, "secrets", "purge-check", fp[:12])
    assert code == 1 and "refs/heads/leaky" in err and "git filter-repo" in err
    assert cg(adopted, "secrets", "list")[0] == 1  # rotated but still in history: open

    git(adopted, "branch", "-D", "leaky")
    code, out, _ = cg(adopted, "secrets", "purge-check", fp[:12])
    assert code == 0 and "closed" in out
    code, out, _ = cg(adopted, "secrets", "list", "--all", "--format", "json")
    assert code == 0 and json.loads(out)["leaks"][0]["state"] == "closed"
    code, out, _ = cg(adopted, "audit", "log", "--action", "secrets.leak.*", "--format", "json")
    actions = [e["action"] for e in json.loads(out)["events"]]
    assert actions == [
        "secrets.leak.opened",
        "secrets.leak.rotated",
        "secrets.leak.purge_checked",
        "secrets.leak.purge_checked",
        "secrets.leak.closed",
    ]
    assert cg(adopted, "audit", "verify")[0] == 0


def test_rescanning_does_not_open_a_leak_twice(adopted):
    (adopted / "a.env").write_text(f"GITHUB_TOKEN={fake_github_token()}\n")
    git(adopted, "add", "a.env")
    git(adopted, "commit", "-qm", "leak", "--no-verify")
    cg(adopted, "scan", "--history")
    cg(adopted, "scan", "--range", "HEAD~1..HEAD")
    _, out, _ = cg(adopted, "audit", "log", "--action", "secrets.leak.opened", "--format", "json")
    assert len(json.loads(out)["events"]) == 1


def test_unknown_fingerprint_and_bad_range(adopted):
    code, _, err = cg(adopted, "secrets", "rotated", "deadbeefdeadbeef", "--note", "x")
    assert code == 2 and "secrets list" in err
    code, _, err = cg(adopted, "scan", "--range", "nope..HEAD")
    assert code == 2 and "nope" in err
