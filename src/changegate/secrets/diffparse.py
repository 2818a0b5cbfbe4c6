"""Unified-diff parsing: the added lines of each file, with new-file line numbers.

Only added lines matter for "did this change introduce a secret": a removed
secret is a fix, context lines were scanned when they were added.

The parser works on whole hunks with ``str.split``/``replace`` rather than
line by line: with ``-U0`` a hunk is its removed lines followed by its added
lines, so the added text of a hunk is one slice. History scans push hundreds
of megabytes through here, and per-line Python loops were the bottleneck.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

_SHA = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r"}


class LineMap:
    """Fragment line index to file line number, stored once per hunk."""

    __slots__ = ("_firsts", "_starts", "count")

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._firsts: list[int] = []
        self.count = 0

    def add(self, first_line: int, lines: int) -> None:
        self._starts.append(self.count)
        self._firsts.append(first_line)
        self.count += lines

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> int:
        if not 0 <= index < self.count:
            raise IndexError(index)
        hunk = bisect_right(self._starts, index) - 1
        return self._firsts[hunk] + index - self._starts[hunk]


@dataclass(slots=True)
class FileDelta:
    """Added lines of one file in one commit (or in the staged change)."""

    commit: str | None
    path: str
    pieces: list[str] = field(default_factory=list)
    linenos: LineMap = field(default_factory=LineMap)

    @property
    def text(self) -> str:
        return "\n".join(self.pieces)

    def add(self, text: str, first_line: int, lines: int) -> None:
        self.pieces.append(text)
        self.linenos.add(first_line, lines)


@dataclass(slots=True)
class PatchStats:
    """What the parser skipped, so the caller can say so."""

    binary: list[tuple[str | None, str]] = field(default_factory=list)  # (commit, path)
    commits: int = 0
    last_commit: str | None = None  # carried into the next block of a streamed diff


def unquote(path: str) -> str:
    """Undo git's C-style quoting of unusual file names (``"b/caf\\303\\251"``)."""
    if not (len(path) >= 2 and path[0] == '"' and path[-1] == '"'):
        return path
    out = bytearray()
    body, i = path[1:-1], 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt in "01234567":
                out.append(int(body[i + 1 : i + 4], 8) & 0xFF)
                i += 4
                continue
            out.extend(_ESCAPES.get(nxt, nxt).encode())
            i += 2
            continue
        out.extend(ch.encode())
        i += 1
    return out.decode("utf-8", errors="replace")


def _new_path(spec: str) -> str | None:
    spec = unquote(spec.rstrip("\t"))
    if spec == "/dev/null":
        return None
    return spec[2:] if spec.startswith("b/") else spec


def _add_hunk(delta: FileDelta, hunk: str, nl: int) -> None:
    """Add one hunk (``-a,b +c,d @@ …`` then its lines, ``nl`` ending the header).

    Called once per hunk of a whole history, so it works with slices and C
    string methods only; per-line Python loops are kept for the rare odd hunk.
    """
    try:
        new = hunk[:nl].split(" ", 2)[1]
        first_text, _, count_text = new[1:].partition(",")
        first = int(first_text)
        count = int(count_text) if count_text else 1
    except (IndexError, ValueError):
        return  # not a hunk header we understand
    if count == 0:
        return  # only removals
    if hunk.startswith("+", nl + 1):
        added = hunk[nl + 1 :]
    else:
        cut = hunk.find("\n+", nl)
        if cut < 0:
            return
        added = hunk[cut + 1 :]
    # With -U0 the added part is exactly ``count`` "+" lines; anything more
    # (context lines, "\ No newline at end of file") takes the slow path.
    if added.count("\n") + 1 != count:
        _add_lines(delta, first, hunk[nl + 1 :])
        return
    delta.pieces.append(added[1:].replace("\n+", "\n"))
    lines = delta.linenos
    lines._starts.append(lines.count)
    lines._firsts.append(first)
    lines.count += count


def _add_lines(delta: FileDelta, number: int, block: str) -> None:
    run: list[str] = []
    run_start = number
    for line in block.split("\n"):
        kind = line[:1]
        if kind == "+":
            if not run:
                run_start = number
            run.append(line[1:])
            number += 1
            continue
        if run:
            delta.add("\n".join(run), run_start, len(run))
            run = []
        if kind == " ":
            number += 1
    if run:
        delta.add("\n".join(run), run_start, len(run))


def _strip_commits(section: str, found: list[str]) -> str:
    """Remove the object ids that end ``section`` (the next commits' headers)."""
    while True:
        cut = section.rfind("\n")
        tail = section[cut + 1 :]
        if tail and not _SHA.fullmatch(tail):
            return section
        if tail:
            found.append(tail)
        if cut < 0:
            return ""
        section = section[:cut]


def parse_patch(text: str, stats: PatchStats, *, commit: str | None = None) -> Iterator[FileDelta]:
    """Yield one :class:`FileDelta` per file with added lines.

    ``text`` is ``git diff``/``diff-tree --stdin`` output with ``-U0``; a line
    that is a bare object id starts a new commit (diff-tree's header).
    """
    sections = ("\n" + text).split("\ndiff --git ")
    lead: list[str] = []
    _strip_commits(sections[0], lead)
    for sha in reversed(lead):
        commit = stats.last_commit = sha
        stats.commits += 1
    for section in sections[1:]:
        following: list[str] = []
        parts = _strip_commits(section, following).split("\n@@ ")
        head = parts[0]
        plus = head.find("\n+++ ")
        if plus >= 0 and len(parts) > 1:
            end = head.find("\n", plus + 5)
            path = _new_path(head[plus + 5 : end if end >= 0 else len(head)])
            if path is not None:
                delta = FileDelta(commit, path)
                for hunk in parts[1:]:
                    nl = hunk.find("\n")
                    if nl >= 0:
                        _add_hunk(delta, hunk, nl)
                if delta.pieces:
                    yield delta
        elif "\nBinary files " in head:
            line = head[head.find("\nBinary files ") + 14 :].split("\n", 1)[0]
            path = _new_path(line.rsplit(" differ", 1)[0].split(" and ")[-1]) or ""
            stats.binary.append((commit, path))
        for sha in reversed(following):
            commit = stats.last_commit = sha
            stats.commits += 1
