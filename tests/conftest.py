"""Shared fixtures: real git repositories in tmp dirs and a real throwaway PostgreSQL."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from changegate.adapters.pgserver import PgServer, find_pg_binary, start_pg

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def git(repo: Path, *args: str) -> str:
    """Run git in ``repo`` for test set-up; failures raise with git's message."""
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh git repository with one commit and a known identity."""
    root = tmp_path / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "dev@example.com")
    git(root, "config", "user.name", "Dev One")
    git(root, "config", "commit.gpgsign", "false")
    (root / "README.md").write_text("# service\n")
    git(root, "add", "README.md")
    git(root, "commit", "-q", "-m", "initial")
    monkeypatch.delenv("CHANGEGATE_ACTOR", raising=False)
    monkeypatch.delenv("CHANGEGATE_DB", raising=False)
    return root


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """One throwaway PostgreSQL per test worker; a missing one fails in CI, skips locally."""
    if not (find_pg_binary("initdb") and find_pg_binary("pg_ctl")):
        if IN_CI:
            pytest.fail("PostgreSQL binaries are missing in CI: .ci/run must install them")
        pytest.skip("PostgreSQL binaries not found (initdb, pg_ctl)")
    server = start_pg()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def pg_url(pg_server: PgServer) -> str:
    """A fresh, empty database on the throwaway server (SQLAlchemy URL)."""
    return pg_server.create_database(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The same test on both backends: a SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state.db'}"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database(f"t_{uuid.uuid4().hex[:12]}")
