"""launch: a policy that loads, files under shared/, and a stop that leaves nothing behind."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest
from tests.sample.deployroot import get, make_root

from changegate.adapters.pgserver import free_port
from changegate.adapters.procman import procfs
from changegate.core.policy import ProcessManager
from changegate.errors import InputError
from changegate.sample import launch


@pytest.mark.parametrize("kind", ["gunicorn", "uvicorn", "supervisord"])
def test_launch_policy_and_stop(kind, tmp_path: Path):
    root = make_root(tmp_path, "v1")
    launched = launch(kind, root, port=free_port())
    try:
        everything = [launched.process.pid, *procfs.descendants(launched.process.pid)]
        assert get(launched.url + "/")[1]["version"] == "v1"
        table = tomllib.loads(launched.policy_toml("staging"))
        spec = ProcessManager.model_validate(table["environments"]["staging"]["process_manager"])
        assert spec == launched.spec
        assert spec.ready_url == launched.url + "/"
        for path in (spec.pidfile, spec.supervisor_config):
            if path is not None:
                assert (root / path).is_file() and path.startswith("shared/")
        # Masters and workers work from shared/, never from inside a release.
        assert {os.readlink(f"/proc/{pid}/cwd") for pid in everything} == {str(root / "shared")}
    finally:
        launched.stop()
    assert not [pid for pid in everything if procfs.alive(pid)]


def test_launch_needs_a_current_release(tmp_path: Path):
    with pytest.raises(InputError, match=r"current/service\.py not found"):
        launch("gunicorn", tmp_path, port=free_port())


def test_uvicorn_needs_two_workers(tmp_path: Path):
    root = make_root(tmp_path, "v1")
    with pytest.raises(InputError, match="2 or more workers"):
        launch("uvicorn", root, port=free_port(), workers=1)
