"""The team repository (three reviewers with real SSH keys) plus a ``prod`` environment whose
configuration is declared in the policy, merged on main, with its encryption key created."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.cli.teamrepo import team
from tests.conftest import git

from changegate.app import App
from changegate.cli.main import main

__all__ = ["ENV_POLICY", "SECRET", "cfg", "team"]

SECRET = "s3cr3t-Tok3n-Zq9xV7"  # must never appear in clear anywhere

ENV_POLICY = """
[environments.prod]
deploy_root = "{root}"
[environments.prod.config]
render_to = "shared/config.env"
[environments.prod.config.keys.FEATURE_X]
type = "bool"
[environments.prod.config.keys.WORKERS]
type = "int"
min = 1
max = 64
[environments.prod.config.keys.LOG_LEVEL]
required = true
allowed = ["debug", "info", "warning", "error"]
[environments.prod.config.keys.API_TOKEN]
secret = true
"""


@pytest.fixture
def cfg(team, tmp_path: Path) -> tuple[Path, dict[str, Path], Path]:
    """(repository, reviewers' SSH keys, deploy root), on main, key file created."""
    repo, keys = team
    root = tmp_path / "deploy"
    git(repo, "checkout", "-q", "main")
    with (repo / "changegate.toml").open("a") as fh:
        fh.write(ENV_POLICY.format(root=root))
    git(repo, "commit", "-qam", "prod environment with declared config keys")
    assert main(["-C", str(repo), "config", "keygen", "prod"]) == 0
    return repo, keys, root


def app_for(repo: Path, db_url: str | None, monkeypatch: pytest.MonkeyPatch, actor: str) -> App:
    """An App acting as ``actor``; a non-default database is created on first use."""
    monkeypatch.setenv("CHANGEGATE_ACTOR", actor)
    app = App.at(repo, db_url)
    if db_url:
        app.store(create=True)
    return app
