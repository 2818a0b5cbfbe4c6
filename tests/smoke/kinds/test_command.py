"""kind = "command": a real command in the deploy root, exit status and stdout."""

from __future__ import annotations

import sys
from pathlib import Path

from tests.smoke.build import make

from changegate.smoke import run_smoke


def run(tmp_path: Path, environ: dict[str, str] | None = None, **fields):
    (result,) = run_smoke([make("command", **fields)], base_dir=tmp_path, environ=environ).results
    return result


def script(tmp_path: Path, name: str, body: str) -> str:
    path = tmp_path / "bin" / name
    path.parent.mkdir(exist_ok=True)
    path.write_text(f"#!{sys.executable}\n{body}\n")
    path.chmod(0o755)
    return f"bin/{name}"


def test_exit_zero_and_stdout_pass(tmp_path: Path):
    cmd = script(tmp_path, "check", "print('queue consumer: ok')")
    result = run(tmp_path, command=[cmd], stdout_contains="ok")
    assert result.status == "pass", result.detail


def test_runs_in_the_deploy_root_with_the_given_environment(tmp_path: Path):
    cmd = script(tmp_path, "where", "import os; print(os.getcwd(), os.environ['RELEASE'])")
    result = run(
        tmp_path, {"RELEASE": "v1.2.3"}, command=[cmd], stdout_contains=f"{tmp_path} v1.2.3"
    )
    assert result.status == "pass", result.detail


def test_wrong_exit_status_shows_the_last_line_of_stderr(tmp_path: Path):
    cmd = script(
        tmp_path, "fail", "import sys; sys.stderr.write('warming\\nno broker\\n'); sys.exit(3)"
    )
    result = run(tmp_path, command=[cmd])
    assert result.status == "fail"
    assert "expected exit 0, got 3: no broker" in result.detail
    assert run(tmp_path, command=[cmd], expect_exit=3).status == "pass"


def test_stdout_missing_text_fails(tmp_path: Path):
    result = run(
        tmp_path, command=[sys.executable, "-c", "print('degraded')"], stdout_contains="healthy"
    )
    assert result.status == "fail" and "stdout lacks 'healthy'" in result.detail


def test_missing_program_and_timeout_are_failures(tmp_path: Path):
    missing = run(tmp_path, command=["no-such-smoke-tool-xyz"])
    assert missing.status == "fail" and "command not found" in missing.detail
    slow = run(
        tmp_path, command=[sys.executable, "-c", "import time; time.sleep(5)"], timeout_seconds=0.3
    )
    assert slow.status == "fail" and "no answer after 0.3s" in slow.detail
