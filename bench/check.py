"""`changegate check` benchmark: a cold and a cached check on a real project.

The project is more-itertools 10.5.0's source (from its PyPI sdist, fetched into
bench/.work/check, which is gitignored) in a fresh git repository, checked with
its real tools: ruff, mypy and pytest. A change touching one module is
checked once cold (every gate runs) and then again unchanged (passing results
reused by cache key). Target: the cached run, whole process, under 0.5 s. The
lint and type commands are set so that they pass on this project (ruff's
fatal-error rules, mypy without the project's strict section): only passes are
reused, failures always run again.

Two cached figures, interleaved in the same run so machine noise hits both:
the verdict-cache replay (what a re-run normally takes) and the full check
that reuses every gate result by cache key (its entry removed before each run:
what a re-run costs when the verdict cache misses).
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work" / "check"
PY = sys.executable
SDIST = "more-itertools==10.5.0"

POLICY = """\
version = 1
[policy]
last_reviewed = 2026-06-01
[roles]
policy_owner = "lead@example.com"
[[roles.reviewers]]
email = "reviewer@example.com"
[gates.lint]
command = ["{py}", "-m", "ruff", "check", "--no-cache", "--select", "E9,F63,F7,F82",
           "more_itertools"]
[gates.types]
command = ["{py}", "-m", "mypy", "--no-incremental", "--config-file", "/dev/null", "more_itertools"]
[gates.tests]
[[gates.tests.suites]]
name = "unit"
command = ["{py}", "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"]
"""


def sh(*args: str, cwd: Path, env: dict[str, str] | None = None) -> str:
    return subprocess.run(
        args, cwd=cwd, check=True, capture_output=True, text=True, env={**os.environ, **(env or {})}
    ).stdout


def project() -> Path:
    WORK.mkdir(parents=True, exist_ok=True)
    archive = next(WORK.glob("more-itertools-*.tar.gz"), None)
    if archive is None:
        sh(
            PY,
            "-m",
            "pip",
            "download",
            "-q",
            "--no-deps",
            "--no-binary",
            ":all:",
            SDIST,
            "-d",
            str(WORK),
            cwd=WORK,
        )
        archive = next(WORK.glob("more-itertools-*.tar.gz"))
    repo = WORK / "repo"
    shutil.rmtree(repo, ignore_errors=True)
    with tarfile.open(archive) as tar:
        tar.extractall(WORK, filter="data")
    src = next(p for p in WORK.iterdir() if p.is_dir() and p.name.startswith("more-itertools-"))
    src.rename(repo)
    (repo / "changegate.toml").write_text(POLICY.format(py=PY))
    for args in (
        ("init", "-q", "-b", "main"),
        ("config", "user.email", "dev@example.com"),
        ("config", "user.name", "Dev"),
        ("add", "-A"),
        ("commit", "-qm", "import"),
    ):
        sh("git", *args, cwd=repo)
    sh(PY, "-m", "changegate.cli.main", "init", cwd=repo)
    sh("git", "checkout", "-qb", "feature", cwd=repo)
    more = repo / "more_itertools" / "more.py"
    more.write_text(more.read_text() + "\n\n# a reviewed change\n")
    sh("git", "commit", "-qam", "a change", cwd=repo)
    return repo


# Installed by pip, changegate runs from compiled bytecode; a sandbox that sets
# PYTHONDONTWRITEBYTECODE makes every run recompile our modules from source instead.
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def timed_check(repo: Path) -> tuple[float, dict[str, object]]:
    start = time.perf_counter()
    proc = subprocess.run(
        [PY, "-m", "changegate.cli.main", "check", "--base", "main", "--format", "json"],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
        env=ENV,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1):
        raise SystemExit(f"check failed: {proc.stderr}")
    return elapsed, json.loads(proc.stdout)


def main() -> None:
    repo = project()
    cold, report = timed_check(repo)
    gates = report["gates"]
    assert isinstance(gates, list)
    print(f"project: {SDIST}, {len(list(repo.rglob('*.py')))} Python files")
    print(
        "gates (cold): "
        + ", ".join(f"{g['name']}={g['status']} {g['duration_s']:.1f}s" for g in gates)
    )
    replays: list[float] = []
    full: list[float] = []
    reused: list[str] = []
    for _ in range(15):
        for entry in (repo / ".changegate" / "verdicts").glob("*.json"):
            entry.unlink()
        elapsed, again = timed_check(repo)
        full.append(elapsed)
        elapsed, again = timed_check(repo)
        replays.append(elapsed)
        again_gates = again["gates"]
        assert isinstance(again_gates, list)
        reused = [g["name"] for g in again_gates if "cached_from_seq" in g["evidence"]]
    median = statistics.median(replays)
    print(f"cold check   : {cold:6.2f} s")
    print(
        f"cached check : {median:6.2f} s (verdict cache, median of {len(replays)}; "
        f"reused: {', '.join(reused)})"
    )
    print(
        f"full cached  : {statistics.median(full):6.2f} s (gate results by cache key, "
        f"no verdict cache, median of {len(full)})"
    )
    print(
        f"cold / cached: {cold / median:6.1f}x   target: cached < 0.5 s -> "
        f"{'met' if median < 0.5 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
