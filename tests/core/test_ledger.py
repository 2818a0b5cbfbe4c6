"""The pure ledger rules: hashing and naming the damage."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given
from hypothesis import strategies as st
from tests.ledger_tools import make_chain, rehash

from changegate.core.ledger import (
    GENESIS,
    Damage,
    LedgerFieldError,
    canonical_json,
    chain_event,
    classify,
    event_hash,
    event_message,
    scan_chain,
    utc_timestamp,
)

text = st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=40
)


def links(events):
    return [
        (
            e.seq,
            e.prev_hash,
            e.hash,
            event_message(e.prev_hash, e.seq, e.ts, e.actor, e.action, e.subject, e.payload),
        )
        for e in events
    ]


def test_first_event_links_to_genesis_and_next_to_it():
    a = chain_event(None, utc_timestamp(), "a@x", "act", "s", "{}")
    b = chain_event((a.seq, a.hash), utc_timestamp(), "a@x", "act", "s", "{}")
    assert (a.seq, a.prev_hash) == (1, GENESIS)
    assert (b.seq, b.prev_hash) == (2, a.hash)
    assert a.hash != b.hash


@given(text, text, text)
def test_length_prefix_makes_field_boundaries_matter(x, y, z):
    # Moving bytes from one field to the next must change the hash.
    h1 = event_hash(GENESIS, 1, "t", x + y, z, "s", "{}")
    h2 = event_hash(GENESIS, 1, "t", x, y + z, "s", "{}")
    assert (h1 == h2) == (y == "")


def test_canonical_json_is_order_independent_and_rejects_nan():
    assert canonical_json({"b": 1, "a": [1, "é"]}) == canonical_json({"a": [1, "é"], "b": 1})
    assert canonical_json({"a": "é"}) == '{"a":"é"}'
    with pytest.raises(LedgerFieldError):
        canonical_json({"x": float("nan")})


@pytest.mark.parametrize("field", ["actor", "action", "subject"])
def test_nul_and_empty_fields_are_refused(field):
    values = {"actor": "a@x", "action": "act", "subject": "s"}
    values[field] = "bad\x00value"
    with pytest.raises(LedgerFieldError):
        chain_event(
            None, utc_timestamp(), values["actor"], values["action"], values["subject"], "{}"
        )
    with pytest.raises(LedgerFieldError):
        chain_event(None, utc_timestamp(), "", "act", "s", "{}")


def test_scan_intact_chain():
    chain = make_chain(10)
    assert scan_chain(links(chain)) == (10, 10, chain[-1].hash, None)
    assert scan_chain([]) == (0, 0, GENESIS, None)


def first_bad(rows):
    return scan_chain(links(rows))[3]


def test_edit_without_rehash():
    chain = make_chain(8)
    chain[3] = replace(chain[3], actor="mallory@example.com")
    i = first_bad(chain)
    assert classify(chain, i).kind == Damage.EDITED
    assert classify(chain, i).seq == 4


def test_edit_with_rehash_is_named_at_the_edited_event():
    chain = make_chain(8)
    chain[3] = rehash(replace(chain[3], payload='{"i":3,"note":"forged"}'))
    f = classify(chain, first_bad(chain))
    assert (f.kind, f.seq) == (Damage.EDITED, 4)


def test_delete_leaves_a_gap():
    chain = make_chain(8)
    del chain[2]
    f = classify(chain, first_bad(chain))
    assert (f.kind, f.seq) == (Damage.DELETED, 3)


def test_delete_and_renumber():
    chain = make_chain(8)
    del chain[2]
    chain = chain[:2] + [replace(e, seq=e.seq - 1) for e in chain[2:]]
    f = classify(chain, first_bad(chain))
    assert (f.kind, f.seq) == (Damage.DELETED, 3)


def test_insert_forged_and_renumber():
    chain = make_chain(8)
    forged = chain_event(
        (chain[2].seq, chain[2].hash), utc_timestamp(), "m@x", "review.approve", "change/9", "{}"
    )
    chain = [*chain[:3], forged, *[replace(e, seq=e.seq + 1) for e in chain[3:]]]
    f = classify(chain, first_bad(chain))
    assert (f.kind, f.seq) == (Damage.INSERTED, 4)


def test_swap_adjacent_and_distant():
    for i, j in ((2, 3), (1, 6)):
        chain = make_chain(8)
        a, b = chain[i], chain[j]
        chain[i], chain[j] = replace(b, seq=a.seq), replace(a, seq=b.seq)
        f = classify(chain, first_bad(chain))
        assert (f.kind, f.seq) == (Damage.REORDERED, i + 1), (i, j)
