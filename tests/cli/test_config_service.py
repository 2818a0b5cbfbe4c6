"""A config change reaches a running service through a reviewed proposal and a rolling
reload with zero failed requests; a revert restores the old value in one command."""

from __future__ import annotations

import json
import os
from urllib.request import urlopen

import pytest
from tests.cli.teamrepo import cg
from tests.configteam import team  # noqa: F401  (fixture)
from tests.conftest import git

from changegate.adapters.pgserver import free_port
from changegate.sample import Load, launch, write_service


def _greeting(url: str) -> str:
    with urlopen(url, timeout=10) as resp:
        return str(json.loads(resp.read())["greeting"])


@pytest.mark.slow
def test_reviewed_config_change_reaches_the_service_and_reverts(team, tmp_path):  # noqa: F811
    repo, keys = team
    root, port = tmp_path / "srv", free_port()
    git(repo, "checkout", "-q", "main")
    with (repo / "changegate.toml").open("a") as fh:
        fh.write(
            f"""
[environments.prod]
deploy_root = "{root}"
[environments.prod.process_manager]
kind = "gunicorn"
pidfile = "shared/gunicorn.pid"
ready_url = "http://127.0.0.1:{port}/"
[environments.prod.config]
render_to = "shared/config.env"
[environments.prod.config.keys.GREETING]
required = true
"""
        )
    git(repo, "commit", "-qam", "prod environment")
    assert cg(repo, "config", "keygen", "prod")[0] == 0

    def config(*args: str, actor: str, code: int = 0) -> dict:
        rc, out, err = cg(repo, "config", *args, "--format", "json", actor=actor)
        assert rc == code, out + err
        return json.loads(out) if out.strip() else {}

    def reviewed(assignment: str) -> None:
        p = config("set", "prod", assignment, actor="alice@example.com")["proposal"]
        config("approve", "prod", p, "--key", str(keys["bob"]), actor="bob@example.com")

    reviewed("GREETING=hello from v1 config")
    config("apply", "prod", actor="alice@example.com")  # nothing runs yet: rendered only
    release = root / "releases" / "v1"
    write_service(release, "v1")
    os.symlink("releases/v1", root / "current")
    launched = launch("gunicorn", root, port=port, workers=2)
    try:
        assert _greeting(launched.url + "/") == "hello from v1 config"
        load = Load(launched.url + "/").start()
        load.wait_for(20)
        reviewed("GREETING=bonjour")
        applied = config("apply", "prod", actor="alice@example.com")
        assert applied["version"] == 2 and applied["reloaded"]
        assert _greeting(launched.url + "/") == "bonjour"
        load.wait_for(20)
        reverted = config("revert", "prod", actor="alice@example.com")
        assert reverted["version"] == 3 and reverted["reloaded"]
        assert _greeting(launched.url + "/") == "hello from v1 config"
        load.wait_for(20)
        report = load.stop()
        assert report.failures == 0, report.failure_samples
        assert (root / "shared" / "config.env").stat().st_mode & 0o777 == 0o600
    finally:
        launched.stop()
    rc, out, _ = cg(repo, "config", "history", "prod", "--format", "json")
    assert rc == 0
    assert "bob@example.com" in out
