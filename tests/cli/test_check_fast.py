"""The verdict cache: an unchanged check is replayed (same verdict, same output, recorded in the
ledger) and anything that could change the verdict sends it back through the full check."""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

import pytest
from tests.cli.teamrepo import approve, cg, change
from tests.conftest import git

from changegate.app import App

CHECK = ("check", "--base", "main")


def last_verdict(repo: Path) -> dict:
    with sqlite3.connect(repo / ".changegate" / "state.db") as db:
        (payload,) = db.execute(
            "SELECT payload FROM ledger_events WHERE action = 'check.verdict' "
            "ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    return json.loads(payload)


def replayed(repo: Path) -> bool:
    return "replayed_from_seq" in last_verdict(repo)


def run(repo: Path, fmt: str) -> tuple[int, str]:
    code, out, err = cg(repo, *CHECK, "--format", fmt)
    assert code in (0, 1), err
    return code, out


def comparable(fmt: str, out: str) -> str:
    """The output without what differs between any two runs: durations, ledger seq, digest."""
    if fmt == "json":
        data = json.loads(out)
        for gate in data["gates"]:
            gate.pop("duration_s")
        data.pop("ledger_seq")
        data.pop("evidence_digest")
        return json.dumps(data, sort_keys=True)
    out = re.sub(r"ledger seq \d+", "ledger seq N", out)
    return re.sub(r"(evidence|Evidence digest) `?[0-9a-f]{16}", r"\1 D", out)


def forget_all(repo: Path) -> None:
    for entry in (repo / ".changegate" / "verdicts").glob("*.json"):
        entry.unlink()


@pytest.mark.parametrize("fmt", ["json", "text", "markdown", "sarif"])
def test_replay_gives_the_full_checks_verdict_and_output(team, fmt):
    repo, keys = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
    approve(repo, "alice", keys)
    run(repo, fmt)  # cold: every gate runs
    assert not replayed(repo)
    fast_code, fast = run(repo, fmt)
    assert replayed(repo)
    forget_all(repo)
    slow_code, slow = run(repo, fmt)  # the full check, reusing gate results by cache key
    assert not replayed(repo)
    assert fast_code == slow_code == 0
    assert comparable(fmt, fast) == comparable(fmt, slow)


def test_replay_is_recorded_on_the_chain(team):
    repo, _ = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
    run(repo, "json")
    before = last_verdict(repo)
    _, out = run(repo, "json")
    after = last_verdict(repo)
    data = json.loads(out)
    # A blocked change (no review yet) replays as blocked, with every gate recorded again.
    assert data["verdict"] == after["verdict"] == before["verdict"] == "blocked"
    assert after["evidence_digest"] == data["evidence_digest"]
    assert after["gates"] == before["gates"] and after["policy_sha256"] == before["policy_sha256"]
    _, out, _ = cg(repo, "audit", "log", "--subject", data["head"], "--format", "json")
    events = json.loads(out)["events"]
    gate_events = [
        e for e in events if e["action"] == "gate.result" and e["seq"] < data["ledger_seq"]
    ]
    assert {e["payload"]["name"] for e in gate_events[-len(data["gates"]) :]} == {
        g["name"] for g in data["gates"]
    }
    assert cg(repo, "audit", "verify")[0] == 0


def test_a_new_commit_a_review_a_policy_edit_or_any_event_means_a_full_check(team):
    repo, keys = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
    run(repo, "json")
    run(repo, "json")
    assert replayed(repo)

    change(repo, "app/core.py", "def add(a, b):\n    return (b + a)\n", "parens")
    assert run(repo, "json")[0] == 1 and not replayed(repo)
    run(repo, "json")
    assert replayed(repo)

    # A new review note (and its ledger event): the approval counts at once.
    approve(repo, "alice", keys)
    code, out = run(repo, "json")
    assert code == 0 and not replayed(repo)
    assert run(repo, "json")[0] == 0 and replayed(repo)

    # Any event since the recorded verdict: here one written through the real store.
    app = App.at(repo)
    app.store().append("ops@example.com", "test.unrelated", "x", {})
    app.close()
    assert run(repo, "json")[0] == 0 and not replayed(repo)

    # A policy edit on the base branch: the change is now judged by the new policy.
    git(repo, "checkout", "-q", "main")
    policy = repo / "changegate.toml"
    policy.write_text(policy.read_text().replace("[gates.lint]", "[gates.lint]\nenabled = false"))
    git(repo, "commit", "-qam", "lint off")
    git(repo, "checkout", "-q", "feature")
    code, out = run(repo, "json")
    assert not replayed(repo)
    lint = {g["name"]: g for g in json.loads(out)["gates"]}["lint"]
    assert lint["status"] == "skipped"


def test_a_failing_gate_is_run_again_never_replayed(team):
    repo, keys = team
    change(repo, "app/core.py", "import os\ndef add(a, b):\n    return a + b\n", "unused import")
    approve(repo, "alice", keys)
    assert run(repo, "json")[0] == 1
    code, out = run(repo, "json")
    assert code == 1 and not replayed(repo)
    lint = {g["name"]: g for g in json.loads(out)["gates"]}["lint"]
    assert lint["status"] == "fail" and "cached_from_seq" not in lint["evidence"]


def test_an_explicit_database_takes_the_full_check(team):
    repo, _ = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "commute")
    url = f"sqlite:///{repo / '.changegate' / 'state.db'}"
    for _ in range(2):
        assert cg(repo, "--db", url, *CHECK, "--format", "json")[0] == 1
        assert not replayed(repo)
