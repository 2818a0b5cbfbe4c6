"""The parallel walk gives the serial walk's answer, intact or damaged, on both backends."""

from __future__ import annotations

from dataclasses import replace

import pytest
from tests.ledger_tools import make_chain, rewrite_table

from changegate.adapters.storage import chain_scan
from changegate.adapters.storage.store import open_store
from changegate.core.ledger import scan_chain


@pytest.fixture
def store(db_url, tmp_path, monkeypatch):
    monkeypatch.setattr(chain_scan, "PARALLEL_MIN_EVENTS", 10)
    s = open_store(db_url, tmp_path, create=True)
    yield s
    s.close()


def serial(store):
    with store.link_rows() as rows:
        return scan_chain(rows)


@pytest.mark.parametrize("workers", [2, 3])
def test_parallel_equals_serial_on_an_intact_chain(store, workers):
    for _ in range(57):
        store.append("a@example.com", "x.y", "s", {"k": "v"})
    assert chain_scan.scan(store, workers) == serial(store)
    assert chain_scan.scan(store, workers)[:2] == (57, 57)


@pytest.mark.parametrize("where", [0, 20, 29, 30, 31, 59])
def test_parallel_falls_back_to_the_exact_serial_answer(store, where):
    chain = make_chain(60)
    chain[where] = replace(chain[where], actor="mallory@example.com")
    rewrite_table(store, chain)
    assert chain_scan.scan(store, 2) == serial(store)
    assert chain_scan.scan(store, 2)[3] == where


def test_a_gap_at_a_range_boundary_is_not_missed(store):
    chain = make_chain(60)
    del chain[30]
    rewrite_table(store, chain)
    assert chain_scan.scan(store, 2)[3] == 30


def test_empty_ledger(store):
    assert chain_scan.scan(store, 2) == (0, 0, "0" * 64, None)
