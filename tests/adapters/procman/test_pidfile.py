"""gunicorn/uvicorn masters found by pid file: clear failures for dead masters and timeouts."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from tests.sample.deployroot import get, make_root, switch

from changegate.adapters.pgserver import free_port
from changegate.adapters.procman import ReloadFailed, adapter_for
from changegate.core.policy import ProcessManager
from changegate.errors import EXIT_BAD_INPUT


def test_missing_pidfile_names_the_file(tmp_path: Path):
    spec = ProcessManager(kind="gunicorn", pidfile="shared/gunicorn.pid", timeout_seconds=5)
    adapter = adapter_for(spec, tmp_path)
    with pytest.raises(ReloadFailed, match=r"cannot read pid file .*shared/gunicorn.pid"):
        adapter.reload()
    status = adapter.status()
    assert (status.running, status.master_pid) == (False, None)


def test_dead_master_is_reported_not_waited_for(tmp_path: Path):
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    (tmp_path / "master.pid").write_text(f"{gone.pid}\n")
    adapter = adapter_for(ProcessManager(kind="uvicorn", pidfile="master.pid"), tmp_path)
    started = time.monotonic()
    with pytest.raises(ReloadFailed, match=rf"master pid {gone.pid} .* is not running") as caught:
        adapter.reload()
    assert time.monotonic() - started < 2
    assert caught.value.exit_code == EXIT_BAD_INPUT  # exit 2: the environment needs fixing


def test_garbage_pidfile(tmp_path: Path):
    (tmp_path / "master.pid").write_text("not a pid\n")
    adapter = adapter_for(ProcessManager(kind="gunicorn", pidfile="master.pid"), tmp_path)
    with pytest.raises(ReloadFailed, match="not a pid"):
        adapter.reload()


def test_timeout_is_respected(tmp_path: Path, launcher):
    """uvicorn replaces workers one by one (seconds); a 0.3 s budget must fail in time."""
    root = make_root(tmp_path, "v1", "v2")
    launched = launcher("uvicorn", root)
    spec = launched.spec.model_copy(update={"timeout_seconds": 0.3})
    switch(root, "v2")
    started = time.monotonic()
    with pytest.raises(ReloadFailed, match=r"after 0.3s old workers \[\d+.*still run"):
        adapter_for(spec, root).reload()
    assert time.monotonic() - started < 1.5


def test_master_dying_during_reload_is_reported(tmp_path: Path, launcher):
    """gunicorn halts when a new worker cannot import the app: say so, at once."""
    root = make_root(tmp_path, "v1", "v2")
    (root / "releases" / "v2" / "VERSION").unlink()  # the app cannot be imported
    launched = launcher("gunicorn", root)
    switch(root, "v2")
    started = time.monotonic()
    with pytest.raises(ReloadFailed, match=r"master pid \d+ \(pidfile .*\) exited during"):
        adapter_for(launched.spec, root).reload()
    assert time.monotonic() - started < launched.spec.timeout_seconds / 2
    assert not adapter_for(launched.spec, root).status().running


def test_status_lists_master_and_workers(tmp_path: Path, launcher):
    root = make_root(tmp_path, "v1")
    launched = launcher("gunicorn", root, workers=3)
    status = adapter_for(launched.spec, root).status()
    assert status.running and status.master_pid == launched.process.pid
    assert len(status.worker_pids) == 3
    assert get(launched.url + "/")[1]["pid"] in status.worker_pids


def test_single_process_uvicorn_is_not_signalled(tmp_path: Path):
    """uvicorn without --workers has nothing to roll; SIGHUP would stop it."""
    root = make_root(tmp_path, "v1")
    port = free_port()
    args = [sys.executable, "-m", "uvicorn", "service:asgi", "--app-dir", str(root / "current")]
    args += ["--port", str(port), "--log-level", "warning"]
    server = subprocess.Popen(args, cwd=root / "shared", start_new_session=True)
    try:
        (root / "shared" / "uvicorn.pid").write_text(f"{server.pid}\n")
        spec = ProcessManager(kind="uvicorn", pidfile="shared/uvicorn.pid", timeout_seconds=5)
        with pytest.raises(ReloadFailed, match="has no worker processes"):
            adapter_for(spec, root).reload()
        assert server.poll() is None  # still serving
    finally:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
