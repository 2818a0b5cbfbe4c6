"""Populations read from a real ledger on both backends, bounded by the period in SQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from changegate.app import App
from changegate.errors import InputError
from changegate.evidence import populations as pop
from changegate.evidence.exceptions import (
    Recorded,
    deploy_exceptions,
    drift_exceptions,
    emergency_exceptions,
)
from changegate.evidence.period import parse_period

TODAY = datetime.now(UTC).date()
PERIOD = parse_period((TODAY - timedelta(days=1)).isoformat(), TODAY.isoformat())
BEFORE = parse_period("2001-01-01", "2001-12-31")


@pytest.fixture
def app(repo, db_url):
    a = App.at(repo, db_url)
    a.store(create=True)
    yield a
    a.close()


def finished(ident: str, commit: str, **extra):
    return {
        "deployment": ident,
        "kind": "deploy",
        "tag": "v1",
        "commit": commit,
        "environment": "staging",
        "deployer": "bob@example.com",
        "started_at": "2026-07-01T10:00:00+00:00",
        "ended_at": "2026-07-01T10:02:00+00:00",
        "outcome": "deployed",
        "migrations_applied": [{"set": "db", "version": "3", "name": "add", "checksum": "c"}],
        "config_version": 4,
        "smoke": [{"name": "health", "kind": "url", "status": "ok", "attempts": 1}],
        "rollback_of": None,
        "reason": None,
        "basis": "release v1",
        "emergency": None,
        **extra,
    }


def test_deployments_and_config_rows(app):
    store = app.store()
    store.append("bob@example.com", "deploy.finished", "staging", finished("D-1", "a" * 40))
    store.append(
        "bob@example.com",
        "deploy.finished",
        "staging",
        finished("D-2", "b" * 40, kind="rollback", outcome="rolled-back", rollback_of="D-1"),
    )
    store.append(
        "dev@example.com",
        "config.proposed",
        "staging",
        {
            "proposal": "P-9",
            "environment": "staging",
            "base_version": 3,
            "changes": [{"key": "TOKEN", "op": "set", "secret": True, "value_hash": "f" * 64}],
        },
    )
    store.append(
        "dev@example.com",
        "config.applied",
        "staging",
        {"environment": "staging", "version": 4, "proposal": "P-9", "approver": "carol@x.io"},
    )
    store.append(
        "dev@example.com",
        "config.reverted",
        "staging",
        {"environment": "staging", "to_content_of": 3, "new_version": 5},
    )
    drift = {"environment": "staging", "version": 5, "differences": [{"key": "A", "kind": "x"}]}
    store.append("changegate", "config.drift", "staging", drift)
    store.append("dev@example.com", "config.drift_resolved", "staging", {"environment": "staging",
                 "how": "re-applied", "version": 5})  # fmt: skip

    deploys = pop.deployments(app, PERIOD)
    assert [(d.deployment, d.kind, d.rollback_of) for d in deploys] == [
        ("D-1", "deploy", None),
        ("D-2", "rollback", "D-1"),
    ]
    assert deploys[0].migrations[0]["version"] == "3" and deploys[0].config_version == 4
    # A partial ledger (versions 1-3 and the approval of 4 are not on it): version 4 is
    # known only by its delivery, and the revert copies content the ledger cannot give,
    # which its one row says instead of guessing keys.
    rows = pop.config_changes(app, PERIOD)
    assert [(r.key, r.op, r.version, r.origin, r.approver, r.proposed_by) for r in rows] == [
        ("TOKEN", "set", 4, "unrecorded", "carol@x.io", "dev@example.com"),
        ("*", "unknown", 5, "revert", "revert by dev@example.com of v3", "dev@example.com"),
    ]
    assert rows[0].value_hash == "f" * 64 and rows[0].value is None
    assert rows[0].live_from == rows[0].first_applied_at and rows[1].live_from is None
    (x,) = drift_exceptions(pop.config_drifts(app, PERIOD))
    assert x.kind == "config-drift" and "resolved" in x.detail and "re-applied" in x.detail
    # Nothing was recorded in 2001: every population is empty, bounded in SQL.
    assert pop.deployments(app, BEFORE) == [] and pop.config_changes(app, BEFORE) == []
    # Neither commit has a verdict: both deploys are unrecorded; a failed one would not be.
    recorded = Recorded.load(app, PERIOD.until)
    assert [e.subject for e in deploy_exceptions(deploys, recorded)] == ["D-1", "D-2"]


def test_emergencies_leaks_and_policy_reviews(app):
    store = app.store()
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    store.append("dev@example.com", "emergency.declared", "EMG-1", {
        "incident": "INC-1", "sev": "SEV2", "reason": "outage", "reason_kind": "incident",
        "commit": "c" * 40, "base": "main", "merge_base": "d" * 40, "patch_id": "p",
        "skipped": ["review"], "due": past})  # fmt: skip
    store.append("sec@example.com", "secrets.leak.opened", "fp1", {
        "rule": "aws-access-key", "preview": "AKIA…XYZ", "commit": "e" * 40, "path": "a.py",
        "line": 3, "introduced_by": "dev@example.com", "refs": ["main"]})  # fmt: skip
    store.append("owner@example.com", "policy.reviewed", "changegate.toml", {
        "note": "annual", "previous_review": "2025-07-01", "reviewed_on": "2026-07-01",
        "next_due": "2027-07-01", "policy_sha256": "9" * 64})  # fmt: skip
    (e,) = pop.emergencies(app, PERIOD)
    assert e.open and e.overdue and e.bypassed == ["review"]
    (leak,) = pop.leaks(app, PERIOD)
    assert leak.open and leak.preview == "AKIA…XYZ" and leak.state == "open"
    (r,) = pop.policy_reviews(app, PERIOD)
    assert r.reviewed_by == "owner@example.com" and r.next_due == "2027-07-01"
    assert pop.emergencies(app, BEFORE) == [] and pop.leaks(app, BEFORE) == []


def test_period_parsing():
    p = parse_period("2026-07-01", "2026-09-30")
    assert p.since == "2026-07-01T00:00:00.000000Z" and p.until == "2026-10-01T00:00:00.000000Z"
    assert p.contains("2026-09-30T23:59:59.999999Z") and not p.contains(p.until)
    one_day = parse_period("2026-07-01", "2026-07-01")
    assert one_day.until == "2026-07-02T00:00:00.000000Z"
    with pytest.raises(InputError, match="is after"):
        parse_period("2026-07-02", "2026-07-01")
    with pytest.raises(InputError, match="not a date"):
        parse_period("2026-13-01", "2026-12-01")


def test_drift_and_emergencies_still_open_from_an_earlier_period_count(app):
    """Recorded now, looked at from a period that starts in two days: only what is
    still open when it begins belongs to it."""
    store = app.store()
    later = parse_period(
        (TODAY + timedelta(days=2)).isoformat(), (TODAY + timedelta(days=9)).isoformat()
    )
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    for env in ("staging", "production"):
        store.append("changegate", "config.drift", env, {"environment": env, "version": 1,
                     "differences": [{"key": "DEBUG", "kind": "added"}]})  # fmt: skip
    store.append("dev@example.com", "config.drift_resolved", "staging",
                 {"environment": "staging", "how": "re-applied", "version": 1})  # fmt: skip
    for ident in ("EMG-open", "EMG-closed"):
        store.append("dev@example.com", "emergency.declared", ident, {
            "incident": "INC-1", "sev": "SEV2", "reason": "outage", "reason_kind": "incident",
            "commit": "c" * 40, "base": "main", "merge_base": "d" * 40, "patch_id": "p",
            "skipped": ["review"], "due": past})  # fmt: skip
    store.append("alice@example.com", "emergency.closed", "EMG-closed",
                 {"late": True, "retro_reviewers": ["alice@example.com"], "gates": {}})  # fmt: skip

    drifts = pop.config_drifts(app, later)
    assert [(e.subject, fix) for e, fix in drifts] == [("production", None)]
    (x,) = drift_exceptions(drifts)
    assert x.subject == "production" and "unresolved" in x.detail
    (e,) = pop.emergencies(app, later)
    assert e.id == "EMG-open" and e.open and e.overdue
    assert [(r.kind, r.subject) for r in emergency_exceptions([e])] == [
        ("retro-review-overdue", "EMG-open")
    ]
    # In the period they began in, all of them count, the resolved and the closed ones too.
    assert len(pop.config_drifts(app, PERIOD)) == 2 and len(pop.emergencies(app, PERIOD)) == 2
    assert pop.config_drifts(app, BEFORE) == [] and pop.emergencies(app, BEFORE) == []
