"""A team's repository for the check, review and emergency tests: a small Python service,
a policy with three reviewers holding real SSH keys, and real tools (ruff, compileall,
pytest) as gates."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import git

from changegate.cli.main import main

PY = sys.executable


def cg(repo: Path, *args: str, actor: str | None = None) -> tuple[int, str, str]:
    env = {**os.environ}
    if actor:
        env["CHANGEGATE_ACTOR"] = actor
    proc = subprocess.run(
        [PY, "-m", "changegate.cli.main", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def keypair(tmp: Path, name: str) -> tuple[Path, str]:
    key = tmp / f"id_{name}"
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True
    )
    return key, (tmp / f"id_{name}.pub").read_text().strip()


POLICY = """\
version = 1
[policy]
last_reviewed = 2026-06-01
[roles]
policy_owner = "alice@example.com"
{reviewers}
[classification]
trivial_paths = ["docs/**"]
trivial_max_lines = 20
security_paths = ["app/auth/**"]
schema_paths = ["migrations/**"]
[gates.lint]
command = ["{py}", "-m", "ruff", "check", "--no-cache", "app"]
[gates.types]
command = ["{py}", "-m", "compileall", "-q", "app"]
[gates.tests]
[[gates.tests.suites]]
name = "unit"
command = ["{py}", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
paths = ["app/**", "tests/**"]
[audit]
checkpoint_git_ref = "refs/changegate/checkpoints"
"""


@pytest.fixture
def team(repo: Path, tmp_path: Path):
    keys = {}
    tables = []
    for name in ("alice", "bob", "carol"):
        key, pub = keypair(tmp_path, name)
        keys[name] = key
        tables.append(f'[[roles.reviewers]]\nemail = "{name}@example.com"\nssh_key = "{pub}"\n')
    (repo / "changegate.toml").write_text(POLICY.format(reviewers="\n".join(tables), py=PY))
    (repo / "app").mkdir()
    (repo / "app" / "__init__.py").write_text("")
    (repo / "app" / "core.py").write_text("def add(a, b):\n    return a + b\n")
    (repo / "tests").mkdir()
    (repo / "tests" / "test_core.py").write_text(
        "from app.core import add\n\n\ndef test_add():\n    assert add(1, 2) == 3\n"
    )
    (repo / "docs").mkdir()
    (repo / "docs" / "guide.md").write_text("# Guide\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "service with policy")
    assert main(["-C", str(repo), "init"]) == 0  # ledger and key; the policy stays as it is
    git(repo, "checkout", "-qb", "feature")
    return repo, keys


def change(repo: Path, path: str, text: str, message: str) -> None:
    p = repo / path
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text)
    git(repo, "add", path)
    git(repo, "commit", "-qm", message)


def verdict(repo: Path) -> dict:
    code, out, err = cg(repo, "check", "--base", "main", "--format", "json")
    data = json.loads(out)
    assert code == (0 if data["verdict"] == "pass" else 1), err
    data["by_gate"] = {g["name"]: g for g in data["gates"]}
    return data


def approve(repo: Path, who: str, keys, *extra: str) -> tuple[int, str, str]:
    return cg(
        repo,
        "review",
        "approve",
        "--base",
        "main",
        "--key",
        str(keys[who]),
        *extra,
        actor=f"{who}@example.com",
    )
