"""The verdict cache's own copy of the default-base rule agrees with the check's."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import git

from changegate.app import App
from changegate.errors import InputError
from changegate.workflows.change import default_base
from changegate.workflows.verdict_cache import _default_base


def both(repo: Path) -> tuple[str | None, str | None]:
    app = App.at(repo)
    try:
        expected: str | None = default_base(app.git)
    except InputError:
        expected = None
    return expected, _default_base(app)


def test_default_base_rules_match(repo: Path, tmp_path: Path):
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    git(repo, "commit", "-qm", "a")
    branch = git(repo, "rev-parse", "--abbrev-ref", "HEAD").strip()
    git(repo, "branch", "-m", branch, "trunk")
    assert both(repo) == (None, None)
    git(repo, "branch", "master")
    assert both(repo) == ("master", "master")
    git(repo, "branch", "main")
    assert both(repo) == ("main", "main")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(repo), str(clone))
    expected, ours = both(clone)
    assert expected == ours and expected is not None and expected.startswith("origin/")


@pytest.mark.parametrize("name", ["main", "master"])
def test_default_base_without_origin(repo: Path, name: str):
    (repo / "a.txt").write_text("a\n")
    git(repo, "add", "a.txt")
    git(repo, "commit", "-qm", "a")
    git(repo, "branch", "-M", name)
    assert both(repo) == (name, name)
