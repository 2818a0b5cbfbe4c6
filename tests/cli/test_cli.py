"""The CLI end to end on real repositories: exit codes, messages, nothing written on error."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from tests.conftest import git

from changegate.cli.main import main


def run(repo: Path, *args: str) -> tuple[int, str, str]:
    """The real console script in a real process: what a user sees, tracebacks included."""
    proc = subprocess.run(
        [sys.executable, "-m", "changegate.cli.main", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "COLUMNS": "200"},
    )
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout, proc.stderr


@pytest.fixture
def adopted(repo: Path) -> Path:
    assert main(["-C", str(repo), "init", "--reviewer", "rev@example.com"]) == 0
    git(repo, "add", "changegate.toml", ".gitignore")
    git(repo, "commit", "-qm", "adopt changegate")
    return repo


def test_init_writes_policy_key_gitignore_and_first_event(adopted, capsys):
    repo = adopted
    text = (repo / "changegate.toml").read_text()
    assert 'policy_owner = "dev@example.com"' in text
    assert 'email = "rev@example.com"' in text
    assert 'ledger_public_key = "ed25519:' in text
    key = repo / ".changegate" / "ledger.key"
    assert key.stat().st_mode & 0o777 == 0o600
    assert ".changegate/" in (repo / ".gitignore").read_text().splitlines()
    assert git(repo, "status", "--porcelain") == ""  # nothing under .changegate is tracked
    assert main(["-C", str(repo), "audit", "log", "--format", "json"]) == 0
    events = json.loads(capsys.readouterr().out)["events"]
    assert [(e["seq"], e["actor"], e["action"]) for e in events] == [
        (1, "dev@example.com", "policy.init")
    ]


def test_init_twice_keeps_the_policy_and_key(adopted):
    before = (adopted / "changegate.toml").read_text()
    key = (adopted / ".changegate" / "ledger.key").read_bytes()
    code, out, _ = run(adopted, "init")
    assert code == 0 and "already exists" in out
    assert (adopted / "changegate.toml").read_text() == before
    assert (adopted / ".changegate" / "ledger.key").read_bytes() == key


def test_policy_check_and_show(adopted):
    code, out, _ = run(adopted, "policy", "check")
    assert code == 0 and "valid" in out
    code, out, _ = run(adopted, "policy", "show", "--format", "json")
    assert code == 0
    assert json.loads(out)["roles"]["policy_owner"] == "dev@example.com"
    code, out, _ = run(adopted, "policy", "show", "--rev", "HEAD")
    assert code == 0 and "next review due" in out


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("[gates.review]", "[gates.review"), "invalid TOML"),
        (lambda t: t + "\n[surprise]\nkey = 1\n", "surprise: unknown key"),
        (
            lambda t: t.replace("min_approvals = 1", 'min_approvals = "one"'),
            "gates.review.min_approvals: Input should be a valid integer",
        ),
    ],
)
def test_bad_policy_is_exit_2_one_line_per_problem(adopted, edit, expected):
    path = adopted / "changegate.toml"
    path.write_text(edit(path.read_text()))
    db = adopted / ".changegate" / "state.db"
    before = db.read_bytes()
    code, out, err = run(adopted, "policy", "check")
    assert code == 2 and out == ""
    assert expected in err
    assert all(line.startswith(("changegate: ", "  changegate.toml:")) for line in err.splitlines())
    assert db.read_bytes() == before


def test_overdue_policy_review_fails_the_check(adopted):
    path = adopted / "changegate.toml"
    text = path.read_text()
    import re

    path.write_text(re.sub(r"last_reviewed = \S+", "last_reviewed = 2020-01-15", text))
    code, _, err = run(adopted, "policy", "check")
    assert code == 1 and "due 2021-01-15" in err


def test_missing_policy_and_missing_database(repo):
    code, _, err = run(repo, "policy", "check")
    assert code == 2 and "changegate init" in err
    code, _, err = run(repo, "audit", "verify")
    assert code == 2 and "changegate init" in err
    assert not (repo / ".changegate").exists()


def test_outside_a_repository(tmp_path):
    code, _, err = run(tmp_path, "audit", "log")
    assert code == 2 and "not inside a git repository" in err


def test_unreachable_database_url(adopted):
    code, _, err = run(adopted, "--db", "postgresql://u:pw@127.0.0.1:1/x", "audit", "log")
    assert code == 2 and "cannot reach the database" in err and "pw" not in err


def test_corrupted_database_file(adopted):
    db = adopted / ".changegate" / "state.db"
    for suffix in ("-wal", "-shm"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    db.write_bytes(b"\x00garbage" * 1000)
    code, _, err = run(adopted, "audit", "verify")
    assert code == 2 and "not a valid SQLite database" in err
    assert db.read_bytes() == b"\x00garbage" * 1000


def test_no_identity_is_a_clear_error(adopted, monkeypatch):
    git(adopted, "config", "--unset", "user.email")
    monkeypatch.setenv("HOME", str(adopted))  # no global git identity either
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    code, _, err = run(adopted, "audit", "checkpoint")
    assert code == 2 and "CHANGEGATE_ACTOR" in err
    monkeypatch.setenv("CHANGEGATE_ACTOR", "robot@example.com")
    code, _, _ = run(adopted, "audit", "checkpoint")
    assert code == 0


def test_checkpoint_verify_and_tamper_from_the_cli(adopted):
    code, out, _ = run(adopted, "audit", "checkpoint")
    assert code == 0 and "refs/changegate/checkpoints" in out
    assert git(adopted, "show", "refs/changegate/checkpoints:checkpoint.json")
    code, out, _ = run(adopted, "audit", "verify", "--format", "json")
    report = json.loads(out)
    assert code == 0 and report["ok"] and report["checkpoint"]["seq"] == 1

    db = adopted / ".changegate" / "state.db"
    con = sqlite3.connect(db)
    con.execute("DROP TRIGGER ledger_events_no_update")
    con.execute("UPDATE ledger_events SET payload = '{}' WHERE seq = 2")
    con.commit()
    con.close()
    code, out, err = run(adopted, "audit", "verify")
    assert code == 1 and "edited at seq 2" in err


def test_checkpoint_in_git_ref_survives_loss_of_the_files(adopted):
    run(adopted, "audit", "checkpoint")
    run(adopted, "audit", "checkpoint")
    for f in (adopted / ".changegate" / "checkpoints").iterdir():
        f.unlink()
    con = sqlite3.connect(adopted / ".changegate" / "state.db")
    con.execute("DROP TRIGGER ledger_events_no_delete")
    con.execute("DELETE FROM ledger_events WHERE seq > 1")
    con.commit()
    con.close()
    code, _, err = run(adopted, "audit", "verify")
    assert code == 1 and "truncated at seq 2" in err


def test_audit_log_filters(adopted, monkeypatch):
    monkeypatch.setenv("CHANGEGATE_ACTOR", "bob@example.com")
    run(adopted, "audit", "checkpoint")
    code, out, _ = run(adopted, "audit", "log", "--actor", "bob@example.com", "--format", "json")
    assert [e["action"] for e in json.loads(out)["events"]] == ["audit.checkpoint"]
    code, out, _ = run(adopted, "audit", "log", "--action", "policy.*", "--format", "json")
    assert [e["seq"] for e in json.loads(out)["events"]] == [1]
    code, out, _ = run(adopted, "audit", "log", "--since", "2999-01-01", "--format", "json")
    assert json.loads(out)["events"] == []
    code, _, err = run(adopted, "audit", "log", "--since", "yesterday")
    assert code == 2 and "--since 'yesterday'" in err
    code, out, _ = run(adopted, "audit", "log")
    assert code == 0 and "audit.checkpoint" in out and "2 event(s)" in out


def test_postgres_backend_from_the_cli(adopted, pg_url, monkeypatch):
    monkeypatch.setenv("CHANGEGATE_DB", pg_url.replace("postgresql+psycopg://", "postgresql://"))
    code, _, err = run(adopted, "audit", "verify")
    assert (
        code == 2 and "changegate init" in err
    )  # no changegate schema yet: an empty database must be initialised
    code, _, _ = run(adopted, "init")
    assert code == 0
    assert run(adopted, "audit", "checkpoint")[0] == 0
    code, out, _ = run(adopted, "audit", "verify")
    assert code == 0 and "2 event(s)" in out


def test_help_lists_every_command():
    proc = subprocess.run(
        [sys.executable, "-m", "changegate.cli.main", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    for name in ("init", "policy", "audit", "demo"):
        assert name in proc.stdout


def test_demo_runs_end_to_end(tmp_path):
    code, out, _ = run(tmp_path, "demo", "--dir", str(tmp_path / "d"))
    assert code == 0, out
    for step in (
        "secrets list",
        "state: closed",
        "BLOCKED",
        "schemas restored",
        "verdict: blocked",
        "verdict: pass",
        "merged token-ttl",
        "bypassed by emergency",
        "closed: retroactive review by alice@example.com",
        "Runbook: deploy v1.1.0 to prod",
        "during the change and the revert: 0 failed",
        "config-drift",
        "v1.2.0 ROLLED BACK",
        "during the deploy and the automatic rollback: 0 failed",
        "policy owner's input",
        "prod back on v1.1.0",
        "report.html",
        "demo complete",
    ):
        assert step in out, step


def test_unknown_holiday_calendar_is_a_policy_error(adopted):
    path = adopted / "changegate.toml"
    path.write_text(
        path.read_text().replace('calendar_country = "US"', 'calendar_country = "Atlantis"')
    )
    code, _, err = run(adopted, "policy", "check")
    line = path.read_text().splitlines().index('calendar_country = "Atlantis"') + 1
    assert code == 2 and f"changegate.toml:{line}: emergency.calendar_country" in err
