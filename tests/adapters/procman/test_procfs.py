"""/proc readings against real processes: children, descendants, zombies count as gone."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from changegate.adapters.procman import procfs

# A parent with two sleeping children, one of them with its own child; prints when ready.
TREE = """
import subprocess, sys, time
SLEEP = "import time; time.sleep(60)"
kids = [subprocess.Popen([sys.executable, "-c", SLEEP])]
GRAND = f"import subprocess, sys; subprocess.Popen([sys.executable, '-c', {SLEEP!r}]).wait()"
kids.append(subprocess.Popen([sys.executable, "-c", GRAND]))
print("ready", flush=True)
time.sleep(60)
"""


def _wait(condition, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def test_children_and_descendants():
    parent = subprocess.Popen(
        [sys.executable, "-c", TREE], stdout=subprocess.PIPE, start_new_session=True
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline() == b"ready\n"
        _wait(lambda: len(procfs.descendants(parent.pid)) == 3)
        kids = procfs.children(parent.pid)
        assert len(kids) == 2
        assert set(kids) < set(procfs.descendants(parent.pid))
        assert procfs.workers(parent.pid) == kids
        assert "time.sleep(60)" in procfs.cmdline(kids[0])
    finally:
        os.killpg(parent.pid, 9)
        parent.wait()


def test_zombie_is_not_alive():
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    _wait(lambda: not procfs.alive(child.pid))  # exited, not yet reaped: a zombie
    assert os.path.exists(f"/proc/{child.pid}")
    child.wait()
    assert not procfs.alive(child.pid)
    assert procfs.alive(os.getpid())
