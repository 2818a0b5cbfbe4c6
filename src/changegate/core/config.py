"""Configuration as data: versions, proposed changes, validation, diffs and drift.

Pure functions over what the store holds. A stored value is an :class:`Entry`
that never carries a secret in clear: a secret is an opaque sealed token plus
a *keyed* hash (HMAC-SHA256 under a per-environment key that only the holder
of the encryption key can read) and its length. Plain values are kept as they
are, so an auditor can read them. Every comparison (diff, drift, no-op
detection, the content hash) works on the keyed hashes, so none of it needs
the clear secret and none of it leaks one: an unkeyed SHA-256 of a short
secret could be brute-forced back from the ledger.
"""

from __future__ import annotations

import difflib
import hashlib
import hmac
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from changegate.core.policy import ConfigKey, ConfigSpec

KEY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
# Names that usually hold credentials: an imported .env marks these secret by default.
SECRET_NAME = re.compile(
    r"(SECRET|PASSWORD|PASSWD|PASS$|TOKEN|API_?KEY|PRIVATE|CREDENTIAL|_KEY$|DSN|DATABASE_URL)",
    re.IGNORECASE,
)
SHORT_HASH = 16  # hex digits of a keyed hash shown to people and written to the ledger
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_INT = re.compile(r"^[+-]?\d+$")
_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off"}

Op = Literal["set", "unset"]
DiffKind = Literal["changed", "added", "removed"]
DriftKind = Literal["changed", "added", "removed", "unparseable"]
Where = Literal["file", "process"]


class ConfigError(ValueError):
    """A configuration input the core refuses; ``problems`` has one line per issue."""

    def __init__(self, message: str, problems: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.problems = list(problems)


@dataclass(frozen=True)
class Entry:
    """One stored value. ``plain`` is set for plain values, ``sealed`` for secrets."""

    secret: bool
    value_hash: str  # full keyed HMAC-SHA256, hex
    length: int
    plain: str | None = None
    sealed: str | None = None  # the encrypted value (opaque to the core)

    def shown(self) -> str:
        """How a person sees the value: the text, or the short keyed hash and length."""
        if self.secret or self.plain is None:
            return f"hmac:{self.value_hash[:SHORT_HASH]} ({self.length} chars)"
        return self.plain


@dataclass(frozen=True)
class Change:
    """One step of a proposal: set a key to an entry, or unset it."""

    key: str
    op: Op
    entry: Entry | None = None  # None for unset
    was_secret: bool = False  # for an unset: whether the removed value was a secret

    @property
    def secret(self) -> bool:
        return self.entry.secret if self.entry else self.was_secret

    def summary(self) -> dict[str, Any]:
        """The ledger's view of the change (``config.proposed``): no clear secret."""
        e = self.entry
        out: dict[str, Any] = {
            "key": self.key,
            "op": self.op,
            "secret": self.secret,
            "value_hash": e.value_hash[:SHORT_HASH] if e else None,
            "length": e.length if e else None,
        }
        if e is not None and not e.secret:
            out["value"] = e.plain  # plain values are part of the trail, as in code review
        return out


@dataclass(frozen=True)
class Difference:
    key: str
    kind: DiffKind
    before: Entry | None
    after: Entry | None


@dataclass(frozen=True)
class DriftItem:
    """One difference between what is live and the recorded version.

    ``unparseable``: the rendered file is no longer a file we could have written
    (``key`` names the line, ``detail`` says what is wrong, never quoting it).
    """

    key: str
    kind: DriftKind
    where: Where
    detail: str | None = None

    def as_dict(self) -> dict[str, str]:
        out = {"key": self.key, "kind": self.kind, "where": self.where}
        if self.detail is not None:
            out["detail"] = self.detail
        return out


def unparseable(problems: Sequence[str]) -> list[DriftItem]:
    """The drift of a rendered file that no longer parses: one item per problem line
    (``line N: why``, as :func:`parse_env` reports them)."""
    out: list[DriftItem] = []
    for p in problems:
        where, sep, why = p.partition(": ")
        out.append(DriftItem(where if sep else "file", "unparseable", "file", why if sep else p))
    return out


def value_hash(hmac_key: bytes, key: str, value: str) -> str:
    """The keyed hash of one value, bound to its key name (equal values under two names
    do not reveal that they are equal)."""
    msg = key.encode() + b"\0" + value.encode()
    return hmac.new(hmac_key, msg, hashlib.sha256).hexdigest()


def content_sha256(snapshot: Mapping[str, Entry]) -> str:
    """The content hash of a version: over names, secrecy and keyed value hashes only,
    so it is stable across key rotation and reveals nothing about a secret."""
    rows = [[k, e.secret, e.value_hash] for k, e in sorted(snapshot.items())]
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def changes_sha256(changes: Sequence[Change]) -> str:
    """What an approval signs: the exact changes, by keyed hash."""
    rows = [[c.key, c.op, c.secret, c.entry.value_hash if c.entry else None] for c in changes]
    return hashlib.sha256(json.dumps(rows, separators=(",", ":")).encode()).hexdigest()


def check_key_name(key: str) -> None:
    if not KEY_NAME.match(key):
        raise ConfigError(
            f"{key!r} is not a configuration key name; use letters, digits and _ "
            "(not starting with a digit)"
        )


def parse_assignment(text: str) -> tuple[str, str | None]:
    """``KEY=VALUE`` as (key, value); a bare ``KEY`` as (key, None) (value read elsewhere)."""
    key, sep, value = text.partition("=")
    key = key.strip()
    check_key_name(key)
    return key, (value if sep else None)


def apply_changes(base: Mapping[str, Entry], changes: Iterable[Change]) -> dict[str, Entry]:
    """The snapshot a proposal produces on top of ``base``."""
    out = dict(base)
    for c in changes:
        if c.op == "unset":
            out.pop(c.key, None)
        else:
            assert c.entry is not None
            out[c.key] = c.entry
    return out


def is_noop(base: Mapping[str, Entry], change: Change) -> bool:
    """A change that would leave the value as it is (same keyed hash, same secrecy)."""
    cur = base.get(change.key)
    if change.op == "unset":
        return cur is None
    assert change.entry is not None
    return (
        cur is not None
        and cur.value_hash == change.entry.value_hash
        and cur.secret == change.entry.secret
    )


def diff(before: Mapping[str, Entry], after: Mapping[str, Entry]) -> list[Difference]:
    """Key by key, sorted: what ``after`` changes relative to ``before``."""
    out: list[Difference] = []
    for key in sorted(set(before) | set(after)):
        a, b = before.get(key), after.get(key)
        if a is None:
            out.append(Difference(key, "added", None, b))
        elif b is None:
            out.append(Difference(key, "removed", a, None))
        elif a.value_hash != b.value_hash or a.secret != b.secret:
            out.append(Difference(key, "changed", a, b))
    return out


def drift(
    recorded: Mapping[str, Entry],
    observed: Mapping[str, str] | None,
    process: Mapping[str, str] | None = None,
) -> list[DriftItem]:
    """Differences between the recorded version and what is live, by keyed hash.

    ``observed`` maps each key of the rendered file to its keyed hash (None: the
    file is missing, so every recorded key is gone). ``process`` holds the keyed
    hashes of the running process's environment for the keys it has: a service
    that reads the file rather than its environment has none, so only keys
    present there are compared.
    """
    out: list[DriftItem] = []
    seen = observed or {}
    for key in sorted(set(recorded) | set(seen)):
        rec, obs = recorded.get(key), seen.get(key)
        if rec is None:
            out.append(DriftItem(key, "added", "file"))
        elif obs is None:
            out.append(DriftItem(key, "removed", "file"))
        elif obs != rec.value_hash:
            out.append(DriftItem(key, "changed", "file"))
    for key, h in sorted((process or {}).items()):
        rec = recorded.get(key)
        if rec is not None and h != rec.value_hash:
            out.append(DriftItem(key, "changed", "process"))
    return out


def previous_live(applied: Sequence[int]) -> int | None:
    """The version that was live before the current one (for a default revert)."""
    if not applied:
        return None
    current = applied[-1]
    for v in reversed(applied[:-1]):
        if v != current:
            return v
    return None


# ----------------------------------------------------------------- env files


def render_env(values: Mapping[str, str]) -> str:
    """The env file the service reads: ``KEY=VALUE`` lines, sorted, nothing else."""
    return "".join(f"{k}={values[k]}\n" for k in sorted(values))


def parse_env(text: str, *, unquote: bool) -> dict[str, str]:
    """``KEY=VALUE`` lines (blank lines and ``#`` comments skipped, ``export`` allowed).

    ``unquote`` strips one pair of matching quotes, as in a hand-written ``.env``;
    a file we rendered is read as written. Errors name the line but never quote
    it (it may hold a credential).
    """
    out: dict[str, str] = {}
    problems: list[str] = []
    for n, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip() if unquote else raw
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if unquote and line.startswith("export "):
            line = line[len("export ") :].lstrip()
        key, sep, value = line.partition("=")
        key = key.strip() if unquote else key
        if not sep or not KEY_NAME.match(key):
            problems.append(f"line {n}: not a KEY=VALUE line")
            continue
        if unquote and len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        if key in out:
            problems.append(f"line {n}: {key} is set twice")
        out[key] = value
    if problems:
        raise ConfigError("not an env file", problems)
    return out


# ----------------------------------------------------------------- validation


def validate(values: Mapping[str, str], spec: ConfigSpec, secret: Iterable[str] = ()) -> list[str]:
    """Every problem of a whole version against the keys the policy declares.

    One line per problem; a secret's value is never quoted (only its length).
    """
    hidden = set(secret) | {k for k, d in spec.keys.items() if d.secret}
    problems: list[str] = []
    for key in sorted(values):
        value = values[key]
        if any(ch in value for ch in "\n\r\0"):
            problems.append(f"{key}: a value cannot contain a line break or NUL")
            continue
        decl = spec.keys.get(key)
        if decl is None:
            if spec.keys and not spec.allow_undeclared:
                near = difflib.get_close_matches(key, list(spec.keys), n=1)
                hint = f" (did you mean {near[0]}?)" if near else ""
                problems.append(
                    f"{key}: not declared in the policy's config keys{hint}; declare it or "
                    "set allow_undeclared = true"
                )
            continue
        shown = f"value of length {len(value)}" if key in hidden else repr(value)
        problem = _check_value(value, decl)
        if problem:
            problems.append(f"{key}: {shown} {problem}")
    for key, decl in sorted(spec.keys.items()):
        if decl.required and key not in values:
            problems.append(f"{key}: required by the policy but not set")
    return problems


def _check_value(value: str, decl: ConfigKey) -> str | None:
    """Why ``value`` does not fit ``decl``, or None."""
    number: float | None = None
    if decl.type == "int":
        if not _INT.match(value):
            return "is not an integer"
        number = int(value)
    elif decl.type == "float":
        try:
            number = float(value)
        except ValueError:
            return "is not a number"
        if not math.isfinite(number):
            return "is not a finite number"
    elif decl.type == "bool":
        if value.lower() not in _TRUE | _FALSE:
            return "is not a boolean (true/false, 1/0, yes/no, on/off)"
    elif decl.type == "url":
        parts = urlsplit(value)
        if not parts.scheme or not parts.netloc:
            return "is not a URL (scheme://host...)"
    elif decl.type == "email" and not _EMAIL.match(value):
        return "is not an email address"
    if decl.allowed is not None and value not in decl.allowed:
        return "is not one of " + ", ".join(decl.allowed)
    if decl.pattern is not None and not re.fullmatch(decl.pattern, value):
        return f"does not match {decl.pattern!r}"
    if number is not None:
        if decl.min is not None and number < decl.min:
            return f"is below the minimum {decl.min:g}"
        if decl.max is not None and number > decl.max:
            return f"is above the maximum {decl.max:g}"
    return None
