"""Concurrent writers and crashes: one unforked chain, nothing committed is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from changegate.adapters.storage.store import open_store
from changegate.workflows.audit import verify_chain

WORKER = Path(__file__).parents[2] / "ledger_worker.py"
ROOT = Path(__file__).parents[3]


def worker(url: str, root: Path, name: str, count: int) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(WORKER), url, str(root), name, str(count)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.slow
def test_four_processes_times_500_appends_make_one_chain(db_url, tmp_path):
    open_store(db_url, tmp_path, create=True).close()
    procs = [worker(db_url, tmp_path, f"w{n}", 500) for n in range(4)]
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        outputs.append(out.split())
    store = open_store(db_url, tmp_path)
    try:
        report = verify_chain(store, None, None)
        assert report.ok, report.finding
        assert report.events == 2000 and report.head_seq == 2000
        # Every writer got distinct seqs, and each one saw its own appends in order.
        seqs = [int(line) for out in outputs for line in out[0::2]]
        assert sorted(seqs) == list(range(1, 2001))
        for out in outputs:
            mine = [int(s) for s in out[0::2]]
            assert mine == sorted(mine)
    finally:
        store.close()


@pytest.mark.slow
def test_kill_9_mid_append_loses_no_committed_event(db_url, tmp_path):
    open_store(db_url, tmp_path, create=True).close()
    proc = worker(db_url, tmp_path, "victim", 100_000)
    assert proc.stdout is not None
    committed: list[tuple[int, str]] = []
    for line in proc.stdout:
        seq, digest = line.split()
        committed.append((int(seq), digest))
        if len(committed) >= 300:
            break
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    store = open_store(db_url, tmp_path)
    try:
        report = verify_chain(store, None, None)
        assert report.ok, report.finding
        for seq, digest in committed:
            assert store.hash_at(seq) == digest
        assert report.head_seq >= committed[-1][0]
        # The chain goes on from where the dead writer stopped.
        store.append("next@example.com", "test.append", "after", {})
        assert verify_chain(store, None, None).ok
    finally:
        store.close()
