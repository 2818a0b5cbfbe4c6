"""Commit facts the ledger does not hold (title, author, committer, date), read in batches.

One ``git log --no-walk --stdin`` answers for any number of commits, so a
population of thousands costs one process, not one per row. A commit that is
no longer in the repository is simply absent from the answer (the history
checks of ``audit verify`` report it).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from changegate.adapters.git import Git

_SEP = "\x1f"


@dataclass(frozen=True)
class CommitInfo:
    sha: str
    parents: tuple[str, ...]
    author: str
    committer: str
    committed_at: str  # ISO 8601 with offset, as git prints it
    title: str


def parse_log(text: str) -> list[CommitInfo]:
    """Records printed with :data:`FORMAT` (one per line)."""
    out = []
    for line in text.splitlines():
        parts = line.split(_SEP)
        if len(parts) != 6:
            continue
        sha, parents, author, committer, when, title = parts
        out.append(
            CommitInfo(sha, tuple(parents.split()), author.lower(), committer.lower(), when, title)
        )
    return out


FORMAT = _SEP.join(("%H", "%P", "%ae", "%ce", "%cI", "%s"))


def commits(git: Git, shas: Iterable[str]) -> dict[str, CommitInfo]:
    """Facts about each of ``shas`` that exists; unknown ones are left out."""
    wanted = sorted({s for s in shas if s})
    if not wanted:
        return {}
    res = git.raw(
        "log",
        "--no-walk=unsorted",
        "--ignore-missing",
        "--stdin",
        f"--format={FORMAT}",
        input="\n".join(wanted).encode() + b"\n",
    )
    return {c.sha: c for c in parse_log(res.out)} if res.ok else {}


def people(git: Git, base: str, head: str) -> list[str]:
    """Authors and committers (emails, lower case) of ``base..head``, sorted."""
    res = git.raw("log", "--format=%ae%n%ce", f"{base}..{head}")
    return sorted({p.lower() for p in res.out.split()}) if res.ok else []
