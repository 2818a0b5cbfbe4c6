"""``changegate audit export`` from the command line: bad input, an empty period, JSON."""

from __future__ import annotations

import csv
import json
import sqlite3
from pathlib import Path

from tests.cli.teamrepo import cg
from tests.conftest import git

from changegate.adapters.storage.store import open_store
from changegate.cli.main import main


def initialised(repo: Path) -> Path:
    assert main(["-C", str(repo), "init"]) == 0
    return repo


def test_dates_in_the_wrong_order_are_bad_input(repo, tmp_path):
    initialised(repo)
    code, _, err = cg(
        repo,
        "audit",
        "export",
        "--from",
        "2026-09-30",
        "--to",
        "2026-07-01",
        "--out",
        str(tmp_path / "p"),
    )
    assert code == 2 and "is after --to" in err and "Traceback" not in err
    assert not (tmp_path / "p").exists()
    code, _, err = cg(
        repo,
        "audit",
        "export",
        "--from",
        "July",
        "--to",
        "2026-07-01",
        "--out",
        str(tmp_path / "p"),
    )
    assert code == 2 and "--from 'July': not a date" in err


def test_unreachable_database_is_one_line_exit_2(repo, tmp_path):
    code, _, err = cg(
        repo,
        "--db",
        "postgresql://nobody@127.0.0.1:1/none",
        "audit",
        "export",
        "--from",
        "2026-07-01",
        "--to",
        "2026-09-30",
        "--out",
        str(tmp_path / "p"),
    )
    assert code == 2 and "cannot reach the database" in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "p").exists()


def test_a_used_directory_is_refused(repo, tmp_path):
    initialised(repo)
    used = tmp_path / "used"
    used.mkdir()
    (used / "notes.txt").write_text("mine\n")
    code, _, err = cg(
        repo, "audit", "export", "--from", "2026-07-01", "--to", "2026-09-30", "--out", str(used)
    )
    assert code == 2 and "not an empty directory" in err
    assert [p.name for p in used.iterdir()] == ["notes.txt"]


def test_an_empty_period_still_writes_a_valid_pack_and_says_so(repo, tmp_path):
    initialised(repo)
    out = tmp_path / "pack"
    code, stdout, err = cg(
        repo,
        "audit",
        "export",
        "--from",
        "2001-01-01",
        "--to",
        "2001-03-31",
        "--out",
        str(out),
        "--format",
        "json",
        "--seed",
        "5",
    )
    assert code == 0, err
    data = json.loads(stdout)
    assert data["summary"]["changes"] == 0 and data["summary"]["exceptions"] == 0
    assert any("nothing was recorded" in n for n in data["summary"]["notes"])
    assert (out / "changes.csv").read_text().startswith("id,title,authors,")
    assert json.loads((out / "changes.json").read_text())["changes"] == []
    assert "No changes in the period" in (out / "report.html").read_text()
    code, stdout, _ = cg(repo, "audit", "log", "--action", "audit.exported", "--format", "json")
    (event,) = json.loads(stdout)["events"]
    assert event["payload"]["manifest_sha256"] == data["manifest_sha256"]
    assert event["subject"] == "2001-01-01..2001-03-31"


def test_text_output_names_the_report_and_exceptions(repo, tmp_path):
    initialised(repo)
    (repo / "x.txt").write_text("pushed\n")
    git(repo, "add", "x.txt")
    git(repo, "commit", "-qm", "pushed without a change", "--date", "2099-01-01T00:00:00")
    code, stdout, err = cg(
        repo,
        "audit",
        "export",
        "--from",
        "2000-01-01",
        "--to",
        "2100-01-01",
        "--out",
        str(tmp_path / "p"),
    )
    assert code == 0, err
    assert "report: " in stdout and "report.html" in stdout
    assert "direct-push: 1" in stdout


def test_a_formula_in_a_commit_title_is_inert_in_the_csv_and_exact_in_the_json(repo, tmp_path):
    initialised(repo)
    title = '=HYPERLINK("http://evil/","x")'
    (repo / "x.txt").write_text("pushed\n")
    git(repo, "add", "x.txt")
    git(repo, "commit", "-qm", title)
    out = tmp_path / "p"
    code, _, err = cg(repo, "audit", "export", "--from", "2000-01-01", "--to", "2100-01-01",
                      "--out", str(out))  # fmt: skip
    assert code == 0, err
    with (out / "direct_pushes.csv").open(newline="") as fh:
        (row,) = csv.DictReader(fh)
    assert row["title"] == "'" + title
    assert row["dated_outside_period"] == "False"
    (push,) = json.loads((out / "direct_pushes.json").read_text())["direct_pushes"]
    assert push["title"] == title
    with (out / "exceptions.csv").open(newline="") as fh:
        (exc,) = csv.DictReader(fh)
    assert exc["kind"] == "direct-push" and not exc["detail"].startswith("=")


def test_a_payload_that_is_not_json_is_recorded_as_damage_not_a_crash(repo, tmp_path):
    initialised(repo)
    store = open_store(None, repo)
    try:
        head = git(repo, "rev-parse", "HEAD").strip()
        broken = [
            store.append("ci@example.com", "check.verdict", head, {"verdict": "pass"}).seq,
            store.append("dev@example.com", "deploy.finished", "production",
                         {"deployment": "D-1", "commit": head}).seq,
            store.append("dev@example.com", "emergency.declared", "EMG-1", {"incident": "I"}).seq,
            store.append("ops@example.com", "config.drift", "production", {}).seq,
            store.append("sec@example.com", "secrets.leak.opened", "fp", {}).seq,
            store.append("dev@example.com", "deploy.started", "production", {}).seq,
        ]  # fmt: skip
    finally:
        store.close()
    # The attacker has the database file: drops the append-only trigger, breaks payloads.
    con = sqlite3.connect(repo / ".changegate" / "state.db")
    con.execute("DROP TRIGGER ledger_events_no_update")
    for seq in broken:
        con.execute("UPDATE ledger_events SET payload = 'not {json' WHERE seq = ?", (seq,))
    con.commit()
    con.close()
    out = tmp_path / "pack"
    code, _, err = cg(repo, "audit", "export", "--from", "2000-01-01", "--to", "2100-01-01",
                      "--out", str(out), "--seed", "1")  # fmt: skip
    assert code == 1, err
    assert "FAILED verification" in err and "not JSON" in err
    verification = json.loads((out / "ledger_verification.json").read_text())
    assert verification["ok"] is False and verification["unreadable_payloads"] == broken
    exceptions = json.loads((out / "exceptions.json").read_text())["exceptions"]
    damaged = sorted(x["subject"] for x in exceptions if x["kind"] == "ledger-damaged")
    assert {f"seq {s}" for s in broken} <= set(damaged)
    assert json.loads((out / "deployments.json").read_text())["deployments"] == []
    assert json.loads((out / "emergencies.json").read_text())["emergencies"] == []
