"""Reconciliation of a protected branch against the ledger: what counts as a recorded change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.conftest import git

from changegate.app import App
from changegate.evidence.period import parse_period
from changegate.workflows.change import patch_id
from changegate.workflows.history import reconcile

DAY = datetime.now(UTC).date()
PERIOD = parse_period((DAY - timedelta(days=1)).isoformat(), (DAY + timedelta(days=1)).isoformat())


def commit(repo, name: str) -> str:
    (repo / name).write_text(name + "\n")
    git(repo, "add", name)
    git(repo, "commit", "-qm", name)
    return git(repo, "rev-parse", "HEAD").strip()


def passing(app: App, head: str, base: str) -> None:
    app.store().append(
        "ci@example.com",
        "check.verdict",
        head,
        {"verdict": "pass", "base": base, "patch_id": patch_id(app.git, base, head)},
    )


def test_fast_forward_and_squash_are_changes_other_commits_are_pushes(repo):
    (repo / "changegate.toml").write_text("# adopted\n")
    git(repo, "add", "changegate.toml")
    git(repo, "commit", "-qm", "adopt changegate")
    app = App.at(repo)
    app.store(create=True)
    try:
        base = git(repo, "rev-parse", "HEAD").strip()
        # A two-commit change checked at its head, then fast-forwarded onto main.
        inside = commit(repo, "one")
        ff_head = commit(repo, "two")
        passing(app, ff_head, base)
        pushed = commit(repo, "pushed")
        # A change checked on a branch, squashed onto main as one new commit.
        git(repo, "checkout", "-qb", "topic")
        commit(repo, "three")
        topic = commit(repo, "four")
        passing(app, topic, pushed)
        git(repo, "checkout", "-q", "main")
        git(repo, "merge", "-q", "--squash", "topic")
        git(repo, "commit", "-qm", "squashed topic")
        assert [p.title for p in reconcile(app, PERIOD)] == ["pushed"]
        assert inside not in {p.commit for p in reconcile(app, PERIOD)}
        before = parse_period("2001-01-01", "2001-01-02")
        assert reconcile(app, before) == []
    finally:
        app.close()
