"""The policy's own lifecycle: reminders in check, and the owner's recorded review."""

from __future__ import annotations

import json
import re
from datetime import date

from tests.adapters.test_policy_file import GOOD
from tests.cli.teamrepo import cg
from tests.conftest import git

from changegate.adapters.policy_file import parse_policy
from changegate.workflows.policy_review import reminders

POLICY = parse_policy(GOOD, "changegate.toml")  # last reviewed 2026-05-24: due 2027-05-24


def test_reminders_overdue_due_soon_and_quiet():
    assert "overdue since 2027-05-24" in reminders(POLICY, [], date(2027, 6, 1))[0]
    assert "due 2027-05-24 (within 30 days)" in reminders(POLICY, [], date(2027, 5, 1))[0]
    assert reminders(POLICY, ["app/x.py"], date(2026, 12, 1)) == []


def test_material_change_to_the_toolchain():
    (note,) = reminders(POLICY, ["app/x.py", ".github/workflows/deploy.yml"], date(2026, 12, 1))
    assert "material change to the deployment toolchain" in note and "deploy.yml" in note


def test_owner_records_the_review(repo):
    assert cg(repo, "init", "--owner", "lead@example.com")[0] == 0
    path = repo / "changegate.toml"
    path.write_text(re.sub(r"last_reviewed = \S+", "last_reviewed = 2024-01-10", path.read_text()))
    assert cg(repo, "policy", "check")[0] == 1  # overdue
    code, _, err = cg(repo, "policy", "review", "--note", "looked at it")
    assert code == 1 and "only the policy owner (lead@example.com)" in err
    code, out, err = cg(
        repo,
        "policy",
        "review",
        "--note",
        "annual review: no change needed",
        actor="lead@example.com",
    )
    assert code == 0, err
    assert f"last_reviewed = {date.today().isoformat()}" in path.read_text()
    assert cg(repo, "policy", "check")[0] == 0
    code, out, _ = cg(repo, "audit", "log", "--action", "policy.reviewed", "--format", "json")
    (event,) = json.loads(out)["events"]
    assert event["actor"] == "lead@example.com"
    assert event["payload"]["previous_review"] == "2024-01-10"
    assert git(repo, "status", "--porcelain").strip()  # the renewed file is for the owner to commit
