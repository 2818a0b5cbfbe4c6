"""The dashboard's incremental ledger folds give what a full rebuild gives.

Random sequences of every event family the folds read (verdicts, deploys,
emergencies, leaks, policy reviews) plus events they must ignore are appended
in random batches; after each batch every incremental value is compared with
a fresh rebuild and with an independent reference (the workflows' own folds,
or a brute-force reduction of ``Store.events``). Concurrent readers, another
process appending, and a different or shorter database are covered too.
"""

from __future__ import annotations

import random
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import git

from changegate.adapters.storage.store import EventFilter, Store, open_store
from changegate.app import App
from changegate.cli.main import main
from changegate.web.folds import OUTCOMES, Incremental, LedgerFolds
from changegate.web.reads import Newest

COMMITS = [f"{i:040x}" for i in range(1, 9)]
ENVS = ("prod", "staging", "dev")
EMERGENCIES = [f"EMG-{i:04x}" for i in range(4)]
LEAKS = [f"{i:056x}" for i in range(1, 5)]


def random_event(rng: random.Random) -> tuple[str, str, str, dict[str, Any]]:
    """(actor, action, subject, payload) of one random family, shaped as its producer records."""
    family = rng.choice(["verdict", "deploy", "emergency", "leak", "review", "noise"])
    actor = rng.choice(["dev@example.com", "ops@example.com"])
    if family == "verdict":
        verdict = rng.choice(["pass", "blocked"])
        return actor, "check.verdict", rng.choice(COMMITS), {"verdict": verdict, "notes": []}
    if family == "deploy":
        env = rng.choice(ENVS)
        payload = {
            "deployment": f"D-{rng.getrandbits(40):010x}",
            "environment": env,
            "tag": f"v{rng.randint(1, 9)}",
            "outcome": rng.choice(OUTCOMES),
        }
        return actor, "deploy.finished", env, payload
    if family == "emergency":
        subject = rng.choice(EMERGENCIES)
        action = rng.choice(["emergency.declared", "emergency.deployed", "emergency.closed"])
        payload: dict[str, Any] = {
            "incident": "INC-1",
            "sev": "SEV1",
            "reason": "outage",
            "reason_kind": "incident",
            "commit": rng.choice(COMMITS),
            "base": "main",
            "merge_base": "b" * 40,
            "patch_id": "p" * 40,
            "skipped": ["review"],
            "due": f"2026-07-0{rng.randint(1, 9)}T00:00:00+00:00",
            "deployment": "D-1",
            "late": rng.random() < 0.5,
            "retro_reviewers": ["rev@example.com"],
        }
        return actor, action, subject, payload
    if family == "leak":
        action = rng.choice(
            [
                "secrets.leak.opened",
                "secrets.leak.reopened",
                "secrets.leak.rotated",
                "secrets.leak.purge_checked",
                "secrets.leak.closed",
                "secrets.allowed",
            ]
        )
        payload = {
            "rule": "aws-access-key",
            "preview": "AKIA****",
            "commit": rng.choice(COMMITS),
            "path": "app/s.py",
            "line": rng.randint(1, 50),
            "introduced_by": actor,
            "refs": [],
            "note": "rotated",
            "clean": rng.random() < 0.5,
            "reason": "test fixture",
        }
        return actor, action, rng.choice(LEAKS), payload
    if family == "review":
        return "owner@example.com", "policy.reviewed", "policy", {"note": "annual"}
    action = rng.choice(["gate.result", "config.applied", "deploy.step", "bench.tick"])
    return actor, action, rng.choice(COMMITS + list(ENVS)), {"verdict": "pass", "outcome": "failed"}


def append_batch(store: Store, rng: random.Random, n: int) -> None:
    with store.writer() as w:
        for _ in range(n):
            w.append(*random_event(rng))


def reference(store: Store) -> dict[str, Any]:
    """The same reductions, computed the slow obvious way from every event."""
    from changegate.core import emergency as em
    from changegate.core import leaks as lk

    events = store.events()
    verdicts: dict[str, Newest] = {}
    deploys: dict[str, Any] = {}
    counts: dict[str, dict[str, int]] = {}
    last_review = None
    tags: dict[str, list[str]] = {}
    for e in events:
        data = e.data()
        if e.action == "check.verdict":
            prev = verdicts.pop(e.subject, None)
            n = prev.count + 1 if prev else 1
            verdict = "pass" if data.get("verdict") == "pass" else "blocked"
            verdicts[e.subject] = Newest(e.seq, n, e.subject, e.ts, verdict)
        elif e.action == "deploy.finished":
            deploys[e.subject] = e
            c = counts.setdefault(e.subject, {"total": 0, **dict.fromkeys(OUTCOMES, 0)})
            c["total"] += 1
            c[data["outcome"]] += 1
            if data["outcome"] == "deployed":
                seen = tags.setdefault(e.subject, [])
                seen[:] = [data["tag"]] + [t for t in seen if t != data["tag"]]
        elif e.action == "policy.reviewed":
            last_review = e
    return {
        "verdicts": tuple(sorted(verdicts.values(), key=lambda v: -v.seq)),
        "latest_deploys": tuple(deploys[s] for s in sorted(deploys)),
        "deploy_outcomes": counts,
        "emergencies": em.fold(store.events(EventFilter(action="emergency.*"))),
        "leaks": lk.fold(store.events(EventFilter(action="secrets.*"))),
        "last_review": last_review,
        "deployed_tags": {env: tuple(t) for env, t in tags.items()},
    }


NAMES = (
    "verdicts",
    "latest_deploys",
    "deploy_outcomes",
    "emergencies",
    "leaks",
    "last_review",
    "deployed_tags",
)


def assert_same(folds: LedgerFolds, store: Store) -> None:
    ref = reference(store)
    for name in NAMES:
        inc: Incremental[Any, Any] = getattr(folds, name)
        got = inc.get(store)
        assert got == Incremental(inc.fold).get(store), f"{name}: incremental != rebuild"
        assert got == ref[name], f"{name}: incremental != reference"


@pytest.fixture
def store(repo: Path, db_url: str) -> Store:
    assert main(["-C", str(repo), "--db", db_url, "init"]) == 0
    app = App.at(repo, db_url)
    yield app.store()
    app.close()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_incremental_folds_equal_a_full_rebuild_after_random_appends(store, seed):
    rng = random.Random(seed)
    folds = LedgerFolds()
    assert_same(folds, store)  # the empty start (init records nothing the folds read)
    for _ in range(25):
        append_batch(store, rng, rng.choice([0, 1, 1, 2, 5, 12]))
        assert_same(folds, store)
    assert [f.rebuilds for f in folds.all()] == [1] * len(NAMES), "a moved head must not rebuild"
    assert len(folds.verdicts.get(store)) > 1 and folds.emergencies.get(store)


def test_each_family_alone_is_folded_in(store):
    """One event of each family after the cache is warm changes exactly its own fold."""
    rng = random.Random(7)
    folds = LedgerFolds()
    append_batch(store, rng, 30)
    assert_same(folds, store)
    cases = [
        ("verdicts", ("dev@example.com", "check.verdict", COMMITS[0], {"verdict": "blocked"})),
        (
            "latest_deploys",
            ("ops@example.com", "deploy.finished", "qa", {"outcome": "failed", "tag": "v9"}),
        ),
        (
            "deployed_tags",
            ("ops@example.com", "deploy.finished", "qa", {"outcome": "deployed", "tag": "v8"}),
        ),
        (
            "emergencies",
            (
                "dev@example.com",
                "emergency.closed",
                EMERGENCIES[0],
                {"late": True, "retro_reviewers": ["x@example.com"]},
            ),
        ),
        ("leaks", ("dev@example.com", "secrets.leak.closed", LEAKS[0], {})),
        ("last_review", ("owner@example.com", "policy.reviewed", "policy", {"note": "n"})),
    ]
    for _name, event in cases:
        store.append(*event)
        assert_same(folds, store)
    latest = {e.subject: e for e in folds.latest_deploys.get(store)}
    assert latest["qa"].data()["tag"] == "v8"
    assert folds.deploy_outcomes.get(store)["qa"] == {
        "total": 2,
        "deployed": 1,
        "rolled-back": 0,
        "failed": 1,
    }
    assert folds.deployed_tags.get(store)["qa"] == ("v8",)
    assert folds.verdicts.get(store)[0].subject == COMMITS[0]
    assert folds.verdicts.get(store)[0].verdict == "blocked"
    assert [f.rebuilds for f in folds.all()] == [1] * len(NAMES)


def test_concurrent_readers_while_another_process_appends(store, repo, db_url):
    rng = random.Random(11)
    append_batch(store, rng, 20)
    folds = LedgerFolds()
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        try:
            while not stop.is_set():
                for inc in folds.all():
                    inc.get(store)
        except BaseException as exc:  # reported below
            errors.append(exc)

    readers = [threading.Thread(target=read) for _ in range(4)]
    for t in readers:
        t.start()
    script = (
        "import random, sys\n"
        "from changegate.app import App\n"
        "from tests.web.test_folds import append_batch\n"
        "app = App.at(__import__('pathlib').Path(sys.argv[1]), sys.argv[2])\n"
        "rng = random.Random(5)\n"
        "for _ in range(40):\n"
        "    append_batch(app.store(), rng, rng.randint(1, 4))\n"
        "app.close()\n"
    )
    root = Path(__file__).resolve().parents[2]
    proc = subprocess.run(
        [sys.executable, "-c", script, str(repo), db_url],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    stop.set()
    for t in readers:
        t.join(60)
    assert proc.returncode == 0, proc.stderr
    assert not errors, errors
    assert_same(folds, store)
    assert [f.rebuilds for f in folds.all()] == [1] * len(NAMES)


def _other_ledger(tmp_path: Path, name: str, events: int, seed: int) -> Store:
    root = tmp_path / name
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    s = open_store(f"sqlite:///{root / 'state.db'}", root, create=True)
    append_batch(s, random.Random(seed), events)
    return s


def test_a_shorter_or_different_ledger_is_rebuilt_not_folded(tmp_path):
    a = _other_ledger(tmp_path, "a", 40, 1)
    longer = _other_ledger(tmp_path, "b", 60, 2)  # longer, but not a continuation of a
    shorter = _other_ledger(tmp_path, "c", 10, 3)  # e.g. an older backup restored
    try:
        folds = LedgerFolds()
        assert_same(folds, a)
        assert_same(folds, longer)
        assert [f.rebuilds for f in folds.all()] == [2] * len(NAMES)
        assert_same(folds, shorter)
        assert [f.rebuilds for f in folds.all()] == [3] * len(NAMES)
        append_batch(shorter, random.Random(4), 5)  # and it continues incrementally from there
        assert_same(folds, shorter)
        assert [f.rebuilds for f in folds.all()] == [3] * len(NAMES)
    finally:
        for s in (a, longer, shorter):
            s.close()
