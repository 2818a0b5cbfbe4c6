"""Emergency changes end to end: declare, bypass, close (or not), list, stats."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from tests.cli.teamrepo import approve, cg, change, verdict
from tests.conftest import git

from changegate.adapters.storage.store import open_store


def declare(repo, *extra, sev="SEV1"):
    return cg(
        repo,
        "emergency",
        "declare",
        "--incident",
        "INC-231",
        "--sev",
        sev,
        "--reason",
        "checkout is down for every customer",
        "--base",
        "main",
        *extra,
        actor="dev@example.com",
    )


def test_sev1_hotfix_bypasses_review_then_closes_after_retro_review(team):
    repo, keys = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "hotfix")
    assert verdict(repo)["verdict"] == "blocked"
    code, out, err = declare(repo)
    assert code == 0, err
    ident = out.split(":")[0]
    assert "retroactive review due" in out
    record = (repo / "incidents" / "INC-231.md").read_text()
    assert ident in record and "bypassed: review, adversarial_review" in record
    assert "dev@example.com" in record

    v = verdict(repo)
    assert v["verdict"] == "pass"
    assert (
        v["by_gate"]["review"]["status"] == "bypassed" and ident in v["by_gate"]["review"]["reason"]
    )
    assert v["by_gate"]["lint"]["status"] == "pass"  # everything else still runs

    # An emergency may be released before its retroactive review (policy §3).
    code, out, err = cg(repo, "release", "v0.9.1", "--rev", "feature")
    assert code == 0 and "allowed by" in out, err
    # The hotfix ships (merged on its recorded verdict); main moves on.
    git(repo, "checkout", "-q", "main")
    assert cg(repo, "merge", "feature")[0] == 0
    code, _, err = cg(repo, "emergency", "close", ident)
    assert code == 1 and "retroactive review missing" in err
    code, out, _ = cg(repo, "emergency", "list", "--format", "json")
    assert json.loads(out)["emergencies"][0]["open"] is True

    # Next morning: the retroactive review of exactly the diff that shipped.
    code, _, err = cg(
        repo,
        "review",
        "approve",
        "--emergency",
        ident,
        "--key",
        str(keys["alice"]),
        actor="alice@example.com",
    )
    assert code == 0, err
    code, out, err = cg(repo, "emergency", "close", ident)
    assert code == 0, err
    assert "closed" in out and "alice@example.com" in out and "LATE" not in out
    code, out, _ = cg(repo, "emergency", "list", "--all", "--format", "json")
    (state,) = json.loads(out)["emergencies"]
    assert state["open"] is False and state["retro_reviewers"] == ["alice@example.com"]
    code, out, _ = cg(repo, "emergency", "close", ident)
    assert code == 2 and "already closed" in out + _
    code, out, _ = cg(repo, "emergency", "stats", "--format", "json")
    stats = json.loads(out)
    assert (stats["emergencies"], stats["closed"], stats["late"]) == (1, 1, 0)
    assert 0 < stats["share"] <= 1


def test_close_refused_while_a_skipped_gate_fails(team):
    repo, keys = team
    change(repo, "app/core.py", "def add(a, b):\n    return a - b\n", "hotfix (breaks tests)")
    code, _, err = declare(repo, "--skip", "review,tests")
    assert code == 0, err
    assert verdict(repo)["by_gate"]["tests"]["status"] == "bypassed"
    approve(repo, "alice", keys)
    code, _, err = cg(repo, "emergency", "close", (err and "x") or "x")
    assert code == 2  # an unknown id is bad input
    ident = json.loads(cg(repo, "emergency", "list", "--format", "json")[1])["emergencies"][0]["id"]
    code, _, err = cg(repo, "emergency", "close", ident)
    assert code == 1 and "skipped gate tests re-run" in err and "fail" in err


def test_policy_limits_on_bypass(team):
    repo, _ = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "hotfix")
    code, _, err = declare(repo, sev="SEV3")
    assert code == 1 and "SEV3 may not bypass" in err
    code, _, err = declare(repo, "--skip", "review,secrets")
    assert code == 1 and "secret scanning can never be skipped" in err
    code, _, err = cg(
        repo,
        "emergency",
        "declare",
        "--incident",
        "INC-1",
        "--sev",
        "SEV1",
        "--reason",
        "x",
        "--base",
        "main",
        "--kind",
        "whim",
    )
    assert code == 2
    assert not (repo / "incidents").exists()


def test_overdue_emergency_is_listed_and_reported_by_check(team):
    repo, _ = team
    change(repo, "app/core.py", "def add(a, b):\n    return b + a\n", "old hotfix")
    head = git(repo, "rev-parse", "HEAD").strip()
    store = open_store(None, repo)
    try:
        past = (datetime.now(UTC) - timedelta(days=3)).isoformat()
        store.append(
            "dev@example.com",
            "emergency.declared",
            "EMG-old",
            {
                "incident": "INC-9",
                "sev": "SEV2",
                "reason": "old outage",
                "reason_kind": "incident",
                "commit": head,
                "base": "main",
                "merge_base": head,
                "patch_id": "x",
                "skipped": ["review"],
                "due": past,
            },
        )
    finally:
        store.close()
    code, out, _ = cg(repo, "emergency", "list")
    assert code == 1 and "OVERDUE" in out and "1 overdue" in out
    v = verdict(repo)
    assert any("EMG-old" in n and "overdue" in n for n in v["notes"])
