"""Unified-diff parsing: the added lines of each file, with new-file line numbers.

Only added lines matter for "did this change introduce a secret": a removed
secret is a fix, context lines were scanned when they were added.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field

_SHA = re.compile(r"^[0-9a-f]{40}(?:[0-9a-f]{24})?$")
_ESCAPES = {"a": "\a", "b": "\b", "t": "\t", "n": "\n", "v": "\v", "f": "\f", "r": "\r"}


@dataclass(slots=True)
class FileDelta:
    """Added lines of one file in one commit (or in the staged change)."""

    commit: str | None
    path: str
    lines: list[str] = field(default_factory=list)
    linenos: list[int] = field(default_factory=list)


@dataclass(slots=True)
class PatchStats:
    """What the parser skipped, so the caller can say so."""

    binary: list[str] = field(default_factory=list)
    commits: int = 0


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
            if nxt in "01234567" and i + 3 < len(body) + 1:
                out.append(int(body[i + 1 : i + 4], 8))
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


def _hunk_start(line: str) -> int:
    plus = line.find(" +", 2)
    end = plus + 2
    while end < len(line) and line[end].isdigit():
        end += 1
    return int(line[plus + 2 : end] or 0)


def parse_patch(text: str, stats: PatchStats, *, commit: str | None = None) -> Iterator[FileDelta]:
    """Yield one :class:`FileDelta` per file with added lines.

    ``text`` is ``git diff``/``diff-tree --stdin`` output with ``-U0``; a line
    that is a bare object id starts a new commit (diff-tree's header).
    """
    current: FileDelta | None = None
    number = 0
    in_hunk = False
    for line in text.split("\n"):
        if in_hunk:
            first = line[:1]
            if first == "+":
                if current is not None:
                    current.lines.append(line[1:])
                    current.linenos.append(number)
                number += 1
                continue
            if first in ("-", "\\"):
                continue
            if first == " ":
                number += 1
                continue
            if line.startswith("@@ "):
                number = _hunk_start(line)
                continue
            in_hunk = False
        if line.startswith("@@ "):
            number, in_hunk = _hunk_start(line), True
        elif line.startswith("diff --git "):
            if current is not None and current.lines:
                yield current
            current = None
        elif line.startswith("+++ "):
            path = _new_path(line[4:])
            current = FileDelta(commit, path) if path is not None else None
        elif line.startswith("Binary files "):
            stats.binary.append(line[13:].rsplit(" differ", 1)[0].split(" and ")[-1][2:])
        elif _SHA.match(line):
            if current is not None and current.lines:
                yield current
            current, commit = None, line
            stats.commits += 1
    if current is not None and current.lines:
        yield current
