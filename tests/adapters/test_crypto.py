"""Fernet keys from a file or a variable: sealing, wrong keys, rotation, file modes."""

from __future__ import annotations

import stat

import pytest

from changegate.adapters import crypto
from changegate.errors import EnvironmentProblem, InputError


def test_seal_open_and_a_wrong_key(tmp_path):
    path = tmp_path / "k" / "config.key"
    crypto.create_key_file(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    ring = crypto.load(crypto.KeySource(path=path))
    token = ring.seal(b"hunter2")
    assert b"hunter2" not in token.encode() and ring.open(token, "x") == b"hunter2"
    with pytest.raises(InputError, match="already exists"):
        crypto.create_key_file(path)

    other = tmp_path / "other.key"
    crypto.create_key_file(other)
    with pytest.raises(EnvironmentProblem, match=r"other\.key: this key does not decrypt T"):
        crypto.load(crypto.KeySource(path=other)).open(token, "T")


def test_missing_malformed_and_exposed_keys_are_one_clear_line(tmp_path, monkeypatch):
    with pytest.raises(EnvironmentProblem, match="config encryption key not found"):
        crypto.load(crypto.KeySource(path=tmp_path / "none.key"))
    bad = tmp_path / "bad.key"
    bad.write_text("# comment\nnot-a-key\n")
    bad.chmod(0o600)
    with pytest.raises(EnvironmentProblem, match=r"bad\.key:2: not a Fernet key") as exc:
        crypto.load(crypto.KeySource(path=bad))
    assert "not-a-key" not in str(exc.value)
    open_key = tmp_path / "open.key"
    crypto.create_key_file(open_key)
    open_key.chmod(0o640)
    with pytest.raises(EnvironmentProblem, match="chmod 600"):
        crypto.load(crypto.KeySource(path=open_key))
    monkeypatch.delenv("CG_TEST_KEY", raising=False)
    with pytest.raises(EnvironmentProblem, match=r"\$CG_TEST_KEY is not set"):
        crypto.load(crypto.KeySource(env_var="CG_TEST_KEY"))


def test_rotation_through_a_file_and_a_variable(tmp_path, monkeypatch):
    path = tmp_path / "config.key"
    crypto.create_key_file(path)
    old = crypto.load(crypto.KeySource(path=path))
    token = old.seal(b"v")
    crypto.add_primary(path)
    both = crypto.load(crypto.KeySource(path=path))
    assert both.key_count == 2 and both.primary_id != old.primary_id
    fresh = both.reseal(token, "T")
    crypto.keep_primary(path)
    new = crypto.load(crypto.KeySource(path=path))
    assert new.key_count == 1 and new.open(fresh, "T") == b"v"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with pytest.raises(EnvironmentProblem):
        new.open(token, "T")

    first, second = crypto.generate_key().decode(), crypto.generate_key().decode()
    monkeypatch.setenv("CG_TEST_KEY", second)
    sealed = crypto.load(crypto.KeySource(env_var="CG_TEST_KEY")).seal(b"w")
    monkeypatch.setenv("CG_TEST_KEY", f"{first},{second}")
    ring = crypto.load(crypto.KeySource(env_var="CG_TEST_KEY"))
    monkeypatch.setenv("CG_TEST_KEY", first)
    assert (
        crypto.load(crypto.KeySource(env_var="CG_TEST_KEY")).open(ring.reseal(sealed, "T"), "T")
        == b"w"
    )


def test_older_keys_and_opens(tmp_path):
    path = tmp_path / "config.key"
    crypto.create_key_file(path)
    ring = crypto.load(crypto.KeySource(path=path))
    assert ring.older() is None
    token = ring.seal(b"v")
    crypto.add_primary(path)
    both = crypto.load(crypto.KeySource(path=path))
    old = both.older()
    assert old is not None and old.key_count == 1 and old.primary_id == ring.primary_id
    fresh = both.seal(b"v")
    assert both.opens(token) and both.opens(fresh)
    assert old.opens(token) and not old.opens(fresh) and not old.opens("not a token")
