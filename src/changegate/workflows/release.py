"""``changegate release``: tag a commit for production only when it passed the gates.

Policy §2: "Production deployments are tagged commits applied through a
documented procedure." A release is an annotated tag whose message cites the
verdict (or the emergency) that let the commit through and its evidence
digest, and an event in the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from changegate.app import App
from changegate.errors import Blocked, InputError


@dataclass(frozen=True)
class Release:
    tag: str
    commit: str
    basis: str  # what allowed it: "verdict seq N" or "emergency EMG-..."
    evidence_digest: str | None


def release_basis(app: App, commit: str) -> tuple[str, dict[str, Any]] | None:
    """Why ``commit`` may be released: its passing verdict, the verdict of the change a
    recorded merge brought in, or an emergency declared for it. ``data["emergency"]``
    names the emergency that shipped it, whichever the basis (a hotfix is usually
    merged before it is released: it stays an emergency change)."""
    from changegate.adapters.storage.store import EventFilter
    from changegate.workflows.emergency import emergencies

    store = app.store()
    states = list(emergencies(app).values())

    def emergency_of(*commits: str) -> str | None:
        return next((s.id for s in states if s.commit in commits), None)

    verdicts = store.events(EventFilter(action="check.verdict", subject=commit))
    if verdicts and verdicts[-1].data().get("verdict") == "pass":
        data = dict(verdicts[-1].data())
        data["emergency"] = emergency_of(commit)
        return f"verdict seq {verdicts[-1].seq}", data
    merges = store.events(EventFilter(action="change.merged", subject=commit))
    if merges:
        data = dict(merges[-1].data())
        data["emergency"] = emergency_of(commit, str(data.get("head")))
        return f"merge seq {merges[-1].seq} (verdict seq {data.get('verdict_seq')})", data
    for state in states:
        if state.commit == commit:
            return f"emergency {state.id} ({state.incident}, {state.sev})", {
                "emergency": state.id,
                "evidence_digest": None,
            }
    return None


def release(app: App, tag: str, rev: str | None = None, sign: bool = False) -> Release:
    git = app.git
    from changegate.core.deploy import TAG_NAME

    if not git.raw("check-ref-format", f"refs/tags/{tag}").ok or not TAG_NAME.match(tag):
        raise InputError(
            f"{tag!r} is not a release tag name; use something like v1.8.0 (letters, digits, "
            ". _ + -; it names the release's directory on every host)"
        )
    if git.raw("rev-parse", "--verify", "--quiet", f"refs/tags/{tag}").ok:
        raise InputError(
            f"tag {tag} already exists; a release is never moved, choose a new version"
        )
    commit = git.rev_parse(rev or "HEAD")
    found = release_basis(app, commit)
    if found is None:
        raise Blocked(
            f"{commit[:12]} has no passing recorded verdict (nor a declared "
            "emergency); run `changegate check` and `changegate merge` first"
        )
    basis, data = found
    digest = data.get("evidence_digest")
    message = (
        f"changegate release {tag}\n\nallowed by: {basis}\n"
        f"evidence: {digest or 'emergency bypass, retroactive review pending'}\n"
    )
    actor = app.actor()
    args = ["tag", "-s" if sign else "-a", tag, "-m", message, commit]
    git("-c", f"user.email={actor}", "-c", f"user.name={actor}", *args)
    app.store().append(
        actor,
        "release.created",
        tag,
        {"commit": commit, "basis": basis, "evidence_digest": digest, "signed": sign},
    )
    return Release(tag, commit, basis, digest)
