"""Reconciliation of a protected branch against the ledger: what counts as a recorded change."""

from __future__ import annotations

import os
import subprocess
from datetime import UTC, datetime, timedelta

from tests.conftest import git

from changegate.app import App
from changegate.evidence.exceptions import pushes_exceptions
from changegate.evidence.period import parse_period
from changegate.workflows.change import patch_id
from changegate.workflows.history import EXPORTED, reconcile

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


def backdated(repo, name: str, when: str = "2020-01-01T00:00:00+00:00") -> str:
    """A commit whose author and committer dates are whatever the committer chose."""
    (repo / name).write_text(name + "\n")
    git(repo, "add", name)
    env = {**os.environ, "GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when}
    subprocess.run(["git", "commit", "-qm", name], cwd=repo, check=True, env=env)
    return git(repo, "rev-parse", "HEAD").strip()


def adopted(repo) -> App:
    (repo / "changegate.toml").write_text("# adopted\n")
    git(repo, "add", "changegate.toml")
    git(repo, "commit", "-qm", "adopt changegate")
    app = App.at(repo)
    app.store(create=True)
    return app


def test_a_backdated_commit_hides_no_direct_push(repo):
    app = adopted(repo)
    try:
        earlier = commit(repo, "pushed in the period")
        old = backdated(repo, "dated 2020 on top of main")
        pushes = {p.commit: p for p in reconcile(app, PERIOD)}
        assert set(pushes) == {earlier, old}
        assert pushes[old].dated_outside_period and not pushes[earlier].dated_outside_period
        # Commits older than the adoption commit predate the process, whatever their date.
        assert git(repo, "rev-parse", "HEAD~3").strip() not in pushes
    finally:
        app.close()


def test_a_backdated_push_after_the_last_recorded_head_belongs_to_the_next_period(repo):
    app = adopted(repo)
    try:
        commit(repo, "pushed before the export")
        # An export recorded main's head: the ledger saw it there at that moment.
        head = git(repo, "rev-parse", "HEAD").strip()
        app.store().append("auditor@example.com", EXPORTED, "q", {"branches": {"main": head}})
        late = backdated(repo, "pushed after the export, dated 2020")
        start = DAY + timedelta(days=2)
        later = parse_period(start.isoformat(), (start + timedelta(days=5)).isoformat())
        (push,) = reconcile(app, later)
        assert push.commit == late and push.dated_outside_period
        (row,) = pushes_exceptions([push])
        assert row.kind == "direct-push" and row.subject == late
        assert "outside the period" in row.detail
    finally:
        app.close()
