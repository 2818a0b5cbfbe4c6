"""The dashboard in a real headless Chromium over a real `changegate serve` (uvicorn on 127.0.0.1).

A team produces a real reviewed, checked and merged change through the CLI; the auditor
signs in with a token, opens the change and its evidence, downloads the export; a viewer is
refused the export. Screenshots of the main pages are saved under the test's tmp dir.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import zipfile
from datetime import date, timedelta
from pathlib import Path

import pytest
from tests.cli.teamrepo import approve, cg, change, team, verdict
from tests.conftest import git

from changegate.adapters.pgserver import free_port

__all__ = ["team"]

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _serve(repo: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "changegate.cli.main",
            "-C",
            str(repo),
            "serve",
            "--port",
            str(port),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ},
    )
    deadline = time.time() + 20
    while time.time() < deadline:
        assert proc.poll() is None, proc.stderr.read().decode() if proc.stderr else ""
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return proc, f"http://127.0.0.1:{port}"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    pytest.fail("changegate serve did not start")


@pytest.mark.slow
def test_auditor_signs_in_opens_a_change_and_downloads_the_export(team, tmp_path):
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed")
    repo, keys = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "add: commutative")
    assert approve(repo, "bob", keys)[0] == 0
    report = verdict(repo)
    assert report["verdict"] == "pass"
    head = report["head"]
    git(repo, "checkout", "-q", "main")
    assert cg(repo, "merge", "feature")[0] == 0
    code, auditor_token, err = cg(
        repo, "token", "issue", "carol@example.com", "--role", "auditor", actor="alice@example.com"
    )
    assert code == 0, err
    code, viewer_token, err = cg(
        repo, "token", "issue", "dev@example.com", "--role", "viewer", actor="alice@example.com"
    )
    assert code == 0, err
    shots = tmp_path / "screenshots"
    shots.mkdir()
    proc, base = _serve(repo)
    try:
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            try:
                page = browser.new_context(accept_downloads=True).new_page()
                page.goto(base + "/changes")
                assert "/signin" in page.url  # refused until signed in
                page.fill("input[name=token]", auditor_token.strip())
                page.click("button[type=submit]")
                page.wait_for_url(base + "/changes")
                page.screenshot(path=str(shots / "changes.png"), full_page=True)
                page.click(f"a[href='/changes/{head}']")
                page.wait_for_url(f"{base}/changes/{head}")
                body = page.inner_text("main")
                assert "bob@example.com" in body and "review.approve" in body
                assert "change.merged" in body and "lint" in body
                assert page.locator("#raw-events tr").count() > 5
                page.screenshot(path=str(shots / "change.png"), full_page=True)
                for name, path in (
                    ("overview", "/"),
                    ("deployments", "/deployments"),
                    ("emergencies", "/emergencies"),
                    ("config", "/config"),
                    ("leaks", "/leaks"),
                    ("ledger", "/ledger"),
                ):
                    page.goto(base + path)
                    assert page.title().endswith("changegate")
                    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
                assert "Ledger intact" in page.inner_text("#verify-status")
                page.goto(base + "/export")
                today = date.today()
                page.fill("input[name=from]", (today - timedelta(days=1)).isoformat())
                page.fill("input[name=to]", today.isoformat())
                page.screenshot(path=str(shots / "export.png"), full_page=True)
                with page.expect_download() as dl:
                    page.click("#download")
                saved = tmp_path / "evidence.zip"
                dl.value.save_as(saved)
                with zipfile.ZipFile(saved) as zf:
                    names = zf.namelist()
                    assert "manifest.json" in names and "report.html" in names
                    assert head in zf.read("changes.csv").decode()

                viewer = browser.new_context().new_page()
                viewer.goto(base + "/signin")
                viewer.fill("input[name=token]", viewer_token.strip())
                viewer.click("button[type=submit]")
                viewer.wait_for_url(base + "/")
                res = viewer.goto(base + "/export")
                assert res is not None and res.status == 403
                assert "may not do this" in viewer.inner_text("main")
                assert viewer.locator("text=Verify now").count() == 0
            finally:
                browser.close()
    finally:
        proc.terminate()
        proc.wait(10)
    saved_shots = sorted(x.name for x in shots.iterdir())
    assert saved_shots == sorted(
        f"{n}.png"
        for n in (
            "changes",
            "change",
            "overview",
            "deployments",
            "emergencies",
            "config",
            "leaks",
            "ledger",
            "export",
        )
    )
    keep = os.environ.get("CHANGEGATE_SCREENSHOTS")  # e.g. bench/.work/screenshots
    if keep:
        shutil.copytree(shots, keep, dirs_exist_ok=True)
