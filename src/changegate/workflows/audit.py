"""Audit use cases: verify the ledger, sign checkpoints, list events.

``verify`` also holds git to the ledger (see :mod:`changegate.workflows.history`):
recorded merges, released tags and deployed commits must still be where they were
recorded; ``reconcile`` lists the direct pushes of a period for the evidence export.

Verification streams the chain once (one SHA-256 per event over bytes the
database prebuilt); only a damaged chain is loaded whole to name the damage.
Checkpoints live outside the database and are signed with the ledger key, so
a truncated tail or a recomputed chain is caught even though each remaining
event still hashes correctly.
"""

from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from changegate.adapters import checkpoints, keys
from changegate.adapters.storage import chain_scan
from changegate.adapters.storage.store import EventFilter, Store
from changegate.app import App
from changegate.core.ledger import (
    Checkpoint,
    Damage,
    Event,
    Finding,
    VerifyReport,
    classify,
    compare_checkpoint,
    utc_timestamp,
)
from changegate.errors import ChangegateError, EnvironmentProblem, InputError
from changegate.workflows.history import DirectPush, reconcile, release_and_deploy_problems

__all__ = ["DirectPush", "checkpoint", "log", "reconcile", "verify", "verify_chain"]


def _public_key(app: App) -> Ed25519PublicKey:
    """The key checkpoints must be signed with: pinned in the policy, else the key file's."""
    audit = app.policy().audit
    if audit.ledger_public_key:
        return keys.parse_public(audit.ledger_public_key)
    return keys.load_key(app.path(audit.ledger_key)).public_key()


def latest_checkpoint(app: App) -> Checkpoint | None:
    audit = app.policy().audit
    return checkpoints.latest(app.path(audit.checkpoint_dir), app.git, audit.checkpoint_git_ref)


def verify(app: App) -> VerifyReport:
    public = None
    cp = latest_checkpoint(app)
    if cp is not None:
        public = _public_key(app)
    report = verify_chain(app.store(), cp, public)
    report.history = history_problems(app) + release_and_deploy_problems(app)
    return report


def history_problems(app: App) -> list[str]:
    """Recorded merges that the protected branch no longer contains (history rewritten).

    A merge the ledger records on ``main`` must stay reachable from ``main``:
    a force-push that drops it erases reviewed history, which §5 forbids.
    """
    problems = []
    for event in app.store().events(EventFilter(action="change.merged")):
        try:
            branch = str(event.data().get("into", ""))
        except ChangegateError:
            continue  # a damaged payload: the chain check reports it

        commit = event.subject
        if not app.git.raw("cat-file", "-e", f"{commit}^{{commit}}").ok:
            problems.append(
                f"merge {commit[:12]} recorded at seq {event.seq} no longer exists "
                "in this repository"
            )
            continue
        if (
            not branch
            or not app.git.raw("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}").ok
        ):
            continue  # the branch is not in this clone: nothing to compare here
        contained = app.git.raw("merge-base", "--is-ancestor", commit, f"refs/heads/{branch}")
        if not contained.ok:
            problems.append(
                f"merge {commit[:12]} recorded on {branch} at seq {event.seq} is no "
                f"longer reachable from {branch}: history was rewritten"
            )
    return problems


def verify_chain(
    store: Store, cp: Checkpoint | None, public: Ed25519PublicKey | None
) -> VerifyReport:
    """Walk the chain; name the first damage; hold an intact chain against ``cp``."""
    report = VerifyReport()
    count, head_seq, head_hash, bad = chain_scan.scan(store)
    report.events, report.head_seq, report.head_hash = count, head_seq, head_hash
    if bad is not None:
        chain = store.events()
        report.events = len(chain)
        report.finding = classify(chain, bad)
    report.checkpoint = cp
    if cp is None or public is None:
        report.notes.append(
            "no signed checkpoint yet: truncation of the tail cannot be detected; "
            "run `changegate audit checkpoint`"
        )
        return report
    if cp.key_id != keys.key_id(public) or not keys.verify(public, cp.signed_bytes(), cp.signature):
        bad_cp = Finding(
            Damage.BAD_CHECKPOINT,
            cp.seq,
            f"checkpoint {cp.source} is not signed by the ledger key {keys.key_id(public)}",
        )
        report.finding = report.finding or bad_cp
        return report
    if report.finding is None:
        report.finding = compare_checkpoint(report, cp, store.hash_at)
    return report


def checkpoint(app: App) -> tuple[Checkpoint, list[str]]:
    """Sign the current head, store it in every configured place, record that we did."""
    audit = app.policy().audit
    store = app.store()
    head = store.head()
    if head is None:
        raise InputError("the ledger is empty; there is nothing to checkpoint yet")
    key = keys.load_key(app.path(audit.ledger_key))
    if audit.ledger_public_key and keys.public_text(key) != audit.ledger_public_key:
        raise EnvironmentProblem(
            f"{audit.ledger_key} is not the key pinned in changegate.toml "
            "(audit.ledger_public_key); restore the right key file"
        )
    unsigned = Checkpoint(
        seq=head[0], hash=head[1], ts=utc_timestamp(), key_id=keys.key_id(key), signature=""
    )
    cp = Checkpoint(
        seq=unsigned.seq,
        hash=unsigned.hash,
        ts=unsigned.ts,
        key_id=unsigned.key_id,
        signature=keys.sign(key, unsigned.signed_bytes()),
    )
    written = checkpoints.write_file(app.path(audit.checkpoint_dir), cp)
    places = [
        str(written.relative_to(app.root)) if written.is_relative_to(app.root) else str(written)
    ]
    if audit.checkpoint_git_ref:
        checkpoints.write_ref(app.git, audit.checkpoint_git_ref, cp)
        places.append(audit.checkpoint_git_ref)
    store.append(
        app.actor(),
        "audit.checkpoint",
        f"ledger@{cp.seq}",
        {"seq": cp.seq, "hash": cp.hash, "key_id": cp.key_id, "stored": places},
    )
    return cp, places


def log(app: App, flt: EventFilter) -> list[Event]:
    return app.store().events(flt)
