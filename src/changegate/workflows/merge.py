"""``changegate merge``: merge locally only on a passing recorded verdict, and say so.

The verdict must be for the very commit being merged and for the merge base
it would be merged onto; the merge commit names the verdict and its evidence
digest, and the merge is itself an event, so every change on the protected
branch can be traced to the checks that let it in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from changegate.app import App
from changegate.errors import Blocked, InputError


@dataclass(frozen=True)
class Merged:
    branch: str
    head: str
    merge_commit: str
    verdict_seq: int
    evidence_digest: str


def passing_verdict(app: App, head: str, merge_base: str) -> tuple[int, dict[str, Any]] | None:
    from changegate.adapters.storage.store import EventFilter

    events = app.store().events(EventFilter(action="check.verdict", subject=head))
    for event in reversed(events):
        data = event.data()
        if data.get("base") == merge_base:
            return (event.seq, data) if data.get("verdict") == "pass" else None
    return None


def merge(app: App, branch: str) -> Merged:
    git = app.git
    if git.raw("diff", "--quiet", "HEAD").returncode != 0:
        raise InputError("the working tree has uncommitted changes; commit or stash them first")
    target = git.raw("symbolic-ref", "--quiet", "--short", "HEAD").out.strip()
    if not target:
        raise InputError("HEAD is detached; check out the branch to merge into")
    head = git.rev_parse(branch)
    merge_base = git("merge-base", "HEAD", head).strip()
    found = passing_verdict(app, head, merge_base)
    if found is None:
        raise Blocked(
            f"{branch} ({head[:12]}) has no passing verdict onto {target}; run "
            f"`changegate check --base {target} --head {branch}` and clear what blocks"
        )
    seq, data = found
    message = (
        f"Merge {branch} into {target}\n\nchangegate verdict: pass (ledger seq {seq})\n"
        f"evidence: {data.get('evidence_digest')}\npatch-id: {data.get('patch_id')}\n"
    )
    res = git.raw("merge", "--no-ff", "--no-edit", "-m", message, head)
    if not res.ok:
        git.raw("merge", "--abort")
        raise InputError(f"git merge failed: {(res.err or res.out).strip().splitlines()[-1:]}")
    merge_commit = git.rev_parse("HEAD")
    app.store().append(
        app.actor(),
        "change.merged",
        merge_commit,
        {
            "branch": branch,
            "into": target,
            "head": head,
            "verdict_seq": seq,
            "evidence_digest": data.get("evidence_digest"),
            "patch_id": data.get("patch_id"),
        },
    )
    return Merged(branch, head, merge_commit, seq, str(data.get("evidence_digest")))
