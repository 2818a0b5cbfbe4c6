"""Dashboard benchmark: every page under 200 ms with 10,000 changes and 2,000 deployments.

Run with `.venv/bin/python bench/dashboard.py [--backend sqlite|postgres] [--changes N]
[--deployments N] [--requests N]`.

It builds a real repository and database (``changegate init``), fills the ledger through the
real Store/LedgerWriter in big transactions -- per change a signed-review event, five gate
results and a verdict, as `review approve` and `check` record them; 2,000 `deploy.finished`
events over three environments; some config, emergency and leak events -- then starts
`changegate serve` (uvicorn on 127.0.0.1) and times every page through keep-alive HTTP with a
Bearer token: p50 and p95 over --requests requests each, after one warm-up request and after
the background ledger verification has finished (it runs once per ledger head, not per page).
Prints one line per page and PASS/FAIL against 200 ms at p95. Then, per page, the first
request after another process appended to the ledger (a checked change, a deployment, and in
turn an emergency or leak event: what the per-head folds have to catch up on), PASS/FAIL
against 200 ms too; and the owner's views (/deployments with the rollback forms, /tokens).
Exits 1 on any FAIL.
"""

from __future__ import annotations

import argparse
import hashlib
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

# bench/secrets.py would shadow the standard library's `secrets` (tokens use it).
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).parent.resolve()]

from changegate.adapters.pgserver import free_port  # noqa: E402
from changegate.app import App  # noqa: E402
from changegate.cli.main import main as cli_main  # noqa: E402
from changegate.workflows.tokens import issue  # noqa: E402

BUDGET_MS = 200.0
POLICY = """\
version = 1
[policy]
last_reviewed = 2026-06-01
[roles]
policy_owner = "owner@example.com"
[[roles.reviewers]]
email = "rev@example.com"
[environments.prod]
deploy_root = "srv/prod"
[environments.staging]
deploy_root = "srv/staging"
[environments.dev]
deploy_root = "srv/dev"
"""
GATES = ("review", "lint", "types", "tests", "secrets")


def sha(i: int, salt: str = "c") -> str:
    return hashlib.sha1(f"{salt}{i}".encode()).hexdigest()


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=root, check=True, capture_output=True)


def make_repo(root: Path, db_url: str) -> None:
    root.mkdir(parents=True)
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.email", "owner@example.com")
    git(root, "config", "user.name", "Owner")
    (root / "changegate.toml").write_text(POLICY)
    git(root, "add", "changegate.toml")
    git(root, "commit", "-qm", "policy")
    if cli_main(["-C", str(root), "--db", db_url, "init"]) != 0:
        raise SystemExit("changegate init failed")


def fill(app: App, changes: int, deployments: int) -> None:
    store = app.store()
    batch = 1000
    for start in range(0, changes, batch):
        with store.writer() as w:
            for i in range(start, min(start + batch, changes)):
                commit, patch = sha(i), sha(i, "p")
                author = f"dev{i % 17}@example.com"
                w.append(
                    "rev@example.com",
                    "review.approve",
                    commit,
                    {"patch_id": patch, "base": sha(i, "b"), "findings": [], "resolves": []},
                )
                verdict = "blocked" if i % 9 == 0 else "pass"
                for g in GATES:
                    status = "fail" if verdict == "blocked" and g == "lint" else "pass"
                    findings = (
                        [
                            {
                                "message": "E501 line too long",
                                "path": "app/x.py",
                                "line": i % 90,
                                "rule": "E501",
                                "severity": "error",
                            }
                        ]
                        if status == "fail"
                        else []
                    )
                    w.append(
                        author,
                        "gate.result",
                        commit,
                        {
                            "name": g,
                            "status": status,
                            "reason": f"{g} {status}",
                            "findings": findings,
                            "evidence": {},
                            "duration_s": 0.4,
                            "patch_id": patch,
                            "base": sha(i, "b"),
                        },
                    )
                w.append(
                    author,
                    "check.verdict",
                    commit,
                    {
                        "verdict": verdict,
                        "base": sha(i, "b"),
                        "base_ref": "main",
                        "patch_id": patch,
                        "classification": {
                            "trivial": False,
                            "security": i % 7 == 0,
                            "schema": i % 11 == 0,
                            "labels": ["code"],
                            "reasons": ["touches app/"],
                        },
                        "gates": dict.fromkeys(GATES, "pass"),
                        "evidence_digest": sha(i, "d"),
                        "policy_sha256": "e" * 64,
                        "notes": [],
                    },
                )
    envs = ("prod", "staging", "dev")
    for start in range(0, deployments, batch):
        with store.writer() as w:
            for i in range(start, min(start + batch, deployments)):
                env = envs[i % 3]
                outcome = "failed" if i % 50 == 0 else "rolled-back" if i % 77 == 0 else "deployed"
                w.append(
                    "deployer@example.com",
                    "deploy.finished",
                    env,
                    {
                        "deployment": f"D-{i:08x}",
                        "kind": "deploy",
                        "tag": f"v1.{i}.0",
                        "commit": sha(i * 5),
                        "environment": env,
                        "deployer": "deployer@example.com",
                        "started_at": "2026-07-01T10:00:00Z",
                        "ended_at": "2026-07-01T10:03:00Z",
                        "outcome": outcome,
                        "migrations_applied": [],
                        "config_version": i,
                        "smoke": [
                            {
                                "name": "login",
                                "kind": "http",
                                "status": "pass",
                                "attempts": 1,
                                "detail": "200",
                            }
                        ],
                        "rollback_of": None,
                        "reason": None,
                        "basis": "verdict",
                        "emergency": None,
                    },
                )
            for i in range(start // 10, min(start + batch, deployments) // 10):
                w.append(
                    "dev@example.com",
                    "config.applied",
                    "prod",
                    {
                        "environment": "prod",
                        "version": i,
                        "proposal": f"P-{i}",
                        "approver": "rev@example.com",
                        "content_sha256": sha(i, "k"),
                        "reason": "bench",
                    },
                )
    with store.writer() as w:
        for i in range(20):
            w.append(
                "dev@example.com",
                "emergency.declared",
                f"EMG-{i:08x}",
                {
                    "incident": f"INC-{i}",
                    "sev": "SEV1",
                    "reason": "bench",
                    "reason_kind": "incident",
                    "commit": sha(i),
                    "base": "main",
                    "merge_base": sha(i, "b"),
                    "patch_id": sha(i, "p"),
                    "skipped": ["review"],
                    "due": "2026-07-02T00:00:00+00:00",
                },
            )
            w.append(
                "dev@example.com",
                "secrets.leak.opened",
                sha(i, "f") + sha(i, "g")[:24],
                {
                    "rule": "aws-access-key",
                    "preview": "AKIA****",
                    "commit": sha(i),
                    "path": "app/s.py",
                    "line": 3,
                    "introduced_by": "dev@example.com",
                    "refs": [],
                },
            )


def append_round(app: App, i: int, d: int) -> None:
    """What a busy minute records: a checked change, a deployment, an emergency or leak event."""
    with app.store().writer() as w:
        commit = sha(i)
        for g in GATES:
            w.append("dev@example.com", "gate.result", commit, {"name": g, "status": "pass"})
        verdict = "blocked" if i % 2 else "pass"
        w.append("dev@example.com", "check.verdict", commit, {"verdict": verdict, "notes": []})
        env = ("prod", "staging", "dev")[i % 3]
        w.append(
            "deployer@example.com",
            "deploy.finished",
            env,
            {
                "deployment": f"D-{d:08x}",
                "kind": "deploy",
                "tag": f"v2.{i}.0",
                "commit": commit,
                "environment": env,
                "outcome": "deployed",
                "deployer": "deployer@example.com",
            },
        )
        if i % 2:
            w.append(
                "dev@example.com",
                "emergency.closed",
                f"EMG-{i % 20:08x}",
                {"late": False, "retro_reviewers": ["rev@example.com"]},
            )
        else:
            w.append(
                "dev@example.com",
                "secrets.leak.rotated",
                sha(i % 20, "f") + sha(i % 20, "g")[:24],
                {"note": "rotated"},
            )


class Client:
    def __init__(self, port: int, token: str) -> None:
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        self.headers = {"Authorization": f"Bearer {token}"}

    def get(self, path: str) -> tuple[int, bytes, float]:
        start = time.perf_counter()
        self.conn.request("GET", path, headers=self.headers)
        res = self.conn.getresponse()
        body = res.read()
        return res.status, body, (time.perf_counter() - start) * 1000


def wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.time() + 30
    while time.time() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"serve exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("serve did not start")


def pages(changes: int, deployments: int) -> list[str]:
    mid = changes * 7 // 2
    return [
        "/",
        "/changes",
        f"/changes?before={mid}",
        "/changes?verdict=blocked",
        "/changes?from=2020-01-01&to=2099-12-31",
        f"/changes/{sha(changes // 2)}",
        "/deployments",
        "/deployments?env=prod",
        f"/deployments/D-{deployments // 2:08x}",
        "/emergencies",
        "/config",
        "/leaks",
        "/ledger",
        "/ledger?action=deploy.*",
        "/export",
        "/policy",
        "/api/status",
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--backend", choices=["sqlite", "postgres"], default="sqlite")
    ap.add_argument("--changes", type=int, default=10_000)
    ap.add_argument("--deployments", type=int, default=2_000)
    ap.add_argument("--requests", type=int, default=30)
    args = ap.parse_args(argv)
    work = Path(
        tempfile.mkdtemp(
            prefix="cg-dash-",
            dir=Path(__file__).parent / ".work"
            if (Path(__file__).parent / ".work").is_dir()
            else None,
        )
    )
    pg = None
    if args.backend == "postgres":
        from changegate.adapters.pgserver import start_pg

        pg = start_pg(fsync=False)
        db_url = pg.create_database("bench_dashboard")
    else:
        db_url = f"sqlite:///{work / 'state.db'}"
    proc = None
    try:
        root = work / "repo"
        make_repo(root, db_url)
        app = App.at(root, db_url)
        t0 = time.perf_counter()
        fill(app, args.changes, args.deployments)
        events = app.store().count()
        print(
            f"filled {events:,} events ({args.changes:,} changes, {args.deployments:,} "
            f"deployments) on {args.backend} in {time.perf_counter() - t0:.1f} s"
        )
        token, _ = issue(app, "auditor@example.com", "auditor", by="owner@example.com")
        owner_token, _ = issue(app, "owner@example.com", "owner", by="owner@example.com")
        app.close()
        port = free_port()
        env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "changegate.cli.main",
                "-C",
                str(root),
                "--db",
                db_url,
                "serve",
                "--port",
                str(port),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        wait_ready(port, proc)
        client = Client(port, token)
        t0 = time.perf_counter()
        client.get("/")  # starts the background verification of the whole ledger
        while True:
            status = json.loads(client.get("/api/status")[1])["ledger"]
            if status["verified_head"] == status["head"] and status["ok"] is not None:
                break
            if status["error"] or time.perf_counter() - t0 > 300:
                raise SystemExit(f"background verification did not finish: {status}")
            time.sleep(0.2)
        print(
            f"background ledger verification: {time.perf_counter() - t0:.2f} s, ok={status['ok']}"
        )
        failed = []
        print(f"{'page':52} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8}  result")
        for path in pages(args.changes, args.deployments):
            code, body, _ = client.get(path)
            if code != 200:
                raise SystemExit(f"{path}: HTTP {code}: {body[:300]!r}")
            times = sorted(client.get(path)[2] for _ in range(args.requests))
            p50 = statistics.median(times)
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            ok = p95 < BUDGET_MS
            if not ok:
                failed.append(path)
            print(f"{path:52} {p50:8.1f} {p95:8.1f} {times[-1]:8.1f}  {'PASS' if ok else 'FAIL'}")
        # The first request after another process appended: the folds catch up on new events.
        print(f"{'first request after an append':52} {'ms':>8}")
        writer = App.at(root, db_url)
        for i, path in enumerate(pages(args.changes, args.deployments)):
            append_round(writer, args.changes + i, args.deployments + i)
            code, body, ms = client.get(path)
            if code != 200:
                raise SystemExit(f"{path}: HTTP {code} after an append: {body[:300]!r}")
            ok = ms < BUDGET_MS
            if not ok:
                failed.append(f"{path} (first after an append)")
            print(f"{path:52} {ms:8.1f}  {'PASS' if ok else 'FAIL'}")
        writer.close()
        owner = Client(port, owner_token)
        for path in ("/deployments", "/tokens"):
            owner.get(path)
            times = sorted(owner.get(path)[2] for _ in range(args.requests))
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            ok = p95 < BUDGET_MS
            if not ok:
                failed.append(f"{path} (owner)")
            label = f"{path} (owner, p95)"
            print(f"{label:52} {p95:8.1f}  {'PASS' if ok else 'FAIL'}")
        print(
            f"{'PASS' if not failed else 'FAIL'}: every page p95 < {BUDGET_MS:.0f} ms"
            + (f" (failed: {', '.join(failed)})" if failed else "")
        )
        return 0 if not failed else 1
    finally:
        if proc is not None:
            proc.terminate()
            proc.wait(10)
        if pg is not None:
            pg.stop()


if __name__ == "__main__":
    sys.exit(main())
