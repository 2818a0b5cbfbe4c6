"""Demo scenes for §2 and §4: releases deployed to a real gunicorn, config on the same
track, a failing smoke test rolled back by itself, a one-command rollback, the export.

The service is ``changegate.sample`` committed into the demo repository; a load
generator runs during every reload and the demo prints how many requests failed.
"""

from __future__ import annotations

import json
import os
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.request import urlopen

from changegate.adapters.pgserver import free_port

if TYPE_CHECKING:
    from changegate.demo.scenario import Demo


class Prod:
    """The demo's production environment: where it lives and what serves it."""

    def __init__(self, demo: Demo) -> None:
        self.demo = demo
        self.root = demo.root.parent / "srv" / "prod"
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.launched: Any = None
        self.token = "smk_" + secrets.token_urlsafe(18)

    def policy_text(self, text: str) -> str:
        """The init template's [environments.prod], made concrete for this host."""
        text = text.replace(
            "auto_rollback = true\n",
            f'auto_rollback = true\ndeploy_root = "{self.root}"\nkeep_releases = 3\n',
            1,
        )
        from changegate.sample import environment_toml

        return (
            text
            + "\n"
            + environment_toml("gunicorn", self.port, backoff_seconds=0.2)
            + """
[environments.prod.config]
render_to = "shared/config.env"
[environments.prod.config.keys.GREETING]
required = true
[environments.prod.config.keys.SMOKE_TOKEN]
required = true
secret = true
"""
        )

    def greeting(self) -> str:
        with urlopen(self.url + "/", timeout=10) as resp:
            return str(json.loads(resp.read())["greeting"])

    def stop(self) -> None:
        if self.launched is not None:
            self.launched.stop()
            self.launched = None


def _last_proposal(demo: Demo) -> str:
    from changegate.adapters.storage.store import EventFilter
    from changegate.app import App

    app = App(root=demo.root, git=demo.git)
    try:
        events = app.store().events(EventFilter(action="config.proposed", newest_first=True))
        return str(events[0].data()["proposal"])
    finally:
        app.close()


def _approve_config(demo: Demo) -> None:
    from changegate.demo.scenario import _actor

    proposal = _last_proposal(demo)
    with _actor("bob@example.com"):
        demo.run("config", "approve", "prod", proposal, "--key", str(demo.key_dir / "id_bob"))


def first_deploy(demo: Demo, prod: Prod) -> None:
    from changegate.demo.scenario import _actor
    from changegate.sample import launch

    demo.step("Deploy day: the reviewed merge becomes release v1.1.0")
    demo.run("release", "v1.1.0")

    demo.step("Configuration is on the same track: proposed, reviewed (signed), encrypted")
    demo.run("config", "keygen", "prod")
    env_file = demo.root.parent / "prod-config.env"  # outside the repository: it holds a secret
    env_file.write_text(f"GREETING=hello\nSMOKE_TOKEN={prod.token}\n")
    env_file.chmod(0o600)
    with _actor("dana@example.com"):
        demo.run("config", "import", "prod", str(env_file), "--secret", "SMOKE_TOKEN")
    env_file.unlink()
    _approve_config(demo)

    demo.step("The documented procedure, as a runbook, then executed exactly")
    demo.run("deploy", "v1.1.0", "--env", "prod", "--plan")
    demo.run("deploy", "v1.1.0", "--env", "prod")
    demo.step("gunicorn starts from current/ (the process manager owns the service)")
    prod.launched = launch("gunicorn", prod.root, port=prod.port, workers=2)
    demo.say(f"serving {prod.url}: greeting {prod.greeting()!r}")
    demo.run("status", "--env", "prod")


def config_change(demo: Demo, prod: Prod) -> None:
    from changegate.demo.scenario import DemoFailed, _actor
    from changegate.sample import Load

    demo.step("A config change reaches the running service through review and a rolling reload")
    load = Load(prod.url + "/").start()
    load.wait_for(10)
    with _actor("dana@example.com"):
        demo.run("config", "set", "prod", "GREETING=hello from the config store")
    _approve_config(demo)
    demo.run("config", "apply", "prod")
    demo.say(f"the service now says {prod.greeting()!r}")

    demo.step("Someone edits the rendered file by hand: drift, recorded as a violation")
    rendered = prod.root / "shared" / "config.env"
    rendered.write_text(rendered.read_text().replace("from the config store", "hand-edited"))
    demo.run("config", "drift", "prod", expect=1)

    demo.step("Configuration rollback is a config-store revert: one command")
    demo.run("config", "revert", "prod")
    demo.run("config", "history", "prod", "GREETING")
    load.wait_for(10)
    report = load.stop()
    demo.say(
        f"{report.requests} requests during the change and the revert: {report.failures} failed"
    )
    if report.failures:
        raise DemoFailed(f"requests failed during config reloads: {report.failure_samples[:3]}")


def ship_hotfix(demo: Demo) -> None:
    """Inside the SEV1 scene: release and deploy the emergency change."""
    from changegate.demo.scenario import _actor

    with _actor("alice@example.com"):  # a listed deployer ships it
        demo.run("release", "v1.1.1")
        demo.run("deploy", "v1.1.1", "--env", "prod")
    demo.say("the retroactive review is now due one business day after this deploy")


def failing_release(demo: Demo, prod: Prod) -> None:
    from changegate.demo.scenario import DemoFailed, _actor
    from changegate.sample import Load
    from changegate.sample.writer import service_source

    demo.step("v1.2.0: a reviewed change that breaks sign-in; the smoke test catches it")
    demo.git("checkout", "-q", "-b", "account-api")
    (demo.root / "service.py").write_text(service_source("smoke"))
    demo.git("add", "service.py")
    demo.commit_as_dana("-m", "Move the account endpoint")
    with _actor("alice@example.com"):
        demo.run("review", "approve", "--base", "main", "--key", str(demo.key_dir / "id_alice"))
    with _actor("dana@example.com"):
        demo.run("check", "--base", "main")
    demo.git("checkout", "-q", "main")
    demo.run("merge", "account-api")
    demo.run("release", "v1.2.0")
    load = Load(prod.url + "/").start()
    load.wait_for(10)
    demo.run("deploy", "v1.2.0", "--env", "prod", expect=1)
    load.wait_for(10)
    report = load.stop()
    demo.say(
        f"{report.requests} requests during the deploy and the automatic rollback: "
        f"{report.failures} failed"
    )
    if report.failures:
        raise DemoFailed(f"requests failed during the rollback: {report.failure_samples[:3]}")

    demo.step("One-command rollback: the deploying engineer decides, the owner gives input (SEV)")
    with _actor("bob@example.com"):
        demo.run("rollback", "--env", "prod", "--reason", "INC-231 follow-up", expect=1)
    with _actor("alice@example.com"):
        demo.run("rollback", "--env", "prod", "--owner-input", "agreed: back to 1.1.0")
    with _actor("bob@example.com"):
        demo.run("rollback", "--env", "prod", "--reason", "INC-231 follow-up under review")
    demo.run("deployments", "--env", "prod")


def export(demo: Demo) -> Path:
    demo.step("Audit season: the evidence pack of everything above, verified")
    today = datetime.now(UTC).date().isoformat()
    out = demo.root.parent / "evidence"
    demo.run("audit", "export", "--from", today, "--to", today, "--out", str(out))
    report = out / "report.html"
    demo.say(f"the auditor's report: {report}")
    return report


def set_smoke_credential(prod: Prod) -> str | None:
    """The deployer's shell holds the smoke credential (never the policy file)."""
    before = os.environ.get("SMOKE_TOKEN")
    os.environ["SMOKE_TOKEN"] = prod.token
    return before
