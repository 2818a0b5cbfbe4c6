"""History preservation (policy §5): recorded commits stay reachable, and every commit
on a protected branch is accounted for by the ledger.

Two questions an auditor asks of git itself:

* Was history rewritten? Every commit the ledger says was merged, released
  (tag -> commit) or deployed must still exist where it was recorded: the
  merge on its branch, the tag on the same commit, the deployed commit
  inside some tag.
* Did anything reach a protected branch around the process? Each
  first-parent commit of the branch in the period must be a recorded merge,
  a commit with a passing verdict (a fast-forward, or a forge's merge of a
  checked head, or a squash with the same patch-id), a commit inside such a
  change, or an emergency's commit. Anything else is a direct push.

The policy has no protected-branches setting yet: the protected branches are
those ``change.merged`` events were recorded into, plus the default branch.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from changegate.adapters.storage.store import EventFilter
from changegate.app import App
from changegate.core import emergency as em
from changegate.core.ledger import parse_timestamp
from changegate.errors import ChangegateError, EnvironmentProblem
from changegate.evidence import gitinfo
from changegate.evidence.events import read
from changegate.evidence.period import Period

EXPORTED = "audit.exported"  # also written by workflows.export, which records branch heads


@dataclass(frozen=True)
class DirectPush:
    commit: str
    branch: str
    author: str
    committer: str
    committed_at: str
    title: str
    # Its commit date is outside the period, yet nothing recorded shows it on the branch
    # before the period began: a date is whatever the committer set, so it is reported.
    dated_outside_period: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "commit": self.commit,
            "branch": self.branch,
            "author": self.author,
            "committer": self.committer,
            "committed_at": self.committed_at,
            "title": self.title,
            "dated_outside_period": self.dated_outside_period,
        }


def protected_branches(app: App) -> list[str]:
    """Branches to reconcile: recorded merge targets and the default branch, if present."""
    from changegate.workflows.change import default_base

    names = {
        str(e.data().get("into"))
        for e in read(app, EventFilter(action="change.merged"))
        if e.data().get("into")
    }
    with contextlib.suppress(ChangegateError):  # no default branch: the recorded targets only
        names.add(default_base(app.git))
    return sorted(n for n in names if app.git.raw("rev-parse", "--verify", "--quiet", n).ok)


def release_and_deploy_problems(app: App) -> list[str]:
    """Released tags that moved or vanished; deployed commits no tag contains any more."""
    problems = []
    for e in read(app, EventFilter(action="release.created")):
        commit = str(e.data().get("commit", ""))
        res = app.git.raw("rev-parse", "--verify", "--quiet", f"refs/tags/{e.subject}^{{commit}}")
        if not res.ok:
            problems.append(
                f"release {e.subject} recorded at seq {e.seq} ({commit[:12]}): the tag is gone"
            )
        elif res.out.strip() != commit:
            problems.append(
                f"release {e.subject} recorded at seq {e.seq} on {commit[:12]} now points "
                f"to {res.out.strip()[:12]}: the tag was moved"
            )
    seen: set[str] = set()
    for e in read(app, EventFilter(action="deploy.finished")):
        commit = str(e.data().get("commit", ""))
        if not commit or commit in seen:
            continue
        seen.add(commit)
        if not app.git.raw("cat-file", "-e", f"{commit}^{{commit}}").ok:
            problems.append(
                f"deployed commit {commit[:12]} (seq {e.seq}) no longer exists in this repository"
            )
            continue
        tags = app.git.raw("for-each-ref", "--contains", commit, "--count=1", "refs/tags")
        if not tags.out.strip():
            problems.append(
                f"deployed commit {commit[:12]} (seq {e.seq}) is reachable from no tag: "
                "its release was deleted or rewritten"
            )
    return problems


@dataclass
class _Ledger:
    """What the ledger accounts for: commits and the changes (base, head) they close."""

    merged: set[str]
    heads: dict[str, str]  # commit with a passing verdict, or an emergency's -> its base
    patch_ids: set[str]
    adopted_at: str  # first policy.init: commits before it predate changegate
    adopted_head: str | None = None  # HEAD when changegate was initialised (newer ledgers)


def _ledger(app: App, until: str) -> _Ledger:
    merged = {e.subject for e in read(app, EventFilter(action="change.merged", until=until))}
    heads: dict[str, str] = {}
    patch_ids: set[str] = set()
    for e in read(app, EventFilter(action="check.verdict", until=until)):
        d = e.data()
        if d.get("verdict") == "pass":
            heads[e.subject] = str(d.get("base", ""))
            patch_ids.add(str(d.get("patch_id", "")))
    for s in em.fold(read(app, EventFilter(action="emergency.*", until=until))).values():
        heads.setdefault(s.commit, s.base)
    first = read(app, EventFilter(action="policy.init", limit=1))
    head = first[0].data().get("head") if first else None
    return _Ledger(
        merged, heads, patch_ids, first[0].ts if first else "", str(head) if head else None
    )


def _anchors(app: App, branch: str) -> dict[str, str]:
    """Commits the ledger saw on ``branch``, each with the earliest time it was seen there.

    A commit's own date is whatever its author chose; these times are the
    ledger's: a merge recorded into the branch (the merge commit is created
    on it), and the branch heads an export recorded. Everything on the
    first-parent line below such a commit was on the branch by then.
    """
    out: dict[str, str] = {}

    def seen(sha: str, ts: str) -> None:
        if sha and (sha not in out or ts < out[sha]):
            out[sha] = ts

    for e in read(app, EventFilter(action="change.merged")):
        if e.data().get("into") == branch:
            seen(e.subject, e.ts)
    for e in read(app, EventFilter(action=EXPORTED)):
        branches = e.data().get("branches")
        if isinstance(branches, dict):
            seen(str(branches.get(branch) or ""), e.ts)
    return out


def branch_heads(app: App) -> dict[str, str]:
    """The commit each protected branch points at now (recorded with an export)."""
    out = {}
    for branch in protected_branches(app):
        res = app.git.raw("rev-parse", "--verify", "--quiet", f"{branch}^{{commit}}")
        if res.ok:
            out[branch] = res.out.strip()
    return out


def _first_parent(app: App, branch: str, stop: str | None) -> list[gitinfo.CommitInfo]:
    """The first-parent line of ``branch``, newest first, down to (not including) ``stop``
    and its ancestors.

    Never bounded by date (``--since`` stops at the first commit older than the
    cutoff, so one backdated commit would hide every push below it).
    """
    args = ["log", "--first-parent", f"--format={gitinfo.FORMAT}", branch]
    if stop is not None:
        args.append(f"^{stop}")
    res = app.git.raw(*args)
    if not res.ok:
        raise EnvironmentProblem(
            f"cannot read the history of {branch}: {(res.err or res.out).strip()}"
        )
    return gitinfo.parse_log(res.out)


def _is_squash(app: App, commit: gitinfo.CommitInfo, patch_ids: set[str]) -> bool:
    from changegate.workflows.change import patch_id

    if len(commit.parents) != 1:
        return False
    return patch_id(app.git, commit.parents[0], commit.sha) in patch_ids


def _adoption_commit(app: App, branch: str) -> str | None:
    """The commit that first added the policy file to ``branch``: changegate's adoption."""
    from changegate.adapters.policy_file import POLICY_FILE

    res = app.git.raw(
        "log",
        "--diff-filter=A",
        "--topo-order",
        "--format=%H",
        "--reverse",
        branch,
        "--",
        POLICY_FILE,
    )
    first = res.out.split()
    return first[0] if res.ok and first else None


def _commit(app: App, rev: str | None) -> str | None:
    if not rev:
        return None
    res = app.git.raw("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
    return res.out.strip() if res.ok else None


def _before_init(c: gitinfo.CommitInfo, adopted_at: str) -> bool:
    """Without an adoption commit or a recorded head, the only hint left: commits dated
    (to the second) before the first ``policy.init`` predate the process."""
    if not adopted_at:
        return False
    init = parse_timestamp(adopted_at).replace(microsecond=0)
    return datetime.fromisoformat(c.committed_at) < init


def reconcile(app: App, period: Period) -> list[DirectPush]:
    """First-parent commits of the protected branches in the period that no recorded
    change accounts for: direct pushes, each an exception.

    The line is walked from the tip down to the adoption point (the commit that
    added the policy, else the head ``policy.init`` recorded), whatever the
    commits' dates. A commit belongs to the period unless the ledger shows it
    on the branch before the period began (a recorded merge or export head at
    or above it), or it and everything above it are dated after the period
    ended (only checked for a period already over). A direct push dated
    outside the period is still reported, with ``dated_outside_period`` set.
    """
    ledger = _ledger(app, period.until)
    over = period.end <= datetime.now(UTC)
    out: list[DirectPush] = []
    for branch in protected_branches(app):
        covered: set[str] = set()
        stop = _commit(app, _adoption_commit(app, branch) or ledger.adopted_head)
        anchors = _anchors(app, branch)
        reached = not over  # some commit at or above this one was there before the end
        for c in _first_parent(app, branch, stop):  # newest first
            seen = anchors.get(c.sha)
            if seen is not None and seen < period.since:
                break  # on the branch before the period: so is everything below it
            dated = datetime.fromisoformat(c.committed_at)
            if not reached and (dated < period.end or (seen is not None and seen < period.until)):
                reached = True
            accounted = (
                c.sha in covered
                or c.sha in ledger.merged
                or c.sha in ledger.heads
                or any(p in ledger.heads for p in c.parents[1:])
            )
            if ledger.heads.get(c.sha):
                # A fast-forwarded change: the commits inside it follow on the first-parent line.
                inside = app.git.raw("rev-list", f"{ledger.heads[c.sha]}..{c.sha}")
                covered.update(inside.out.split())
            if accounted or not reached:
                continue
            if stop is None and _before_init(c, ledger.adopted_at):
                continue
            if _is_squash(app, c, ledger.patch_ids):
                continue
            out.append(
                DirectPush(
                    c.sha,
                    branch,
                    c.author,
                    c.committer,
                    c.committed_at,
                    c.title,
                    dated_outside_period=not (period.start <= dated < period.end),
                )
            )
    return out
