"""command/systemd: run the reload command, then readiness; failures are ReloadFailed."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from tests.sample.deployroot import get, make_root, switch

from changegate.adapters.pgserver import free_port
from changegate.adapters.procman import ReloadFailed, adapter_for
from changegate.core.policy import ProcessManager

HUP_FROM_PIDFILE = "import os, signal, sys; os.kill(int(open(sys.argv[1]).read()), signal.SIGHUP)"


def test_reload_command_then_readiness(tmp_path: Path, launcher):
    root = make_root(tmp_path, "v1", "v2")
    launched = launcher("gunicorn", root)
    pidfile = str(root / "shared" / "gunicorn.pid")
    spec = ProcessManager(
        kind="command",
        reload_command=[sys.executable, "-c", HUP_FROM_PIDFILE, pidfile],
        ready_url=launched.url + "/healthz",
        timeout_seconds=20,
    )
    switch(root, "v2")
    report = adapter_for(spec, root).reload()
    assert report.kind == "command" and "answers" in report.detail
    # The command returns at once; what it started finishes soon after (no promise of ordering).
    deadline = time.monotonic() + 20
    while get(launched.url + "/")[1]["version"] != "v2" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert get(launched.url + "/")[1]["version"] == "v2"
    assert adapter_for(spec, root).status().running


def test_failing_command_names_exit_and_last_line(tmp_path: Path):
    script = "import sys; print('unit web.service not loaded', file=sys.stderr); sys.exit(5)"
    spec = ProcessManager(kind="command", reload_command=[sys.executable, "-c", script])
    with pytest.raises(ReloadFailed, match=r"exited 5: unit web.service not loaded"):
        adapter_for(spec, tmp_path).reload()


def test_missing_command(tmp_path: Path):
    spec = ProcessManager(kind="command", reload_command=["no-such-reloader-xyz"])
    with pytest.raises(ReloadFailed, match="no-such-reloader-xyz: command not found"):
        adapter_for(spec, tmp_path).reload()


def test_command_timeout(tmp_path: Path):
    spec = ProcessManager(
        kind="command",
        reload_command=[sys.executable, "-c", "import time; time.sleep(30)"],
        timeout_seconds=0.5,
    )
    started = time.monotonic()
    with pytest.raises(ReloadFailed, match=r"no answer after 0\.5s"):
        adapter_for(spec, tmp_path).reload()
    assert time.monotonic() - started < 5


def test_readiness_timeout(tmp_path: Path):
    url = f"http://127.0.0.1:{free_port()}/healthz"  # nobody listens
    spec = ProcessManager(
        kind="command",
        reload_command=[sys.executable, "-c", "pass"],
        ready_url=url,
        timeout_seconds=1,
    )
    started = time.monotonic()
    with pytest.raises(ReloadFailed, match=r"did not answer 2xx .*ConnectionRefusedError"):
        adapter_for(spec, tmp_path).reload()
    assert 1 <= time.monotonic() - started < 3
    assert not adapter_for(spec, tmp_path).status().running


def test_systemd_defaults_to_systemctl_reload(tmp_path: Path):
    """No systemd here: what matters is the command tried and a clear failure."""
    spec = ProcessManager(kind="systemd", program="web.service", timeout_seconds=10)
    adapter = adapter_for(spec, tmp_path)
    assert adapter.command == ("systemctl", "reload", "web.service")  # type: ignore[attr-defined]
    with pytest.raises(ReloadFailed, match="systemctl"):
        adapter.reload()


def test_policy_requires_what_each_kind_needs():
    from pydantic import ValidationError

    for bad in (
        {"kind": "gunicorn"},
        {"kind": "uvicorn"},
        {"kind": "supervisord"},
        {"kind": "command"},
        {"kind": "systemd"},
        {"kind": "command", "reload_command": []},
        {"kind": "gunicorn", "pidfile": "p", "workers": 0},
    ):
        with pytest.raises(ValidationError):
            ProcessManager.model_validate(bad)
