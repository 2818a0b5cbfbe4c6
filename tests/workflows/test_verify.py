"""Tamper detection, property-based, on both backends.

Each example builds a chain, lets the attacker do one thing to the stored
rows, and checks that verification names the damage and the first bad seq.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.ledger_tools import make_chain, rehash, rewrite_table

from changegate.adapters import keys
from changegate.adapters.storage.store import open_store
from changegate.core.ledger import Checkpoint, Damage, chain_event, utc_timestamp
from changegate.workflows.audit import verify_chain

KEY = Ed25519PrivateKey.generate()
PUBLIC = KEY.public_key()
FIELDS = ("ts", "actor", "action", "subject", "payload", "prev_hash", "hash")


def sign(seq: int, digest: str) -> Checkpoint:
    cp = Checkpoint(
        seq=seq,
        hash=digest,
        ts=utc_timestamp(),
        key_id=keys.key_id(KEY),
        signature="",
        source="test",
    )
    return replace(cp, signature=keys.sign(KEY, cp.signed_bytes()))


@pytest.fixture
def store(db_url, tmp_path):
    s = open_store(db_url, tmp_path, create=True)
    yield s
    s.close()


@st.composite
def tampering(draw):
    """(kind, n, action) where action(chain) -> (tampered rows, expected seq)."""
    n = draw(st.integers(min_value=3, max_value=25))
    kind = draw(
        st.sampled_from(
            [
                "edit",
                "edit-rehash",
                "delete",
                "delete-renumber",
                "insert",
                "insert-garbage",
                "swap",
                "truncate",
                "rewrite",
            ]
        )
    )
    k = draw(st.integers(min_value=1, max_value=n - 1))  # a seq that has a successor
    field = draw(st.sampled_from(FIELDS))
    j = draw(st.integers(min_value=k + 1, max_value=n))
    return kind, n, k, j, field


def apply(kind, chain, k, j, field):
    """Return (rows as stored, checkpoint, expected damage, expected seq)."""
    n = len(chain)
    head_cp = sign(n, chain[-1].hash)
    i = k - 1
    if kind == "edit":
        value = getattr(chain[i], field)
        new = (
            ("f" * 64 if value != "f" * 64 else "e" * 64)
            if field.endswith("hash")
            else (value + "!")
        )
        chain[i] = replace(chain[i], **{field: new})
        return chain, head_cp, Damage.EDITED, k
    if kind == "edit-rehash":
        chain[i] = rehash(replace(chain[i], actor="mallory@example.com"))
        return chain, head_cp, Damage.EDITED, k
    if kind == "delete":
        del chain[i]
        return chain, head_cp, Damage.DELETED, k
    if kind == "delete-renumber":
        del chain[i]
        return (
            chain[:i] + [replace(e, seq=e.seq - 1) for e in chain[i:]],
            head_cp,
            Damage.DELETED,
            k,
        )
    if kind in ("insert", "insert-garbage"):
        prev = (chain[i - 1].seq, chain[i - 1].hash) if i else None
        forged = chain_event(prev, utc_timestamp(), "m@x.com", "review.approve", "change/x", "{}")
        if kind == "insert-garbage":
            forged = replace(forged, hash="a" * 64)
        return (
            [*chain[:i], forged, *[replace(e, seq=e.seq + 1) for e in chain[i:]]],
            head_cp,
            Damage.INSERTED,
            k,
        )
    if kind == "swap":
        a, b = chain[i], chain[j - 1]
        chain[i], chain[j - 1] = replace(b, seq=a.seq), replace(a, seq=b.seq)
        return chain, head_cp, Damage.REORDERED, k
    if kind == "truncate":
        return chain[:k], head_cp, Damage.TRUNCATED, k + 1
    # rewrite: edit seq k and recompute every later hash: a consistent chain that
    # is not the one the checkpoint signed.
    out = chain[:i]
    prev_hash = chain[i - 1].hash if i else "0" * 64
    for original in chain[i:]:
        edited = replace(original, payload='{"rewritten":true}') if original.seq == k else original
        new = rehash(edited, prev_hash=prev_hash)
        out.append(new)
        prev_hash = new.hash
    return out, head_cp, Damage.REWRITTEN, n


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(tampering())
def test_every_tamper_kind_is_named_with_its_first_bad_seq(store, case):
    kind, n, k, j, field = case
    chain = make_chain(n)
    rows, cp, damage, seq = apply(kind, chain, k, j, field)
    rewrite_table(store, rows)
    report = verify_chain(store, cp, PUBLIC)
    assert report.finding is not None, case
    assert (report.finding.kind, report.finding.seq) == (damage, seq), (case, report.finding)


def test_intact_chain_matches_checkpoint(store):
    chain = make_chain(12)
    rewrite_table(store, chain)
    report = verify_chain(store, sign(12, chain[-1].hash), PUBLIC)
    assert report.ok and report.events == 12 and report.head_seq == 12


def test_forged_checkpoint_is_caught(store):
    chain = make_chain(5)
    rewrite_table(store, chain)
    cp = replace(sign(5, chain[-1].hash), seq=3)  # signature no longer covers the content
    report = verify_chain(store, cp, PUBLIC)
    assert report.finding is not None and report.finding.kind == Damage.BAD_CHECKPOINT
    other = Ed25519PrivateKey.generate()
    report = verify_chain(store, sign(5, chain[-1].hash), other.public_key())
    assert report.finding is not None and report.finding.kind == Damage.BAD_CHECKPOINT


def test_without_checkpoint_truncation_is_noted_not_claimed(store):
    chain = make_chain(5)
    rewrite_table(store, chain[:3])
    report = verify_chain(store, None, None)
    assert report.ok
    assert "checkpoint" in report.notes[0]
