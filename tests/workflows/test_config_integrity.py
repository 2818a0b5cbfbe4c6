"""What the approval protects, on SQLite and PostgreSQL: a value edited or swapped in the
database is never rendered, diffed or drift-checked as if approved; a revert renders only the
content its ledger event records; a rotation leaves nothing the old key decrypts; a hand edit
that breaks the rendered file is drift, resolved by applying again."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select, update
from tests.configteam import SECRET, app_for, cfg, team
from tests.workflows.test_config import BASE, DEV, file_values, first_version

from changegate.adapters import crypto
from changegate.adapters.storage import config_repo as repo
from changegate.adapters.storage.schema import (
    config_envs,
    config_proposals,
    config_values,
    config_versions,
)
from changegate.adapters.storage.store import EventFilter
from changegate.app import App
from changegate.core.config import content_sha256
from changegate.errors import Blocked, InputError
from changegate.workflows import config as delivery
from changegate.workflows import config_audit as audit
from changegate.workflows import config_track as track

__all__ = ["cfg", "team"]


def _approve(app: App, monkeypatch: pytest.MonkeyPatch, keys: dict[str, Path], pid: str) -> int:
    monkeypatch.setenv("CHANGEGATE_ACTOR", "carol@example.com")
    version = track.approve(app, "prod", pid, key=str(keys["carol"])).version
    monkeypatch.setenv("CHANGEGATE_ACTOR", DEV)
    return version


def _value(app: App, version: int, key: str) -> dict[str, object]:
    c = config_values.c
    with app.store().engine.connect() as conn:
        row = conn.execute(
            select(config_values).where(c.environment == "prod", c.version == version, c.key == key)
        )
        return dict(row.mappings().one())


def _edit_value(app: App, version: int, key: str, **values: object) -> None:
    """What someone with write access to the database (not to the ledger) can do."""
    c = config_values.c
    with app.store().engine.begin() as conn:
        conn.execute(
            update(config_values)
            .where(c.environment == "prod", c.version == version, c.key == key)
            .values(**values)
        )


def test_a_value_edited_or_swapped_in_the_database_is_refused(cfg, db_url, monkeypatch):
    repo_path, keys, root = cfg
    app = app_for(repo_path, db_url, monkeypatch, DEV)
    first_version(app, keys)
    delivery.apply(app, "prod")
    target = root / "shared" / "config.env"
    rendered, count = target.read_bytes(), app.store().count()

    _edit_value(app, 1, "WORKERS", plain="64")  # the keyed hash still says "4"
    with pytest.raises(Blocked, match=r"prod version 1: the stored value of WORKERS does not"):
        delivery.apply(app, "prod")
    with pytest.raises(Blocked, match="WORKERS"):
        audit.config_diff(app, "prod", 1)
    with pytest.raises(Blocked, match="WORKERS"):
        audit.check_drift(app, "prod")
    with pytest.raises(Blocked, match="WORKERS"):
        track.propose(app, "prod", [("FEATURE_X", "on")])
    assert target.read_bytes() == rendered and app.store().count() == count

    _edit_value(app, 1, "WORKERS", plain="4")
    p = track.propose(app, "prod", [("API_TOKEN", SECRET + "-2")])
    assert _approve(app, monkeypatch, keys, p.id) == 2
    count = app.store().count()
    # A real token under the right key, from another version: it decrypts, to the wrong value.
    _edit_value(app, 2, "API_TOKEN", sealed=_value(app, 1, "API_TOKEN")["sealed"])
    with pytest.raises(Blocked, match=r"prod version 2: the stored value of API_TOKEN") as exc:
        delivery.apply(app, "prod")
    assert SECRET not in str(exc.value)
    assert target.read_bytes() == rendered and app.store().count() == count
    assert delivery.live_version(app, "prod") == 1


def test_a_revert_renders_only_the_content_its_event_records(cfg, db_url, monkeypatch):
    repo_path, keys, root = cfg
    app = app_for(repo_path, db_url, monkeypatch, DEV)
    first_version(app, keys)
    delivery.apply(app, "prod")
    _approve(app, monkeypatch, keys, track.propose(app, "prod", [("FEATURE_X", "on")]).id)
    delivery.apply(app, "prod")
    r = delivery.revert(app, "prod")
    assert r.applied.version == 3 and file_values(root)["FEATURE_X"] == "off"
    event = app.store().events(EventFilter(action="config.reverted"))[0].data()
    assert event["content_sha256"] == r.applied.content_sha256

    # v3 rewritten consistently (a value row of v2, the content hash recomputed): every check
    # on the database passes, only the ledger knows what the revert wrote.
    _edit_value(app, 3, "FEATURE_X", **{
        k: v for k, v in _value(app, 2, "FEATURE_X").items() if k in ("plain", "value_hash")
    })  # fmt: skip
    with app.store().engine.begin() as conn:
        forged = content_sha256(repo.snapshot(conn, "prod", 3))
        c = config_versions.c
        conn.execute(
            update(config_versions)
            .where(c.environment == "prod", c.version == 3)
            .values(content_sha256=forged)
        )
    with pytest.raises(Blocked, match=r"version 3 has no config\.reverted event .* content"):
        delivery.apply(app, "prod")
    assert file_values(root)["FEATURE_X"] == "off"


def _tokens(app: App) -> list[str]:
    """Every sealed token in the database, read straight from the tables."""
    out: list[str] = []
    with app.store().engine.connect() as conn:
        out += [str(t) for t in conn.execute(select(config_envs.c.hmac_key)).scalars()]
        out += [
            str(t)
            for t in conn.execute(
                select(config_values.c.sealed).where(config_values.c.sealed.is_not(None))
            ).scalars()
        ]
        for changes in conn.execute(select(config_proposals.c.changes)).scalars():
            out += [d["entry"]["sealed"] for d in json.loads(changes) if (d["entry"] or {}).get(
                "sealed"
            )]  # fmt: skip
    return out


def _decrypts(key: bytes, token: str) -> bool:
    try:
        Fernet(key).decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def test_after_rotation_the_old_key_decrypts_nothing(cfg, db_url, monkeypatch):
    repo_path, keys, root = cfg
    policy = repo_path / "changegate.toml"
    with policy.open("a") as fh:  # stage shares prod's key file
        fh.write(f'[environments.stage]\ndeploy_root = "{root}-stage"\n')
        fh.write('[environments.stage.config]\nrender_to = "config.env"\n')
    app = app_for(repo_path, db_url, monkeypatch, DEV)
    track.propose(app, "stage", [("DB_PASSWORD", SECRET + "-stage")], secret=True)
    first_version(app, keys)  # approved proposal holding API_TOKEN
    rejected = track.propose(app, "prod", [("API_TOKEN", SECRET + "-rejected")])
    monkeypatch.setenv("CHANGEGATE_ACTOR", "bob@example.com")
    track.reject(app, "prod", rejected.id, "not this one")
    monkeypatch.setenv("CHANGEGATE_ACTOR", DEV)
    pending = track.propose(app, "prod", [("API_TOKEN", SECRET + "-open")])
    # stage leaves the policy, its rows stay in the database (under the same key).
    policy.write_text(policy.read_text().split("[environments.stage]")[0])
    app = app_for(repo_path, db_url, monkeypatch, DEV)

    key_file = repo_path / ".changegate" / "config.key"
    old = key_file.read_bytes().strip()
    before = _tokens(app)
    assert len(before) >= 7 and all(_decrypts(old, t) for t in before)

    rot = audit.rotate_key(app, "prod")
    assert rot.dropped_old_keys and rot.reencrypted == {"prod": 1, "stage": 0}
    new = key_file.read_bytes().strip()
    after = _tokens(app)
    assert len(after) == len(before)
    assert [t for t in after if _decrypts(old, t)] == []
    assert all(_decrypts(new, t) for t in after)
    events = [e.data() for e in app.store().events(EventFilter(action="config.key_rotated"))]
    assert {e["environment"]: e["proposals_reencrypted"] for e in events} == {
        "prod": 3,
        "stage": 1,
    }
    _approve(app, monkeypatch, keys, pending.id)
    delivery.apply(app, "prod")
    assert file_values(root)["API_TOKEN"] == SECRET + "-open"


def test_rotation_refuses_to_drop_a_key_that_still_decrypts_something(cfg, db_url, monkeypatch):
    repo_path, keys, _ = cfg
    app = app_for(repo_path, db_url, monkeypatch, DEV)
    first_version(app, keys)
    key_file = repo_path / ".changegate" / "config.key"
    ring = crypto.load(crypto.KeySource(path=key_file))
    with app.store().engine.begin() as conn:  # a row no environment of the store owns
        conn.execute(
            config_values.insert().values(
                environment="ghost", version=1, key="API_TOKEN", secret=True, plain=None,
                sealed=ring.seal(b"orphan"), value_hash="0" * 64, length=6,
            )
        )  # fmt: skip
    old = key_file.read_bytes().strip()
    tokens, count = _tokens(app), app.store().count()

    with pytest.raises(Blocked, match=r"old key still decrypts ghost version 1 API_TOKEN"):
        audit.rotate_key(app, "prod")
    assert (
        sorted(_tokens(app)) == sorted(tokens) and app.store().count() == count
    )  # nothing re-encrypted
    lines = key_file.read_bytes().split()
    assert len(lines) == 2 and lines[1] == old  # kept: it still decrypts everything
    assert all(crypto.load(crypto.KeySource(path=key_file)).opens(t) for t in tokens)


def test_a_malformed_hand_edit_is_drift_and_apply_overwrites_it(cfg, db_url, monkeypatch):
    repo_path, keys, root = cfg
    app = app_for(repo_path, db_url, monkeypatch, DEV)
    first_version(app, keys)
    delivery.apply(app, "prod")
    target = root / "shared" / "config.env"
    good = target.read_text()

    target.write_text(good.replace("WORKERS=4", "export WORKERS=64"))
    report = audit.check_drift(app, "prod")
    line = 1 + sorted(dict(BASE) | {"API_TOKEN": ""}).index("WORKERS")
    assert [i.as_dict() for i in report.differences] == [
        {
            "key": f"line {line}",
            "kind": "unparseable",
            "where": "file",
            "detail": "not a KEY=VALUE line",
        }
    ]
    assert report.recorded
    drift = app.store().events(EventFilter(action="config.drift"))
    assert [e.data()["differences"][0]["kind"] for e in drift] == ["unparseable"]
    assert not audit.check_drift(app, "prod").recorded  # recorded once
    with pytest.raises(InputError, match="nothing to adopt"):
        audit.adopt_drift(app, "prod")

    target.write_text(good + "WORKERS=64\n")  # a key twice
    twice = audit.check_drift(app, "prod")
    assert twice.recorded and [(i.kind, i.detail) for i in twice.differences] == [
        ("unparseable", "WORKERS is set twice")
    ]

    delivery.apply(app, "prod")  # overwrite
    assert target.read_text() == good
    resolved = app.store().events(EventFilter(action="config.drift_resolved"))
    assert [e.data()["how"] for e in resolved] == ["overwritten"]
    clean = audit.check_drift(app, "prod")
    assert clean.differences == [] and clean.unresolved_since is None


def test_a_revert_recorded_before_its_content_hash_is_checked_through_its_source(
    cfg, db_url, monkeypatch
):
    """A ``config.reverted`` written before the event carried ``content_sha256``: the version
    is rendered only if it has the content of the version it restored, itself authorised."""
    repo_path, keys, root = cfg
    app = app_for(repo_path, db_url, monkeypatch, DEV)
    first_version(app, keys)
    _approve(app, monkeypatch, keys, track.propose(app, "prod", [("FEATURE_X", "on")]).id)

    def legacy_revert(number: int, to: int, values_from: int) -> None:
        with app.store().writer() as w:
            conn = w.connection
            source = repo.version(conn, "prod", values_from)
            assert source is not None
            meta = repo.VersionRow(
                **{**source.__dict__, "version": number, "reason": "revert", "proposal": None,
                   "approver": None, "attestation": None, "signature": None,
                   "reverted_from": to, "changes": [{"revert_to": to}]},
            )  # fmt: skip
            repo.insert_version(conn, meta, repo.snapshot(conn, "prod", values_from))
            w.append(DEV, "config.reverted", "prod", {"environment": "prod",
                     "to_content_of": to, "new_version": number})  # fmt: skip

    legacy_revert(3, to=1, values_from=1)
    assert delivery.apply(app, "prod").applied.version == 3
    assert file_values(root)["FEATURE_X"] == "off"
    legacy_revert(4, to=1, values_from=2)  # claims v1's content, holds v2's
    with pytest.raises(Blocked, match=r"version 4 has no config\.reverted event"):
        delivery.apply(app, "prod")
    assert file_values(root)["FEATURE_X"] == "off"
