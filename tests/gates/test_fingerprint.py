"""Tool fingerprints: an upgraded `python -m` module invalidates cached gate results."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from changegate.gates.fingerprint import command_fingerprint, tool_of


def test_python_dash_m_fingerprints_the_module_distribution(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    os.symlink(sys.executable, venv / "bin" / "python")
    site = venv / "lib" / "python3.11" / "site-packages"
    (site / "ruff-0.5.0.dist-info").mkdir(parents=True)
    (site / "ruff-0.5.0.dist-info" / "RECORD").write_text("ruff/__init__.py\n")
    command = [str(venv / "bin" / "python"), "-m", "ruff", "check", "."]
    assert tool_of(command) == f"{venv / 'bin' / 'python'} -m ruff"
    before = command_fingerprint(tool_of(command))
    assert "ruff-0.5.0.dist-info" in before
    (site / "ruff-0.5.0.dist-info").rename(site / "ruff-0.6.0.dist-info")
    after = command_fingerprint(tool_of(command))
    assert after != before and "ruff-0.6.0.dist-info" in after
    # the interpreter part alone is the same: only the module changed
    assert after.split("|")[0] == before.split("|")[0]


def test_plain_commands_keep_the_executable_fingerprint() -> None:
    assert tool_of(["git", "status"]) == "git"
    assert "|" not in command_fingerprint("git")
    assert command_fingerprint("no-such-tool-xyz").endswith(":missing")
