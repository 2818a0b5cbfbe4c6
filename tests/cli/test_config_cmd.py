"""``changegate config ...`` as a user runs it: text and JSON, exit codes 0/1/2, and no secret
value in any output, in the ledger or in the database file."""

from __future__ import annotations

import json
import subprocess

from tests.cli.teamrepo import cg
from tests.configteam import SECRET, cfg, team

__all__ = ["cfg", "team"]
DEV = "dev@example.com"


def test_the_whole_track_from_the_command_line(cfg, tmp_path):
    repo, keys, root = cfg
    outputs: list[str] = []

    def run(*args: str, actor: str = DEV, code: int = 0, stdin: str | None = None) -> str:
        if stdin is None:
            rc, out, err = cg(repo, "config", *args, actor=actor)
        else:
            proc = subprocess.run(
                [*_cmd(repo), "config", *args],
                input=stdin,
                capture_output=True,
                text=True,
                env=_env(actor),
                check=False,
            )
            rc, out, err = proc.returncode, proc.stdout, proc.stderr
        outputs.extend([out, err])
        assert rc == code, (args, out, err)
        return out + err

    env_file = tmp_path / "prod.env"
    env_file.write_text(
        f'# imported\nexport LOG_LEVEL=info\nWORKERS="4"\nFEATURE_X=off\nAPI_TOKEN={SECRET}\n'
    )
    out = json.loads(
        run("import", "prod", str(env_file), "--format", "json", actor="alice@example.com")
    )
    p1 = out["proposal"]
    token = next(c for c in out["changes"] if c["key"] == "API_TOKEN")
    assert token["secret"] is True and token["length"] == len(SECRET) and "value" not in token

    assert "cannot approve their own" in run(
        "approve", "prod", p1, "--key", str(keys["alice"]), actor="alice@example.com", code=1
    )
    assert "not a reviewer" in run("approve", "prod", p1, "--key", str(keys["bob"]), code=1)
    text = run("approve", "prod", p1, "--key", str(keys["bob"]), actor="bob@example.com")
    assert "approved " + p1 in text and "version 1" in text
    text = run("apply", "prod")
    assert "applied version 1 (proposal)" in text and "no process manager" in text

    # A secret typed on stdin, not on the command line.
    out = run("set", "prod", "API_TOKEN", "--secret", stdin=SECRET + "-rotated\n")
    p2 = out.split()[0]
    assert "hmac:" in out and f"({len(SECRET) + 8} chars, secret)" in out
    bad = run("set", "prod", "WORKERS=lots", code=2)
    assert "WORKERS: 'lots' is not an integer" in bad and "Traceback" not in bad
    run("set", "prod", "WORKERS=8", "--expect-version", "0", code=1)

    diff = json.loads(run("diff", "prod", "--format", "json"))
    assert diff["from"] == 1 and diff["to"] == 1 and diff["differences"] == []
    assert [p["proposal"] for p in diff["open_proposals"]] == [p2]
    run("approve", "prod", p2, "--key", str(keys["carol"]), actor="carol@example.com")
    text = run("diff", "prod")
    assert "changed  API_TOKEN: hmac:" in text and "version 1 -> 2" in text
    v12 = json.loads(run("diff", "prod", "1", "2", "--format", "json"))
    assert [d["key"] for d in v12["differences"]] == ["API_TOKEN"]
    applied = json.loads(run("apply", "prod", "--format", "json"))
    assert applied["version"] == 2 and applied["reason"] == "proposal"

    env_path = root / "shared" / "config.env"
    env_path.write_text(env_path.read_text().replace("LOG_LEVEL=info", "LOG_LEVEL=debug"))
    drift = json.loads(run("drift", "prod", "--format", "json", code=1))
    assert drift["differences"] == [{"key": "LOG_LEVEL", "kind": "changed", "where": "file"}]
    assert "unresolved since" in run("drift", "prod", code=1)
    run("apply", "prod")
    assert "no drift" in run("drift", "prod")

    reverted = json.loads(run("revert", "prod", "--format", "json"))
    assert (reverted["reverted_from"], reverted["version"]) == (1, 3)
    assert f"API_TOKEN={SECRET}\n" in env_path.read_text()
    hist = json.loads(run("history", "prod", "API_TOKEN", "--format", "json"))
    assert [v["version"] for v in hist["versions"]] == [1, 2, 3]
    assert [v["approver"] for v in hist["versions"]] == [
        "bob@example.com",
        "carol@example.com",
        None,
    ]
    text = run("history", "prod")
    assert "v3" in text and "revert to 1" in text and "applied" in text

    rotated = json.loads(run("rotate-key", "prod", "--format", "json"))
    assert rotated["reencrypted"] == {"prod": 3}
    assert "no drift" in run("drift", "prod")

    assert "no environment 'stage'" in run("apply", "stage", code=2)
    assert "no such proposal" in run(
        "approve", "prod", "P-0000000000", actor="bob@example.com", code=2
    )
    (repo / ".changegate" / "config.key").unlink()
    assert "config encryption key not found" in run("apply", "prod", code=2)

    ledger = json.loads(cg(repo, "audit", "log", "--format", "json")[1])
    outputs.append(json.dumps(ledger))
    everything = "\n".join(outputs)
    assert SECRET not in everything
    assert SECRET.encode() not in b"".join(
        p.read_bytes() for p in (repo / ".changegate").iterdir() if p.name.startswith("state.db")
    )


def _cmd(repo) -> list[str]:
    import sys

    return [sys.executable, "-m", "changegate.cli.main", "-C", str(repo)]


def _env(actor: str) -> dict[str, str]:
    import os

    return {**os.environ, "CHANGEGATE_ACTOR": actor}


def test_set_refuses_a_credential_in_clear_and_drift_on_a_broken_file(cfg):
    repo, keys, root = cfg
    with (repo / "changegate.toml").open("a") as fh:  # declared, but not marked secret
        fh.write("[environments.prod.config.keys.SMTP_PASSWORD]\n")
    rc, out, err = cg(repo, "config", "import", "prod", str(_env_file(root)), actor=DEV)
    assert rc == 0, err
    pid = out.split()[0]
    assert cg(repo, "config", "approve", "prod", pid, "--key", str(keys["bob"]),
              actor="bob@example.com")[0] == 0  # fmt: skip
    assert cg(repo, "config", "apply", "prod", actor=DEV)[0] == 0
    count = len(json.loads(cg(repo, "audit", "log", "--format", "json")[1]))

    rc, out, err = cg(repo, "config", "set", "prod", "SMTP_PASSWORD=hunter2", actor=DEV)
    assert rc == 2 and out == "", (out, err)
    assert "SMTP_PASSWORD looks like a credential" in err and "--secret" in err
    assert "stdin" in err and "hunter2" not in err and len(err.strip().splitlines()) == 1
    assert len(json.loads(cg(repo, "audit", "log", "--format", "json")[1])) == count
    proc = subprocess.run(
        [*_cmd(repo), "config", "set", "prod", "SMTP_PASSWORD", "--secret", "--format", "json"],
        input="hunter2\n",
        capture_output=True,
        text=True,
        env=_env(DEV),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (change,) = json.loads(proc.stdout)["changes"]
    assert change["secret"] is True and "value" not in change and "hunter2" not in proc.stdout
    rc, out, _ = cg(repo, "config", "set", "--help")
    assert "stdin" in out and "--secret" in out

    # A hand edit that breaks the rendered file: drift (exit 1), recorded; apply overwrites.
    env_path = root / "shared" / "config.env"
    env_path.write_text(env_path.read_text().replace("WORKERS=4", "export WORKERS=64"))
    rc, out, err = cg(repo, "config", "drift", "prod", "--format", "json", actor=DEV)
    assert rc == 1, (out, err)
    drift = json.loads(out)
    assert drift["recorded"] and [d["kind"] for d in drift["differences"]] == ["unparseable"]
    rc, out, _ = cg(repo, "config", "drift", "prod", actor=DEV)
    assert rc == 1 and "unparseable" in out and "not a KEY=VALUE line" in out
    assert cg(repo, "config", "apply", "prod", actor=DEV)[0] == 0
    rc, out, _ = cg(repo, "config", "drift", "prod", actor=DEV)
    assert rc == 0 and "no drift" in out


def _env_file(root):
    root.mkdir(parents=True, exist_ok=True)
    path = root / "import.env"
    path.write_text(f"LOG_LEVEL=info\nWORKERS=4\nAPI_TOKEN={SECRET}\n")
    return path
