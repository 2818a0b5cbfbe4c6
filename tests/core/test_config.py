"""The pure config rules: validation against declared keys, env files, diffs, drift, hashes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from changegate.core.config import (
    Change,
    ConfigError,
    Entry,
    apply_changes,
    changes_sha256,
    content_sha256,
    diff,
    drift,
    is_noop,
    parse_assignment,
    parse_env,
    previous_live,
    render_env,
    validate,
    value_hash,
)
from changegate.core.policy import ConfigSpec

KEY = b"k" * 32


def spec(**keys: dict) -> ConfigSpec:
    return ConfigSpec.model_validate({"render_to": "c.env", "keys": keys})


def plain(key: str, value: str) -> Entry:
    return Entry(False, value_hash(KEY, key, value), len(value), plain=value)


def secret(key: str, value: str) -> Entry:
    return Entry(True, value_hash(KEY, key, value), len(value), sealed="gAAAA-opaque")


@pytest.mark.parametrize(
    ("decl", "value", "problem"),
    [
        ({"type": "int"}, "4x", "is not an integer"),
        ({"type": "int", "min": 1}, "0", "is below the minimum 1"),
        ({"type": "float"}, "nan", "is not a finite number"),
        ({"type": "bool"}, "enabled", "is not a boolean"),
        ({"type": "url"}, "example.com", "is not a URL"),
        ({"type": "email"}, "ops", "is not an email address"),
        ({"allowed": ["a", "b"]}, "c", "is not one of a, b"),
        ({"pattern": "[a-z]+"}, "abc1", "does not match"),
    ],
)
def test_a_value_outside_its_declaration_is_named(decl, value, problem):
    assert problem in validate({"K": value}, spec(K=decl))[0]
    assert validate({"K": "ok"}, spec()) == []  # nothing declared: anything goes


@pytest.mark.parametrize(
    ("decl", "value"),
    [
        ({"type": "int", "min": 1, "max": 8}, "8"),
        ({"type": "float"}, "-2.5"),
        ({"type": "bool"}, "On"),
        ({"type": "url"}, "https://api.example.com/v1"),
        ({"type": "email"}, "ops@example.com"),
        ({"allowed": ["a", "b"]}, "b"),
    ],
)
def test_a_fitting_value_passes(decl, value):
    assert validate({"K": value}, spec(K=decl)) == []


def test_required_undeclared_and_secret_values_are_never_quoted():
    s = spec(LOG_LEVEL={"required": True}, TOKEN={"secret": True, "pattern": "tok_.*"})
    problems = validate({"LOG_LEVL": "x", "TOKEN": "hunter2"}, s)
    assert (
        "LOG_LEVL: not declared in the policy's config keys (did you mean LOG_LEVEL?)"
        in (problems[0])
    )
    assert problems[1].startswith("TOKEN: value of length 7 does not match")
    assert problems[2] == "LOG_LEVEL: required by the policy but not set"
    assert "hunter2" not in "".join(problems)
    loose = ConfigSpec.model_validate(
        {"render_to": "c.env", "keys": {"A": {}}, "allow_undeclared": True}
    )
    assert validate({"B": "1"}, loose) == []


def test_policy_refuses_bad_declarations():
    with pytest.raises(ValueError, match="min/max apply"):
        spec(K={"type": "string", "min": 1})
    with pytest.raises(ValueError, match="letters, digits"):
        spec(**{"1BAD": {}})
    with pytest.raises(ValueError, match="at most one"):
        ConfigSpec(render_to="c.env", key_file="k", key_env="K")


def test_env_file_parsing_never_quotes_a_bad_line():
    text = "# comment\n\nexport A=\"x y\"\nB='q'\nC=a=b\n"
    assert parse_env(text, unquote=True) == {"A": "x y", "B": "q", "C": "a=b"}
    assert parse_env('A="x"\n', unquote=False) == {"A": '"x"'}
    with pytest.raises(ConfigError) as exc:
        parse_env("A=1\nhunter2 secret line\nA=2\n", unquote=True)
    assert exc.value.problems == ["line 2: not a KEY=VALUE line", "line 3: A is set twice"]
    assert parse_assignment("K=v=w") == ("K", "v=w")
    assert parse_assignment("K") == ("K", None)
    with pytest.raises(ConfigError):
        parse_assignment("BAD KEY=1")


values = st.dictionaries(
    st.from_regex(r"[A-Z_][A-Z0-9_]{0,8}", fullmatch=True),
    st.text(st.characters(blacklist_characters="\r\n\0\x1c\x1d\x1e\x85\u2028\u2029\x0b\x0c")),
    max_size=8,
)


@given(values)
def test_render_then_parse_is_identity(v):
    assert parse_env(render_env(v), unquote=False) == v


def test_changes_diff_and_hashes():
    base = {"A": plain("A", "1"), "T": secret("T", "old")}
    changes = [
        Change("A", "set", plain("A", "2")),
        Change("T", "unset", None, was_secret=True),
        Change("N", "set", secret("N", "new")),
    ]
    after = apply_changes(base, changes)
    assert sorted(after) == ["A", "N"]
    assert [(d.key, d.kind) for d in diff(base, after)] == [
        ("A", "changed"),
        ("N", "added"),
        ("T", "removed"),
    ]
    assert is_noop(base, Change("A", "set", plain("A", "1")))
    assert not is_noop(base, Change("A", "set", secret("A", "1")))  # becoming secret is a change
    summary = changes[2].summary()
    assert summary == {
        "key": "N",
        "op": "set",
        "secret": True,
        "value_hash": value_hash(KEY, "N", "new")[:16],
        "length": 3,
    }
    assert changes[0].summary()["value"] == "2"
    assert changes[1].summary()["secret"] is True
    # Content hashes depend on names and keyed hashes, not on the sealed tokens.
    resealed = {
        k: Entry(e.secret, e.value_hash, e.length, e.plain, "other") for k, e in base.items()
    }
    assert content_sha256(resealed) == content_sha256(base) != content_sha256(after)
    assert changes_sha256(changes) != changes_sha256(changes[:2])
    assert value_hash(KEY, "A", "x") != value_hash(KEY, "B", "x") != value_hash(b"o" * 32, "B", "x")


def test_drift_by_keyed_hash():
    rec = {"A": plain("A", "1"), "T": secret("T", "s")}
    same = {k: e.value_hash for k, e in rec.items()}
    assert drift(rec, same) == []
    edited = {**same, "A": value_hash(KEY, "A", "2"), "X": "h"}
    del edited["T"]
    assert [i.as_dict() for i in drift(rec, edited)] == [
        {"key": "A", "kind": "changed", "where": "file"},
        {"key": "T", "kind": "removed", "where": "file"},
        {"key": "X", "kind": "added", "where": "file"},
    ]
    assert [i.key for i in drift(rec, None)] == ["A", "T"]
    proc = {"T": value_hash(KEY, "T", "other")}
    assert [i.as_dict() for i in drift(rec, same, proc)] == [
        {"key": "T", "kind": "changed", "where": "process"}
    ]


def test_previous_live():
    assert previous_live([]) is None
    assert previous_live([1]) is None
    assert previous_live([1, 2, 2]) == 1
    assert previous_live([1, 2, 3, 1]) == 3
