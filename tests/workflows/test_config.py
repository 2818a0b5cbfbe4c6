"""The config store end to end on SQLite and PostgreSQL: propose, signed approval by a second
party, apply, revert, history, drift, check-and-set, validation, keys, and no clear secret."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest
from sqlalchemy import MetaData, select
from tests.configteam import SECRET, app_for, cfg, team

from changegate.adapters.storage.store import EventFilter
from changegate.app import App
from changegate.errors import Blocked, EnvironmentProblem, InputError
from changegate.workflows import config as delivery
from changegate.workflows import config_audit as audit
from changegate.workflows import config_track as track

__all__ = ["cfg", "team"]
DEV = "dev@example.com"
BASE = [("FEATURE_X", "off"), ("LOG_LEVEL", "info"), ("WORKERS", "4")]


def file_values(root: Path) -> dict[str, str]:
    lines = (root / "shared" / "config.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines)


def first_version(app: App, keys: dict[str, Path]) -> tuple[str, int]:
    """v1 proposed by dev, approved by bob; returns (proposal, version)."""
    p = track.propose(app, "prod", [*BASE, ("API_TOKEN", SECRET)])
    os.environ["CHANGEGATE_ACTOR"] = "bob@example.com"
    a = track.approve(app, "prod", p.id, key=str(keys["bob"]))
    os.environ["CHANGEGATE_ACTOR"] = DEV
    return p.id, a.version


def all_text(app: App) -> str:
    """Every row of every table, as text: what someone with the database sees."""
    meta = MetaData()
    meta.reflect(app.store().engine)
    out = []
    with app.store().engine.connect() as conn:
        for table in meta.sorted_tables:
            out += [repr(tuple(r)) for r in conn.execute(select(table))]
    return "\n".join(out)


def test_propose_approve_apply_revert_history(cfg, db_url, monkeypatch):
    repo, keys, root = cfg
    app = app_for(repo, db_url, monkeypatch, DEV)
    pid, v1 = first_version(app, keys)
    assert v1 == 1 and delivery.live_version(app, "prod") is None
    assert delivery.pending_version(app, "prod") == 1

    d = delivery.apply(app, "prod")
    target = root / "shared" / "config.env"
    assert d.applied.path == target and d.reason == "proposal" and d.reload is None
    assert file_values(root) == {**dict(BASE), "API_TOKEN": SECRET}
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert delivery.live_version(app, "prod") == 1

    p2 = track.propose(app, "prod", [("FEATURE_X", "on")], expect_version=1)
    monkeypatch.setenv("CHANGEGATE_ACTOR", "carol@example.com")
    assert track.approve(app, "prod", p2.id, key=str(keys["carol"])).version == 2
    monkeypatch.setenv("CHANGEGATE_ACTOR", DEV)
    delivery.apply(app, "prod")
    assert file_values(root)["FEATURE_X"] == "on"

    r = delivery.revert(app, "prod")  # one command: back to the content of v1
    assert (r.reverted_from, r.applied.version, r.reason) == (1, 3, "revert")
    assert file_values(root)["FEATURE_X"] == "off"
    assert delivery.live_version(app, "prod") == 3
    assert (
        r.applied.content_sha256
        == delivery.render(app, "prod", 1, actor=DEV, reason="rollback").content_sha256
    )

    hist = audit.history(app, "prod")
    assert [(h.version, h.approver, h.reason) for h in hist] == [
        (1, "bob@example.com", "proposal"),
        (2, "carol@example.com", "proposal"),
        (3, None, "revert"),
    ]
    assert hist[0].created_by == DEV and hist[0].proposal == pid
    assert [c["key"] for c in hist[2].changes] == ["FEATURE_X"]
    token_hist = audit.history(app, "prod", "API_TOKEN")
    assert [h.version for h in token_hist] == [1]
    assert token_hist[0].changes[0]["secret"] is True and "value" not in token_hist[0].changes[0]

    actions = [e.action for e in app.store().events(EventFilter(action="config.*"))]
    assert actions == [
        "config.proposed", "config.approved", "config.applied",
        "config.proposed", "config.approved", "config.applied",
        "config.reverted", "config.applied", "config.applied",
    ]  # fmt: skip
    approved = app.store().events(EventFilter(action="config.approved"))[0].data()
    assert approved["approver"] == "bob@example.com"
    assert approved["signature"].startswith("SHA256:")
    applied = [e.data() for e in app.store().events(EventFilter(action="config.applied"))]
    assert [a["reason"] for a in applied] == ["proposal", "proposal", "revert", "rollback"]
    assert SECRET not in all_text(app)
    assert SECRET not in "\n".join(e.payload for e in app.store().events())


def test_self_approval_non_reviewer_and_wrong_key_are_refused(cfg, monkeypatch):
    repo, keys, _ = cfg
    app = app_for(repo, None, monkeypatch, "alice@example.com")
    p = track.propose(app, "prod", BASE)
    with pytest.raises(Blocked, match="cannot approve their own"):
        track.approve(app, "prod", p.id, key=str(keys["alice"]))
    monkeypatch.setenv("CHANGEGATE_ACTOR", DEV)
    with pytest.raises(Blocked, match="not a reviewer"):
        track.approve(app, "prod", p.id, key=str(keys["bob"]))
    monkeypatch.setenv("CHANGEGATE_ACTOR", "bob@example.com")
    with pytest.raises(InputError, match="not the key the policy lists"):
        track.approve(app, "prod", p.id, key=str(keys["carol"]))
    assert app.store().events(EventFilter(action="config.approved")) == []
    with pytest.raises(Blocked, match="no approved configuration"):
        delivery.apply(app, "prod")
    track.reject(app, "prod", p.id, "use warning in prod")
    with pytest.raises(InputError, match="already rejected"):
        track.approve(app, "prod", p.id, key=str(keys["bob"]))
    assert app.store().events(EventFilter(action="config.rejected"))[0].data()["reason"] == (
        "use warning in prod"
    )


def test_concurrent_approvals_check_and_set(cfg, db_url, monkeypatch):
    repo, keys, _ = cfg
    app = app_for(repo, db_url, monkeypatch, DEV)
    a = track.propose(app, "prod", [*BASE[:2], ("WORKERS", "8")])
    b = track.propose(app, "prod", [*BASE[:2], ("WORKERS", "16")])
    assert a.base_version is None and b.base_version is None
    results: dict[str, object] = {}

    def approve(pid: str, who: str) -> None:
        mine = App.at(repo, db_url)  # its own connections, as another process would have
        try:
            results[pid] = track.approve(mine, "prod", pid, key=str(keys[who])).version
        except Blocked as exc:
            results[pid] = exc
        finally:
            mine.close()

    monkeypatch.setenv("CHANGEGATE_ACTOR", "bob@example.com")
    threads = [
        threading.Thread(target=approve, args=(a.id, "bob")),
        threading.Thread(target=approve, args=(b.id, "bob")),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    outcomes = sorted(results.values(), key=lambda r: isinstance(r, Blocked))
    assert outcomes[0] == 1 and isinstance(outcomes[1], Blocked)
    assert "conflict" in str(outcomes[1])
    assert len(app.store().events(EventFilter(action="config.approved"))) == 1
    monkeypatch.setenv("CHANGEGATE_ACTOR", DEV)
    with pytest.raises(Blocked, match="expected prod at version 0"):
        track.propose(app, "prod", [("WORKERS", "2")], expect_version=0)


def test_invalid_values_are_refused_before_anything_is_recorded(cfg, db_url, monkeypatch):
    repo, _, root = cfg
    app = app_for(repo, db_url, monkeypatch, DEV)
    before = app.store().count()
    with pytest.raises(InputError) as exc:
        track.propose(
            app, "prod", [("FEATURE_X", "maybe"), ("WORKERS", "100"), ("LOG_LEVE", "info")]
        )
    details = "\n".join(exc.value.details)
    assert "FEATURE_X: 'maybe' is not a boolean" in details
    assert "WORKERS: '100' is above the maximum 64" in details
    assert "LOG_LEVE: not declared" in details and "did you mean LOG_LEVEL?" in details
    assert "LOG_LEVEL: required by the policy but not set" in details
    with pytest.raises(InputError) as exc:
        track.propose(app, "prod", [*BASE, ("API_TOKEN", "two\nlines")])
    assert "API_TOKEN: a value cannot contain a line break" in "\n".join(exc.value.details)
    assert app.store().count() == before
    assert not (root / "shared").exists()


def test_drift_overwritten_then_adopted(cfg, db_url, monkeypatch):
    repo, keys, root = cfg
    app = app_for(repo, db_url, monkeypatch, DEV)
    first_version(app, keys)
    delivery.apply(app, "prod")
    assert audit.check_drift(app, "prod").differences == []

    target = root / "shared" / "config.env"
    target.write_text(target.read_text().replace("WORKERS=4", "WORKERS=12") + "DEBUG_SQL=1\n")
    report = audit.check_drift(app, "prod")
    assert [i.as_dict() for i in report.differences] == [
        {"key": "DEBUG_SQL", "kind": "added", "where": "file"},
        {"key": "WORKERS", "kind": "changed", "where": "file"},
    ]
    assert report.recorded and report.unresolved_since
    again = audit.check_drift(app, "prod")
    assert not again.recorded and again.unresolved_since == report.unresolved_since
    assert len(app.store().events(EventFilter(action="config.drift"))) == 1

    delivery.apply(app, "prod")  # re-applying overwrites the ad-hoc change
    resolved = app.store().events(EventFilter(action="config.drift_resolved"))
    assert [e.data()["how"] for e in resolved] == ["overwritten"]
    assert delivery.live_version(app, "prod") == 1 and file_values(root)["WORKERS"] == "4"
    clean = audit.check_drift(app, "prod")
    assert clean.differences == [] and clean.unresolved_since is None

    target.write_text(target.read_text().replace("WORKERS=4", "WORKERS=6"))
    audit.check_drift(app, "prod")
    adopt = audit.adopt_drift(app, "prod")
    assert [(c.key, c.op) for c in adopt.changes] == [("WORKERS", "set")]
    monkeypatch.setenv("CHANGEGATE_ACTOR", "carol@example.com")
    track.approve(app, "prod", adopt.id, key=str(keys["carol"]))
    monkeypatch.setenv("CHANGEGATE_ACTOR", DEV)
    delivery.apply(app, "prod")
    resolved = app.store().events(EventFilter(action="config.drift_resolved"))
    assert [e.data()["how"] for e in resolved] == ["overwritten", "adopted"]
    assert audit.check_drift(app, "prod").unresolved_since is None


def test_missing_or_wrong_key_is_clear_and_changes_nothing(cfg, monkeypatch):
    repo, keys, root = cfg
    app = app_for(repo, None, monkeypatch, DEV)
    first_version(app, keys)
    delivery.apply(app, "prod")
    key_file = repo / ".changegate" / "config.key"
    good = key_file.read_bytes()
    rendered = (root / "shared" / "config.env").read_bytes()
    count = app.store().count()

    key_file.unlink()
    with pytest.raises(EnvironmentProblem, match="config encryption key not found"):
        track.propose(app, "prod", [("WORKERS", "5")])
    with pytest.raises(EnvironmentProblem, match="config encryption key not found"):
        delivery.apply(app, "prod")

    from changegate.adapters import crypto

    crypto.create_key_file(key_file)  # a key, but not the one the config was sealed with
    for attempt in (
        lambda: track.propose(app, "prod", [("WORKERS", "5")]),
        lambda: delivery.apply(app, "prod"),
        lambda: delivery.revert(app, "prod", 1),
        lambda: audit.check_drift(app, "prod"),
        lambda: audit.rotate_key(app, "prod"),
    ):
        with pytest.raises(EnvironmentProblem, match="does not decrypt") as exc:
            attempt()
        assert SECRET not in str(exc.value)
    assert app.store().count() == count
    assert (root / "shared" / "config.env").read_bytes() == rendered

    key_file.write_bytes(good)
    key_file.chmod(0o644)
    with pytest.raises(EnvironmentProblem, match="chmod 600"):
        delivery.apply(app, "prod")


def test_rotation_reencrypts_and_retires_the_old_key(cfg, db_url, monkeypatch):
    repo, keys, root = cfg
    app = app_for(repo, db_url, monkeypatch, DEV)
    first_version(app, keys)
    pending = track.propose(app, "prod", [("API_TOKEN", SECRET + "-2")])
    key_file = repo / ".changegate" / "config.key"
    old = key_file.read_bytes()

    rot = audit.rotate_key(app, "prod")
    assert rot.reencrypted == {"prod": 1} and rot.dropped_old_keys
    assert key_file.read_bytes() != old and len(key_file.read_bytes().split()) == 1
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    event = app.store().events(EventFilter(action="config.key_rotated"))[0].data()
    assert event["versions_reencrypted"] == 1

    monkeypatch.setenv("CHANGEGATE_ACTOR", "bob@example.com")
    track.approve(app, "prod", pending.id, key=str(keys["bob"]))
    monkeypatch.setenv("CHANGEGATE_ACTOR", DEV)
    delivery.apply(app, "prod")  # the proposal's sealed value was re-encrypted too
    assert file_values(root)["API_TOKEN"] == SECRET + "-2"

    key_file.write_bytes(old)
    with pytest.raises(EnvironmentProblem, match="does not decrypt"):
        delivery.apply(app, "prod")


def test_a_version_not_on_the_ledger_is_never_rendered(cfg, monkeypatch):
    repo, keys, root = cfg
    app = app_for(repo, None, monkeypatch, DEV)
    first_version(app, keys)
    from changegate.adapters.storage.schema import config_values, config_versions

    with app.store().engine.begin() as conn:  # someone with database access forges v2
        row = conn.execute(select(config_versions)).mappings().one()
        conn.execute(config_versions.insert().values({**row, "version": 2}))
        for v in conn.execute(select(config_values)).mappings().all():
            conn.execute(config_values.insert().values({**v, "version": 2}))
    with pytest.raises(Blocked, match=r"no config\.approved event"):
        delivery.apply(app, "prod")
    assert not (root / "shared" / "config.env").exists()


def test_apply_and_revert_reload_through_the_process_manager(cfg, monkeypatch, tmp_path):
    """The reload runs after the file is in place: the 'service' reads what was applied."""
    pytest.importorskip("changegate.adapters.procman")
    import sys

    from tests.conftest import git

    repo, keys, root = cfg
    loaded = tmp_path / "loaded.env"
    reader = f"import shutil; shutil.copy({str(root / 'shared' / 'config.env')!r}, {str(loaded)!r})"
    with (repo / "changegate.toml").open("a") as fh:
        fh.write(
            "[environments.prod.process_manager]\n"
            'kind = "command"\n'
            f"reload_command = [{sys.executable!r}, '-c', {reader!r}]\n"
            "timeout_seconds = 30\n"
        )
    git(repo, "commit", "-qam", "prod reloads by a command")
    app = app_for(repo, None, monkeypatch, DEV)
    first_version(app, keys)
    d = delivery.apply(app, "prod")
    assert d.reload is not None and d.reload.kind == "command"
    assert f"API_TOKEN={SECRET}\n" in loaded.read_text()
    p = track.propose(app, "prod", [("API_TOKEN", "second-value")])
    monkeypatch.setenv("CHANGEGATE_ACTOR", "bob@example.com")
    track.approve(app, "prod", p.id, key=str(keys["bob"]))
    monkeypatch.setenv("CHANGEGATE_ACTOR", DEV)
    delivery.apply(app, "prod")
    assert "API_TOKEN=second-value\n" in loaded.read_text()
    r = delivery.revert(app, "prod")
    assert r.reload is not None and f"API_TOKEN={SECRET}\n" in loaded.read_text()
    # render() is the deploy's step: it never reloads (the deploy reloads once).
    loaded.unlink()
    delivery.render(app, "prod", 2, actor=DEV, reason="deploy")
    assert not loaded.exists()
