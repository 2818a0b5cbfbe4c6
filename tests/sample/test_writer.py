"""write_service: the files a release needs, committed and exported as the deploy does."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from tests.conftest import git

from changegate.errors import InputError
from changegate.sample import write_service


def test_written_files_survive_commit_tag_and_archive(repo: Path, tmp_path: Path):
    written = write_service(repo, "v1", broken="smoke")
    assert sorted(written) == ["VERSION", "gunicorn.conf.py", "service.py"]
    git(repo, "add", *written)
    git(repo, "commit", "-q", "-m", "sample service v1")
    git(repo, "tag", "v1")
    release = tmp_path / "releases" / "v1"
    release.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "v1"], cwd=repo, check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(release)], input=archive, check=True)
    assert (release / "VERSION").read_text() == "v1\n"
    source = (release / "service.py").read_text()
    assert "BROKEN: str | None = 'smoke'\n" in source
    assert "preload_app = False" in (release / "gunicorn.conf.py").read_text()
    compile(source, "service.py", "exec")  # valid Python after the rewrite


def test_healthy_by_default_and_inputs_checked(tmp_path: Path):
    write_service(tmp_path, "v2")
    assert "BROKEN: str | None = None\n" in (tmp_path / "service.py").read_text()
    with pytest.raises(InputError, match="broken must be"):
        write_service(tmp_path, "v3", broken="typo")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="version must be"):
        write_service(tmp_path, "")
