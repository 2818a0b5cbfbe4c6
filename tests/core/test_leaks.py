"""Folding secrets events into leak states."""

from __future__ import annotations

import json

from changegate.core import leaks as lk
from changegate.core.ledger import chain_event, utc_timestamp


def events(*specs):
    out, head = [], None
    for actor, action, subject, payload in specs:
        e = chain_event(head, utc_timestamp(), actor, action, subject, json.dumps(payload))
        out.append(e)
        head = (e.seq, e.hash)
    return out


OPEN = (
    "ci@x",
    lk.OPENED,
    "fp1",
    {
        "rule": "github-pat",
        "preview": "ghp_…(40)",
        "commit": "c1",
        "path": "a.py",
        "line": 3,
        "refs": ["refs/heads/main"],
    },
)


def test_open_rotate_purge_close():
    leak = lk.fold(events(OPEN))["fp1"]
    assert (leak.state, leak.rule, leak.line, leak.is_open) == ("open", "github-pat", 3, True)
    leak = lk.fold(events(OPEN, ("alice@x", lk.ROTATED, "fp1", {"note": "revoked"})))["fp1"]
    assert leak.state == "rotated, purge not checked" and leak.rotated_by == "alice@x"
    still = ("alice@x", lk.PURGE_CHECKED, "fp1", {"clean": False, "refs": ["refs/heads/main"]})
    leak = lk.fold(events(OPEN, ("a@x", lk.ROTATED, "fp1", {}), still))["fp1"]
    assert leak.state == "rotated, still in history" and not leak.ready_to_close()
    clean = ("alice@x", lk.PURGE_CHECKED, "fp1", {"clean": True})
    leak = lk.fold(events(OPEN, ("a@x", lk.ROTATED, "fp1", {}), still, clean))["fp1"]
    assert leak.ready_to_close()
    leak = lk.fold(
        events(OPEN, ("a@x", lk.ROTATED, "fp1", {}), clean, ("a@x", lk.CLOSED, "fp1", {}))
    )["fp1"]
    assert leak.state == "closed" and not leak.is_open


def test_purge_before_rotation_is_not_enough():
    leak = lk.fold(events(OPEN, ("a@x", lk.PURGE_CHECKED, "fp1", {"clean": True})))["fp1"]
    assert leak.state == "purged, not rotated" and not leak.ready_to_close()


def test_reopen_resets_the_lifecycle_and_allow_closes():
    reopened = ("ci@x", lk.REOPENED, "fp1", {"commit": "c9", "path": "b.py", "line": 1})
    leak = lk.fold(
        events(OPEN, ("a@x", lk.ROTATED, "fp1", {}), ("a@x", lk.CLOSED, "fp1", {}), reopened)
    )["fp1"]
    assert (leak.state, leak.first_commit, leak.rotated_at) == ("open", "c9", None)
    allowed = lk.fold(events(("bob@x", lk.ALLOWED, "fp2", {"reason": "test fixture"})))["fp2"]
    assert (allowed.state, allowed.allowed_by, allowed.is_open) == ("allowed", "bob@x", False)


def test_unrelated_and_orphan_events_are_ignored():
    assert (
        lk.fold(
            events(("a@x", "audit.checkpoint", "ledger@1", {}), ("a@x", lk.ROTATED, "nobody", {}))
        )
        == {}
    )
