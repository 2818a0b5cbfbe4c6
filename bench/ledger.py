"""Ledger benchmark: durable append rate and verify rate on SQLite and PostgreSQL.

Run with `make bench` (or `.venv/bin/python bench/ledger.py [--events N]`).
For each backend it appends N events (default 100,000) with durable commits
(SQLite WAL + synchronous=FULL; PostgreSQL with fsync=on), in batches of
--batch events per transaction, plus a run of single-event transactions;
then verifies the whole chain and compares the verify rate with raw
``hashlib.sha256`` over the very same per-event bytes (the floor: no database,
no comparison, just hashing). Targets: verify >= 30% of raw hashing; appends
>= 2,000 events/s on SQLite.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

from changegate.adapters.pgserver import start_pg
from changegate.adapters.storage.store import Store, open_store
from changegate.workflows.audit import verify_chain


def append_batched(store: Store, n: int, batch: int) -> float:
    start = time.perf_counter()
    done = 0
    while done < n:
        with store.writer() as w:
            for _ in range(min(batch, n - done)):
                w.append(
                    "bench@example.com",
                    "gate.result",
                    f"change/{done // 10}",
                    {"gate": "lint", "passed": True, "n": done},
                )
                done += 1
    return n / (time.perf_counter() - start)


def append_single(store: Store, n: int) -> float:
    start = time.perf_counter()
    for i in range(n):
        store.append("bench@example.com", "review.approve", f"change/{i}", {"n": i})
    return n / (time.perf_counter() - start)


def verify_rate(store: Store) -> tuple[float, int]:
    start = time.perf_counter()
    report = verify_chain(store, None, None)
    elapsed = time.perf_counter() - start
    assert report.ok, report.finding
    return report.events / elapsed, report.events


def raw_hash_rate(store: Store) -> tuple[float, float]:
    """Per-event sha256 over the same bytes; and one call over all of them, for scale."""
    with store.link_rows() as rows:
        messages = [bytes(r[3]) for r in rows]
    sha256 = hashlib.sha256
    best = 0.0
    for _ in range(3):
        start = time.perf_counter()
        for m in messages:
            sha256(m).hexdigest()
        best = max(best, len(messages) / (time.perf_counter() - start))
    blob = b"".join(messages)
    start = time.perf_counter()
    sha256(blob).hexdigest()
    one_call = len(messages) / (time.perf_counter() - start)
    return best, one_call


def bench(name: str, url: str | None, root: Path, n: int, batch: int, single: int) -> None:
    store = open_store(url, root, create=True)
    try:
        batched = append_batched(store, n, batch)
        one_by_one = append_single(store, single)
        v_rate, events = max(verify_rate(store) for _ in range(3))
        raw, one_call = raw_hash_rate(store)
    finally:
        store.close()
    print(f"{name}:")
    print(f"  append, durable, {batch}/transaction : {batched:>10,.0f} events/s")
    print(f"  append, durable, 1/transaction   : {one_by_one:>10,.0f} events/s")
    print(f"  verify ({events:,} events)       : {v_rate:>10,.0f} events/s")
    print(f"  raw sha256 per event, same bytes : {raw:>10,.0f} events/s")
    print(f"  verify / raw hashing             : {v_rate / raw:>10.0%}   (target >= 30%)")
    print(f"  (one sha256 call over all bytes  : {one_call:>10,.0f} events/s)")
    sys.stdout.flush()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--events", type=int, default=100_000)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--single", type=int, default=2_000)
    ap.add_argument("--skip-postgres", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bench("SQLite (WAL, synchronous=FULL)", None, root, args.events, args.batch, args.single)
        if not args.skip_postgres:
            with start_pg(fsync=True) as server:
                url = server.create_database("bench")
                bench("PostgreSQL (fsync=on)", url, root, args.events, args.batch, args.single)


if __name__ == "__main__":
    main()
