"""supervisord: the program's master comes from supervisorctl; failures say what to fix."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.sample.deployroot import make_root

from changegate.adapters.proc import run
from changegate.adapters.procman import ReloadFailed, adapter_for, procfs
from changegate.adapters.procman.supervisor import supervisorctl


def test_status_is_the_program_master(tmp_path: Path, launcher):
    root = make_root(tmp_path, "v1")
    launched = launcher("supervisord", root)
    status = adapter_for(launched.spec, root).status()
    assert status.running
    assert procfs.children(launched.process.pid) == [status.master_pid]  # gunicorn under it
    assert len(status.worker_pids) == 2


def test_stopped_program_gives_a_clear_failure(tmp_path: Path, launcher):
    root = make_root(tmp_path, "v1")
    launched = launcher("supervisord", root)
    conf = str(root / "shared" / "supervisord.conf")
    assert run([supervisorctl(), "-c", conf, "stop", "web"], timeout=30).ok
    adapter = adapter_for(launched.spec, root)
    with pytest.raises(ReloadFailed, match=r"program 'web' is not running .*start it"):
        adapter.reload()
    assert not adapter.status().running


def test_unknown_program(tmp_path: Path, launcher):
    root = make_root(tmp_path, "v1")
    launched = launcher("supervisord", root)
    spec = launched.spec.model_copy(update={"program": "api"})
    with pytest.raises(ReloadFailed, match=r"program 'api' is not running"):
        adapter_for(spec, root).reload()


def test_no_supervisord_listening(tmp_path: Path):
    from changegate.core.policy import ProcessManager

    conf = tmp_path / "supervisord.conf"
    conf.write_text(f"[supervisorctl]\nserverurl = unix://{tmp_path}/nobody.sock\n")
    spec = ProcessManager(kind="supervisord", program="web", supervisor_config=str(conf))
    with pytest.raises(ReloadFailed, match="not running"):
        adapter_for(spec, tmp_path).reload()
