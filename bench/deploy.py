"""Deploy and rollback benchmark: wall times and failed requests under continuous load.

The sample service (``changegate.sample``) runs under gunicorn (2 workers) from a
deploy root; a load generator sends requests on new connections all the time.
Each round deploys a new release (`changegate deploy`: verify, export, switch,
rolling reload, smoke tests, record) and then rolls it back (`changegate
rollback`), both timed as whole commands. Target: rollback under 3 s, zero
failed requests.

Side by side, in the same run and under the same load: the deploy script
changegate replaces — switch the symlink and restart the process manager
(stop gunicorn, start it again), which is what `systemctl restart` or
`supervisorctl restart` does. Its failed requests and time are printed with
the ratio.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "deploy"
PY = sys.executable
ROUNDS = int(os.environ.get("BENCH_DEPLOY_ROUNDS", "3"))

POLICY = """\
version = 1
[policy]
last_reviewed = 2026-06-01
[roles]
policy_owner = "lead@example.com"
[gates.review]
enabled = false
[gates.adversarial_review]
enabled = false
[environments.prod]
deploy_root = "{root}"
keep_releases = 3
"""


def sh(repo: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=repo, check=True, capture_output=True, text=True
    ).stdout


def cg(repo: Path, *args: str) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(
        [PY, "-m", "changegate.cli.main", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=False,
    )
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        sys.exit(f"changegate {' '.join(args)} failed:\n{proc.stdout}{proc.stderr}")
    return took


def release(repo: Path, tag: str) -> None:
    from changegate.sample import write_service

    write_service(repo, tag)
    sh(repo, "add", "-A")
    sh(repo, "commit", "-qm", tag)
    cg(repo, "check", "--base", "HEAD~1", "--head", "HEAD")
    cg(repo, "release", tag)


def main() -> None:
    from changegate.adapters.pgserver import free_port
    from changegate.sample import Load, environment_toml, launch

    shutil.rmtree(WORK, ignore_errors=True)
    repo, root, port = WORK / "repo", WORK / "srv", free_port()
    repo.mkdir(parents=True)
    sh(repo, "init", "-q", "-b", "main")
    sh(repo, "config", "user.email", "deployer@example.com")
    sh(repo, "config", "user.name", "Deployer")
    policy = POLICY.format(root=root) + environment_toml("gunicorn", port, backoff_seconds=0.1)
    (repo / "changegate.toml").write_text(policy)
    sh(repo, "add", "-A")
    sh(repo, "commit", "-qm", "policy")
    cg(repo, "init")
    token = "bench-smoke-token"
    os.environ["SMOKE_TOKEN"] = token
    (root / "shared").mkdir(parents=True)
    (root / "shared" / "config.env").write_text(f"SMOKE_TOKEN={token}\n")
    release(repo, "r0")
    cg(repo, "deploy", "r0", "--env", "prod")
    launched = launch("gunicorn", root, port=port, workers=2)
    deploys: list[float] = []
    rollbacks: list[float] = []
    try:
        load = Load(launched.url + "/", max_duration=600).start()
        load.wait_for(50)
        for n in range(1, ROUNDS + 1):
            release(repo, f"r{n}")
            deploys.append(cg(repo, "deploy", f"r{n}", "--env", "prod"))
            load.wait_for(20)
            rollbacks.append(cg(repo, "rollback", "--env", "prod", "--reason", "bench"))
            load.wait_for(20)
        ours = load.stop()

        # The peer: switch the symlink and restart the process manager.
        restarts: list[float] = []
        load = Load(launched.url + "/", max_duration=600).start()
        load.wait_for(50)
        for _ in range(ROUNDS):
            t0 = time.perf_counter()
            launched.stop()
            launched = launch("gunicorn", root, port=port, workers=2)
            restarts.append(time.perf_counter() - t0)
            load.wait_for(20, timeout=30)
        theirs = load.stop()
    finally:
        launched.stop()

    med = statistics.median
    print(
        f"deploy   (changegate deploy, rolling reload): median {med(deploys):.2f} s over {ROUNDS}"
    )
    print(
        f"rollback (changegate rollback):               median {med(rollbacks):.2f} s"
        f" (target < 3 s: {'PASS' if med(rollbacks) < 3 else 'FAIL'})"
    )
    print(f"restart  (stop + start, the deploy-script way): median {med(restarts):.2f} s")
    print(
        f"failed requests: changegate {ours.failures} of {ours.requests} over "
        f"{2 * ROUNDS} deploys/rollbacks; restart {theirs.failures} of {theirs.requests} over "
        f"{ROUNDS} restarts"
    )
    rate_ours = ours.failures / max(ours.requests, 1)
    rate_theirs = theirs.failures / max(theirs.requests, 1)
    print(
        f"failure rate: changegate {rate_ours:.4%}, restart {rate_theirs:.4%}"
        + (f" ({rate_theirs / rate_ours:.0f}x)" if rate_ours else " (changegate: none)")
    )
    if ours.failures:
        print("FAIL: changegate dropped requests:", ours.failure_samples[:3])
        sys.exit(1)


if __name__ == "__main__":
    main()
