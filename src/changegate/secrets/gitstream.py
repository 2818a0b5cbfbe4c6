"""Streaming a long git command: the one subprocess we read as it runs.

``changegate.adapters.proc.run`` captures a command's whole output, which is
right everywhere else but not for ``git diff-tree`` over thousands of commits:
its output is hundreds of megabytes, and splitting it across many short git
processes instead costs each of them a cold object cache (measured: 1.8x the
git CPU time for 100-commit pieces). So one git process per task, read in
blocks cut at file boundaries; the process itself is run by the one subprocess
helper, :func:`changegate.adapters.proc.stream`.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import Path

from changegate.adapters.proc import CommandFailed, stream
from changegate.errors import InputError

BLOCK = 1 << 22
_SECTION = b"\ndiff --git "


def stream_git(root: Path, args: Sequence[str], stdin_lines: Sequence[str]) -> Iterator[bytes]:
    """Yield ``git ARGS`` output in blocks that each end just before a ``diff --git`` line."""
    pending = bytearray()
    try:
        for data in stream(
            ["git", *args], cwd=root, input=("\n".join(stdin_lines) + "\n").encode(), block=BLOCK
        ):
            pending += data
            cut = pending.rfind(_SECTION) + 1  # keep the newline with the block
            if cut > 1:
                yield bytes(pending[:cut])
                del pending[:cut]
        if pending:
            yield bytes(pending)
    except CommandFailed as exc:
        first = (exc.stderr.strip() or "failed").splitlines()[0]
        raise InputError(f"git {args[0] if args else ''}: {first}") from exc
