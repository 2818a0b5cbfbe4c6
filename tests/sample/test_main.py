"""python -m changegate.sample: launch prints a policy that loads, and stops on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import tomllib
from pathlib import Path

from tests.sample.deployroot import get, make_root

from changegate.adapters.pgserver import free_port
from changegate.adapters.procman import procfs
from changegate.core.policy import ProcessManager


def test_launch_from_the_command_line(tmp_path: Path):
    root = make_root(tmp_path, "v1")
    port = free_port()
    cmd = [sys.executable, "-m", "changegate.sample", "launch", "gunicorn", str(root)]
    proc = subprocess.Popen(
        [*cmd, "--port", str(port)], stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().decode() for _ in range(5)]  # header + 4 keys
        table = tomllib.loads("".join(lines))["environments"]["prod"]["process_manager"]
        assert ProcessManager.model_validate(table).kind == "gunicorn"
        assert get(f"http://127.0.0.1:{port}/")[1]["version"] == "v1"
        below = procfs.descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0  # graceful, well before stop()'s kill
        assert not [pid for pid in below if procfs.alive(pid)]
    finally:
        if proc.poll() is None:
            import os

            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def test_write_lists_the_files(tmp_path: Path):
    out = subprocess.run(
        [sys.executable, "-m", "changegate.sample", "write", str(tmp_path), "v9"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split()
    assert sorted(out) == ["VERSION", "gunicorn.conf.py", "service.py"]
    assert (tmp_path / "VERSION").read_text() == "v9\n"
