"""A repository that releases and deploys: policy with one environment, helpers to cut
releases through the real CLI (check → release), and to read the ledger back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from tests.conftest import git

PY = sys.executable

BASE_POLICY = """\
version = 1
[policy]
last_reviewed = 2026-06-01
[roles]
policy_owner = "owner@example.com"
[gates.review]
enabled = false
[gates.adversarial_review]
enabled = false
[audit]
checkpoint_git_ref = "refs/changegate/checkpoints"
"""


def cg(
    repo: Path, *args: str, actor: str | None = None, env: Mapping[str, str] | None = None
) -> tuple[int, str, str]:
    full = {**os.environ, **(env or {})}
    if actor:
        full["CHANGEGATE_ACTOR"] = actor
    proc = subprocess.run(
        [PY, "-m", "changegate.cli.main", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=False,
        env=full,
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


def setup(repo: Path, environments: str) -> None:
    """Write the policy (base + ``environments`` TOML), commit it, and init the ledger."""
    (repo / "changegate.toml").write_text(BASE_POLICY + environments)
    git(repo, "add", "changegate.toml")
    git(repo, "commit", "-qm", "policy")
    code, out, err = cg(repo, "init")
    assert code == 0, out + err


def cut(repo: Path, tag: str, files: Mapping[str, str]) -> str:
    """Commit ``files``, pass `check` on that commit and `release` it as ``tag``."""
    for path, text in files.items():
        p = repo / path
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        git(repo, "add", path)
    git(repo, "commit", "-qm", f"release {tag}")
    code, out, err = cg(repo, "check", "--base", "HEAD~1", "--head", "HEAD")
    assert code == 0, out + err
    code, out, err = cg(repo, "release", tag)
    assert code == 0, out + err
    return git(repo, "rev-parse", "HEAD").strip()


def events(repo: Path, action: str) -> list[dict]:
    code, out, err = cg(repo, "audit", "log", "--action", action, "--format", "json")
    assert code == 0, err
    return json.loads(out)["events"]
