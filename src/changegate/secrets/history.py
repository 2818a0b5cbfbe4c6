"""Sources in git: the staged change, a commit range, the whole history.

History is split into tasks of up to 2,000 commits scanned by worker
processes; each task streams one ``git diff-tree --stdin`` (one git process
keeps its object cache warm across the task) and matches blocks as they
arrive, so both cores work and memory stays bounded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from changegate.adapters.git import Git
from changegate.errors import InputError
from changegate.secrets.diffparse import PatchStats, parse_patch
from changegate.secrets.engine import Scanner
from changegate.secrets.model import Finding, ScanResult

Progress = Callable[[int, int], None]

_DIFF_OPTS = (
    "-p", "-U0", "-M", "--no-color", "--no-ext-diff", "--no-textconv",
    "--diff-filter=AMRC", "--src-prefix=a/", "--dst-prefix=b/",
)  # fmt: skip


def _git(repo: Git | str | Path) -> Git:
    return repo if isinstance(repo, Git) else Git.discover(repo)


def _scan_patch(scanner: Scanner, text: str, result: ScanResult, commit: str | None) -> str | None:
    """Scan one block of diff output; return the commit it ends in (for the next block)."""
    stats = PatchStats(last_commit=commit)
    for delta in parse_patch(text, stats, commit=commit):
        fragment = delta.text
        result.bytes += len(fragment)
        result.files += 1
        result.findings.extend(
            scanner.scan_text(fragment, delta.path, commit=delta.commit, linenos=delta.linenos)
        )
    for in_commit, path in stats.binary:
        where = f" in commit {in_commit[:12]}" if in_commit else ""
        result.notes.append(f"{path}: binary file skipped{where}")
    return stats.last_commit


def scan_staged(repo: Git | str | Path, scanner: Scanner) -> ScanResult:
    """The added lines of the staged change, with line numbers in the staged file."""
    git = _git(repo)
    text = git("-c", "core.quotepath=false", "diff", "--cached", *_DIFF_OPTS)
    result = ScanResult(notes=list(scanner.rules.notes))
    _scan_patch(scanner, text, result, None)
    return result


def _commits(git: Git, revs: Sequence[str]) -> list[str]:
    out = git("rev-list", "--no-merges", "--reverse", *revs, "--")
    return out.split()


def parse_range(git: Git, spec: str) -> tuple[str, str]:
    """``BASE..HEAD`` into two commit ids; an unknown side is bad input."""
    base, sep, head = spec.partition("..")
    if not sep or not base or head.startswith("."):
        raise InputError(f"{spec}: expected a commit range such as main..HEAD")
    return git.rev_parse(base), git.rev_parse(head or "HEAD")


def scan_range(
    repo: Git | str | Path,
    spec: str,
    scanner: Scanner,
    *,
    workers: int = 1,
    progress: Progress | None = None,
) -> ScanResult:
    """Added lines of every non-merge commit in ``BASE..HEAD``."""
    git = _git(repo)
    base, head = parse_range(git, spec)
    result = _scan_commits(git, _commits(git, [f"{base}..{head}"]), scanner, workers, progress)
    result.notes[:0] = scanner.rules.notes
    return result


def scan_history(
    repo: Git | str | Path,
    scanner: Scanner,
    *,
    workers: int = 2,
    progress: Progress | None = None,
) -> ScanResult:
    """Added lines of every non-merge commit reachable from any ref or HEAD (``--all``).

    Merges are skipped: their content came from their parents, which are
    scanned; only hand-edited conflict resolutions escape (as with gitleaks).
    """
    git = _git(repo)
    notes = list(scanner.rules.notes)
    if git.raw("rev-parse", "--is-shallow-repository").out.strip() == "true":
        notes.append(
            "shallow clone: commits before the shallow boundary are not scanned, and the "
            "boundary commits count their whole content as added (git fetch --unshallow)"
        )
    commits = _commits(git, ["--all"])
    if not commits:
        notes.append("repository has no commits: nothing to scan")
    result = _scan_commits(git, commits, scanner, workers, progress)
    result.notes[:0] = notes
    return result


def _chunk_commits(git: Git, scanner: Scanner, commits: Sequence[str]) -> ScanResult:
    """One git process for the whole chunk, its output matched as it streams in."""
    from changegate.secrets.gitstream import stream_git

    args = ("-c", "core.quotepath=false", "diff-tree", "--stdin", "--root", "-r", *_DIFF_OPTS)
    result = ScanResult(commits=len(commits))
    current: str | None = None
    try:
        for block in stream_git(git.root, args, commits):
            text = block.decode("utf-8", errors="replace")
            current = _scan_patch(scanner, text, result, current)
    except InputError as exc:
        result.notes.append(f"{len(commits)} commits not fully scanned: {exc.message}")
    return result


# Per worker process: set once by the pool initializer, so that the rule set
# and key are sent to each worker once rather than with every chunk.
_WORKER: dict[str, tuple[Git, Scanner]] = {}


def _init_worker(root: str, scanner: Scanner) -> None:
    _WORKER["state"] = (Git(root), scanner)


def _run_chunk(commits: list[str]) -> ScanResult:
    git, scanner = _WORKER["state"]
    return _chunk_commits(git, scanner, commits)


def _scan_commits(
    git: Git,
    commits: list[str],
    scanner: Scanner,
    workers: int,
    progress: Progress | None,
) -> ScanResult:
    total = len(commits)
    size = max(25, min(2000, -(-total // max(1, workers * 4))))
    chunks = [commits[i : i + size] for i in range(0, total, size)]
    parts: dict[int, ScanResult] = {}
    done = 0
    if workers <= 1 or len(chunks) <= 1:
        for i, chunk in enumerate(chunks):
            parts[i] = _chunk_commits(git, scanner, chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    else:
        # Imported here: the staged scan (the hook) never needs a process pool.
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        methods = multiprocessing.get_all_start_methods()
        ctx = multiprocessing.get_context("fork" if "fork" in methods else None)
        with ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_init_worker,
            initargs=(str(git.root), scanner),
        ) as pool:  # fmt: skip
            futures = {pool.submit(_run_chunk, chunk): i for i, chunk in enumerate(chunks)}
            for future in as_completed(futures):
                i = futures[future]
                parts[i] = future.result()
                done += len(chunks[i])
                if progress:
                    progress(done, total)
    result = ScanResult()
    for i in range(len(chunks)):
        result.extend(parts[i])
    result.findings = _in_commit_order(result.findings, commits)
    return result


def _in_commit_order(findings: list[Finding], commits: Sequence[str]) -> list[Finding]:
    order = {c: i for i, c in enumerate(commits)}
    return sorted(findings, key=lambda f: (order.get(f.commit or "", -1), f.path, f.line))
