"""Config on the deploy track: a deploy's config step renders the approved version and
records it; a code rollback restores the config version that was live with the release
it returns to (policy §4: rollback that restores code but not config is the peers' pain)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.deployrepo import cg, cut, events, setup


def _keypair(tmp: Path) -> tuple[Path, str]:
    key = tmp / "id_rev"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    return key, (tmp / "id_rev.pub").read_text().strip()


def reviewed(repo: Path, key: Path, value: str) -> None:
    """GREETING=value proposed by dev, approved (signed) by the reviewer."""
    code, out, err = cg(repo, "config", "set", "prod", f"GREETING={value}", actor="dev@example.com")
    assert code == 0, out + err
    proposal = next(w for w in out.split() if w.startswith("P-"))
    code, out, err = cg(
        repo, "config", "approve", "prod", proposal, "--key", str(key), actor="rev@example.com"
    )
    assert code == 0, out + err


def test_rollback_restores_the_config_live_with_the_release(repo, tmp_path):
    key, pub = _keypair(tmp_path)
    root = tmp_path / "srv"
    setup(
        repo,
        f"""
[[roles.reviewers]]
email = "rev@example.com"
ssh_key = "{pub}"

[environments.prod]
deploy_root = "{root}"
[environments.prod.config]
render_to = "shared/config.env"
[environments.prod.config.keys.GREETING]
required = true
[[environments.prod.smoke]]
name = "config rendered"
kind = "command"
command = ["grep", "-q", "^GREETING=", "shared/config.env"]
retries = 0
""",
    )
    assert cg(repo, "config", "keygen", "prod")[0] == 0
    rendered = root / "shared" / "config.env"

    reviewed(repo, key, "one")
    cut(repo, "v1", {"app.txt": "1\n"})
    code, out, err = cg(repo, "deploy", "v1", "--env", "prod")
    assert code == 0, out + err
    assert "GREETING=one" in rendered.read_text()
    assert rendered.stat().st_mode & 0o777 == 0o600

    reviewed(repo, key, "two")
    cut(repo, "v2", {"app.txt": "2\n"})
    code, out, err = cg(repo, "deploy", "v2", "--env", "prod")
    assert code == 0, out + err
    assert "GREETING=two" in rendered.read_text()

    code, out, err = cg(repo, "rollback", "--env", "prod", "--reason", "v2 misbehaves")
    assert code == 0, out + err
    assert os.readlink(root / "current") == "releases/v1"
    assert "GREETING=one" in rendered.read_text()
    finished = [e["payload"] for e in events(repo, "deploy.finished")]
    assert [(f["tag"], f["config_version"]) for f in finished] == [("v1", 1), ("v2", 2), ("v1", 1)]
    applied = [e["payload"] for e in events(repo, "config.applied")]
    assert [(a["version"], a["reason"]) for a in applied] == [
        (1, "deploy"),
        (2, "deploy"),
        (1, "rollback"),
    ]


def test_a_deploy_failing_before_the_switch_puts_the_running_config_back(repo, tmp_path):
    key, pub = _keypair(tmp_path)
    root, gate = tmp_path / "srv", tmp_path / "switch-allowed"
    setup(
        repo,
        f"""
[[roles.reviewers]]
email = "rev@example.com"
ssh_key = "{pub}"

[environments.prod]
deploy_root = "{root}"
[environments.prod.hooks]
switch = ["test -e {gate}"]
[environments.prod.config]
render_to = "shared/config.env"
[environments.prod.config.keys.GREETING]
required = true
""",
    )
    assert cg(repo, "config", "keygen", "prod")[0] == 0
    rendered = root / "shared" / "config.env"

    reviewed(repo, key, "one")
    gate.touch()
    cut(repo, "v1", {"app.txt": "1\n"})
    assert cg(repo, "deploy", "v1", "--env", "prod")[0] == 0
    reviewed(repo, key, "two")
    gate.unlink()  # the switch hook now fails: v2 never goes live
    cut(repo, "v2", {"app.txt": "2\n"})
    code, out, err = cg(repo, "deploy", "v2", "--env", "prod")
    assert code == 1, out + err
    assert os.readlink(root / "current") == "releases/v1"
    assert "GREETING=one" in rendered.read_text()  # v1 keeps the config it ran with
    final = events(repo, "deploy.finished")[-1]["payload"]
    assert (final["outcome"], final["failed_step"], final["config_version"]) == (
        "failed",
        "switch",
        1,
    )
