"""The evidence export over a quarter with known content, driven through the real CLI.

The team repository (real SSH reviewers, real gates) goes through: a reviewed
change, a change whose author signed their own approval (refused by the gate)
before a second party approved, an emergency whose retroactive review came
late, a direct push to main, a configuration drift, and two deployments (one by
the author of the changes, one of an unrecorded commit). Deploy and config
events are appended with the vocabulary those features record.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import sqlite3
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from tests.cli.teamrepo import approve, cg, change, team, verdict
from tests.conftest import git

from changegate.adapters import review_notes, signing
from changegate.adapters.storage.store import EventFilter, open_store
from changegate.app import App
from changegate.core.reviews import Attestation
from changegate.evidence.period import parse_period
from changegate.workflows.audit import reconcile, verify
from changegate.workflows.change import resolve
from changegate.workflows.export import export

__all__ = ["team"]  # the shared team-repository fixture

TODAY = date.today()
FROM, TO = (TODAY - timedelta(days=1)).isoformat(), (TODAY + timedelta(days=1)).isoformat()


def head(repo: Path, rev: str = "HEAD") -> str:
    return git(repo, "rev-parse", rev).strip()


def commit_as(repo: Path, who: str, path: str, body: str, message: str) -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_EMAIL": who,
        "GIT_COMMITTER_EMAIL": who,
        "GIT_AUTHOR_NAME": who,
        "GIT_COMMITTER_NAME": who,
    }
    (repo / path).write_text(body)
    subprocess.run(["git", "add", path], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", message], cwd=repo, check=True, env=env)


def merge_feature(repo: Path) -> str:
    git(repo, "checkout", "-q", "main")
    code, _, err = cg(repo, "merge", "feature")
    assert code == 0, err
    merged = head(repo)
    git(repo, "checkout", "-q", "feature")
    git(repo, "merge", "-q", "--ff-only", "main")
    return merged


def append(repo: Path, actor: str, action: str, subject: str, payload: dict) -> int:
    store = open_store(None, repo)
    try:
        return store.append(actor, action, subject, payload).seq
    finally:
        store.close()


def deploy(repo: Path, ident: str, deployer: str, tag: str, commit: str, previous: str | None):
    now = datetime.now(UTC).isoformat()
    common = {"deployment": ident, "kind": "deploy", "tag": tag, "commit": commit}
    append(
        repo,
        deployer,
        "deploy.started",
        "production",
        {**common, "environment": "production", "previous_tag": previous},
    )
    append(
        repo,
        deployer,
        "deploy.finished",
        "production",
        {
            **common,
            "environment": "production",
            "deployer": deployer,
            "started_at": now,
            "ended_at": now,
            "outcome": "deployed",
            "migrations_applied": [],
            "config_version": 2,
            "smoke": [{"name": "login", "kind": "url", "status": "ok", "attempts": 1}],
            "rollback_of": None,
            "reason": None,
            "basis": "release",
            "emergency": None,
        },
    )


def self_signed_note(repo: Path, keys, who: str) -> None:
    """What an author would have to do to approve their own change: sign a note by hand
    (the CLI refuses). The review gate must refuse it too, and the export must show it."""
    app = App.at(repo)
    c = resolve(app.git, "main", "HEAD")
    att = Attestation(who, "approve", False, c.head, c.patch_id, datetime.now(UTC).isoformat())
    signature = signing.sign(att.payload(), keys[who.split("@", maxsplit=1)[0]])
    review_notes.append(
        app.git, c.head, {"attestation": att.as_dict(), "signature": signature}, who
    )


@pytest.fixture
def quarter(team):
    repo, keys = team
    ids: dict[str, str] = {}
    # A: an ordinary reviewed change.
    change(repo, "app/core.py", "def add(a, b):\n    return a + b  # A\n", "A: comment add")
    assert approve(repo, "alice", keys)[0] == 0
    assert verdict(repo)["verdict"] == "pass"
    ids["A"] = merge_feature(repo)
    # B: carol writes it, tries to approve it herself (CLI refuses; a hand-signed note
    # is refused by the gate), then bob approves.
    commit_as(repo, "carol@example.com", "app/extra.py", "X = 1\n", "B: extra constant")
    code, _, err = approve(repo, "carol", keys)
    assert code == 1 and "cannot review their own change" in err
    self_signed_note(repo, keys, "carol@example.com")
    assert verdict(repo)["verdict"] == "blocked"
    assert approve(repo, "bob", keys)[0] == 0
    assert verdict(repo)["verdict"] == "pass"
    ids["B"] = merge_feature(repo)
    code, _, err = cg(repo, "release", "v1.0.0", "--rev", "main", actor="alice@example.com")
    assert code == 0, err
    ids["v1"] = head(repo, "main")
    # C: an emergency hotfix, declared with a deadline already past, closed late.
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "C: hotfix")
    c = resolve(App.at(repo).git, "main", "HEAD")
    ids["EMG"] = "EMG-late0001"
    append(
        repo,
        "dev@example.com",
        "emergency.declared",
        ids["EMG"],
        {
            "incident": "INC-42",
            "sev": "SEV1",
            "reason": "checkout down",
            "reason_kind": "incident",
            "commit": c.head,
            "base": "main",
            "merge_base": c.merge_base,
            "patch_id": c.patch_id,
            "skipped": ["review", "adversarial_review"],
            "due": (datetime.now(UTC) - timedelta(hours=2)).isoformat(),
        },
    )
    v = verdict(repo)
    assert v["verdict"] == "pass" and v["by_gate"]["review"]["status"] == "bypassed"
    ids["C"] = merge_feature(repo)
    code, _, err = cg(
        repo,
        "review",
        "approve",
        "--emergency",
        ids["EMG"],
        "--key",
        str(keys["alice"]),
        actor="alice@example.com",
    )
    assert code == 0, err
    code, _out, err = cg(repo, "emergency", "close", ids["EMG"])
    assert code == 0, err
    # A direct push to main, around the process.
    git(repo, "checkout", "-q", "main")
    commit_as(repo, "dev@example.com", "app/direct.py", "Y = 2\n", "quick fix straight to main")
    ids["direct"] = head(repo)
    git(repo, "tag", "v1.0.1-manual")
    git(repo, "checkout", "-q", "feature")
    # Configuration: a proposal, approved and applied, then drift found on the host.
    append(
        repo,
        "dev@example.com",
        "config.proposed",
        "production",
        {
            "proposal": "P-1",
            "environment": "production",
            "base_version": 1,
            "changes": [
                {"key": "API_URL", "op": "set", "secret": False, "value_hash": "ab" * 32,
                 "length": 20},
                {"key": "STRIPE_KEY", "op": "set", "secret": True, "value_hash": "cd" * 32,
                 "length": 32},
            ],
        },
    )  # fmt: skip
    append(
        repo,
        "bob@example.com",
        "config.approved",
        "production",
        {"proposal": "P-1", "environment": "production", "approver": "bob@example.com",
         "signature": "sig"},
    )  # fmt: skip
    append(
        repo,
        "dev@example.com",
        "config.applied",
        "production",
        {"environment": "production", "version": 2, "proposal": "P-1",
         "approver": "bob@example.com", "content_sha256": "ef" * 32, "reason": "new API"},
    )  # fmt: skip
    append(
        repo,
        "changegate",
        "config.drift",
        "production",
        {"environment": "production", "version": 2,
         "differences": [{"key": "DEBUG", "kind": "added", "where": "/srv/app/.env"}]},
    )  # fmt: skip
    # Deployments: the release by the author of its changes, then the direct push by bob.
    deploy(repo, "D-0001", "dev@example.com", "v1.0.0", ids["v1"], None)
    deploy(repo, "D-0002", "bob@example.com", "v1.0.1-manual", ids["direct"], "v1.0.0")
    return repo, keys, ids


def test_export_lists_exactly_the_expected_rows_and_exceptions(quarter, tmp_path):
    repo, _, ids = quarter
    app = App.at(repo)
    try:
        done = export(app, FROM, TO, tmp_path / "pack", sample=25, seed=11)
    finally:
        app.close()
    ev = done.evidence
    assert [c.id for c in ev.changes] == [ids["A"], ids["B"], ids["C"]]
    a, b, c = ev.changes
    assert a.approved_by == ["alice@example.com"] and a.authors == ["dev@example.com"]
    assert b.authors == ["carol@example.com"] and b.approved_by == ["bob@example.com"]
    assert any("carol@example.com" in r for r in b.rejected_reviews)
    assert c.emergency == ids["EMG"] and c.gates["review"] == "bypassed"
    assert all(x.verdict == "pass" and x.into == "main" for x in ev.changes)
    assert [d.deployment for d in ev.deployments] == ["D-0001", "D-0002"]
    assert [(r.key, r.secret, r.approver, r.version) for r in ev.config_changes] == [
        ("API_URL", False, "bob@example.com", 2),
        ("STRIPE_KEY", True, "bob@example.com", 2),
    ]
    (emg,) = ev.emergencies
    assert emg.late and not emg.open and emg.retro_reviewers == ["alice@example.com"]
    assert [p.commit for p in ev.direct_pushes] == [ids["direct"]]

    assert sorted((x.kind, x.subject) for x in ev.exceptions) == sorted(
        [
            ("self-approval", ids["B"]),
            ("direct-push", ids["direct"]),
            ("unrecorded-deploy", "D-0002"),
            ("retro-review-late", ids["EMG"]),
            ("config-drift", "production"),
        ]
    )
    assert sorted((f.kind, f.person, f.subject) for f in ev.sod) == [
        ("author=deployer", "dev@example.com", "D-0001"),
        ("author=reviewer", "carol@example.com", ids["B"]),
    ]
    assert ev.verification["ok"] is True

    pack = tmp_path / "pack"
    manifest = json.loads((pack / "manifest.json").read_text())
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((pack / name).read_bytes()).hexdigest() == entry["sha256"], name
    assert set(done.pack.files) == {p.name for p in pack.iterdir()}
    with (pack / "exceptions.csv").open() as fh:
        assert sorted(r["kind"] for r in csv.DictReader(fh)) == sorted(
            ["self-approval", "direct-push", "unrecorded-deploy", "retro-review-late",
             "config-drift"]
        )  # fmt: skip
    configs = (pack / "config_changes.csv").read_text()
    assert "cd" * 32 in configs  # value hashes, never values
    policy = json.loads((pack / "policy.json").read_text())["versions_in_force"]
    assert (
        policy
        and policy[-1]["sha256"]
        == hashlib.sha256((repo / "changegate.toml").read_bytes()).hexdigest()
    )
    assert {c.policy_sha256 for c in ev.changes} == {policy[-1]["sha256"]}

    # The sample is reproducible from the recorded seed, and each carries its trail.
    sample = json.loads((pack / "sample.json").read_text())
    assert sample["seed"] == 11 and len(sample["changes"]) == 3
    actions = {t["action"] for t in sample["changes"][0]["trail"]}
    assert {"check.verdict", "gate.result", "change.merged"} <= actions
    report = (pack / "report.html").read_text()
    assert "<svg" in report and "--seed 11" in report and "Ledger verified" in report
    assert "retro-review-late" in report and "<script" not in report

    store = open_store(None, repo)
    try:
        (event,) = store.events(EventFilter(action="audit.exported"))
    finally:
        store.close()
    assert event.seq == done.seq
    assert (
        event.data()["manifest_sha256"]
        == hashlib.sha256((pack / "manifest.json").read_bytes()).hexdigest()
    )

    # The same seed draws the same sample again.
    app = App.at(repo)
    try:
        again = export(app, FROM, TO, tmp_path / "again", sample=2, seed=11)
        other = export(app, FROM, TO, tmp_path / "other", sample=2, seed=12)
    finally:
        app.close()
    first = [s["change"]["id"] for s in again.evidence.sample["changes"]]
    assert first == [s["change"]["id"] for s in again.evidence.sample["changes"]]
    repeat = export(App.at(repo), FROM, TO, tmp_path / "repeat", sample=2, seed=11)
    assert [s["change"]["id"] for s in repeat.evidence.sample["changes"]] == first
    assert len({*first, *(s["change"]["id"] for s in other.evidence.sample["changes"])}) >= 2


def test_rewritten_branch_and_moved_tag_are_detected(quarter, tmp_path):
    repo, _, ids = quarter
    # Force-push main back before change C, with a different commit on top; move v1.0.0.
    git(repo, "checkout", "-q", "main")
    git(repo, "reset", "-q", "--hard", ids["B"])
    commit_as(repo, "dev@example.com", "app/other.py", "Z = 3\n", "rewritten history")
    git(repo, "tag", "-f", "-a", "v1.0.0", "-m", "moved", "HEAD")
    app = App.at(repo)
    try:
        report = verify(app)
        assert not report.ok
        joined = "\n".join(report.history)
        assert ids["C"][:12] in joined and "history was rewritten" in joined
        assert "v1.0.0" in joined and "moved" in joined
        pushes = reconcile(app, parse_period(FROM, TO))
        assert [p.title for p in pushes] == ["rewritten history"]
        done = export(app, FROM, TO, tmp_path / "pack", sample=0, seed=1)
    finally:
        app.close()
    kinds = [x.kind for x in done.evidence.exceptions]
    assert kinds.count("history-rewritten") == len(report.history)
    assert "Ledger verification FAILED" in (tmp_path / "pack" / "report.html").read_text()


def test_tampered_ledger_makes_the_export_say_so(team, tmp_path):
    repo, _ = team
    # The attacker has the database file: drops the append-only trigger, edits an event.
    con = sqlite3.connect(repo / ".changegate" / "state.db")
    con.execute("DROP TRIGGER ledger_events_no_update")
    con.execute("UPDATE ledger_events SET actor = 'mallory@example.com' WHERE seq = 1")
    con.commit()
    con.close()
    code, _out, err = cg(repo, "audit", "export", "--from", FROM, "--to", TO, "--out",
                        str(tmp_path / "pack"), "--seed", "3")  # fmt: skip
    assert code == 1, err
    assert "FAILED verification" in err
    verification = json.loads((tmp_path / "pack" / "ledger_verification.json").read_text())
    assert verification["ok"] is False and verification["damage"]["seq"] == 1
    assert verification["damage"]["kind"] == "edited"
    report = (tmp_path / "pack" / "report.html").read_text()
    assert "Ledger verification FAILED" in report and "edited at seq 1" in report
    exceptions = json.loads((tmp_path / "pack" / "exceptions.json").read_text())["exceptions"]
    assert [x["kind"] for x in exceptions] == ["ledger-damaged"]
