"""The full trail of one change, for the sampled changes of the report.

Every event about the change's head (gate results, the verdict, reviews), its
merge, and what followed: the first release and the first deployment per
environment whose commit contains the merge. Only the sample is traced, so a
few indexed look-ups and ``git merge-base --is-ancestor`` calls per change.
"""

from __future__ import annotations

from typing import Any

from changegate.adapters.storage.store import EventFilter
from changegate.app import App
from changegate.core.ledger import Event
from changegate.evidence.events import read
from changegate.evidence.rows import ChangeRow


def summary(e: Event) -> str:
    """One line that says what the event records."""
    d = e.data()
    a = e.action
    if a == "gate.result":
        return f"{d.get('name')}: {d.get('status')} — {d.get('reason', '')}"
    if a == "check.verdict":
        return f"verdict {d.get('verdict')} (evidence {str(d.get('evidence_digest', ''))[:12]})"
    if a.startswith("review."):
        return f"{a.removeprefix('review.')} of patch-id {str(d.get('patch_id', ''))[:12]}"
    if a == "change.merged":
        return (
            f"merged {d.get('branch')} into {d.get('into')} on verdict seq {d.get('verdict_seq')}"
        )
    if a == "release.created":
        return f"release {e.subject} on {str(d.get('commit', ''))[:12]} ({d.get('basis')})"
    if a == "deploy.finished":
        return (
            f"{d.get('kind')} {d.get('tag')} to {d.get('environment')} by "
            f"{d.get('deployer')}: {d.get('outcome')}"
        )
    if a.startswith("emergency."):
        return f"{a.removeprefix('emergency.')} {e.subject}"
    return a


def _entry(e: Event) -> dict[str, Any]:
    return {"seq": e.seq, "ts": e.ts, "actor": e.actor, "action": e.action, "what": summary(e)}


class Tracer:
    """Traces sampled changes; releases and deploys are read once for all of them."""

    def __init__(self, app: App, until: str | None = None) -> None:
        self.app = app
        self.releases = read(self.app, EventFilter(action="release.created", until=until))
        self.deploys = read(self.app, EventFilter(action="deploy.finished", until=until))
        self.reviews = {
            e.seq: e for e in read(self.app, EventFilter(action="review.*", until=until))
        }
        self._contains: dict[tuple[str, str], bool] = {}

    def _in(self, commit: str, tip: str) -> bool:
        key = (commit, tip)
        if key not in self._contains:
            self._contains[key] = bool(tip) and (
                commit == tip or self.app.git.raw("merge-base", "--is-ancestor", commit, tip).ok
            )
        return self._contains[key]

    def trail(self, c: ChangeRow) -> list[dict[str, Any]]:
        events = {e.seq: e for e in read(self.app, EventFilter(subject=c.head))}
        events.update({e.seq: e for e in read(self.app, EventFilter(subject=c.merge_commit))})
        if c.emergency:
            events.update({e.seq: e for e in read(self.app, EventFilter(subject=c.emergency))})
        for r in c.reviews:  # reviews of the same diff may name another (rebased) commit
            if r.seq in self.reviews:
                events[r.seq] = self.reviews[r.seq]
        release = next(
            (r for r in self.releases if self._in(c.merge_commit, str(r.data().get("commit")))),
            None,
        )
        if release is not None:
            events[release.seq] = release
        seen_env: set[str] = set()
        for d in self.deploys:
            data = d.data()
            env = str(data.get("environment") or d.subject)
            if env not in seen_env and self._in(c.merge_commit, str(data.get("commit", ""))):
                seen_env.add(env)
                events[d.seq] = d
        return [_entry(events[s]) for s in sorted(events)]
