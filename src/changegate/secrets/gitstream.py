"""Streaming a long git command: the one subprocess we read as it runs.

``changegate.adapters.proc.run`` captures a command's whole output, which is
right everywhere else but not for ``git diff-tree`` over thousands of commits:
its output is hundreds of megabytes, and splitting it across many short git
processes instead costs each of them a cold object cache (measured: 1.8x the
git CPU time for 100-commit pieces). So one git process per task, read in
blocks cut at file boundaries. A candidate to move into ``adapters`` later.
"""

from __future__ import annotations

import subprocess
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from changegate.errors import EnvironmentProblem, InputError

BLOCK = 1 << 22
_SECTION = b"\ndiff --git "


def stream_git(root: Path, args: Sequence[str], stdin_lines: Sequence[str]) -> Iterator[bytes]:
    """Yield ``git ARGS`` output in blocks that each end just before a ``diff --git`` line.

    ``stdin_lines`` go through a temporary file rather than a pipe, so that
    git can never block writing while we are still feeding it.
    """
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stderr:
        stdin.write(("\n".join(stdin_lines) + "\n").encode())
        stdin.seek(0)
        try:
            proc = subprocess.Popen(
                ["git", *args], cwd=root, stdin=stdin, stdout=subprocess.PIPE, stderr=stderr
            )
        except FileNotFoundError as exc:
            raise EnvironmentProblem(
                "git: command not found; install it or put it on PATH"
            ) from exc
        assert proc.stdout is not None
        pending = bytearray()
        try:
            while data := proc.stdout.read(BLOCK):
                pending += data
                cut = pending.rfind(_SECTION) + 1  # keep the newline with the block
                if cut > 1:
                    yield bytes(pending[:cut])
                    del pending[:cut]
            if pending:
                yield bytes(pending)
        finally:
            proc.stdout.close()
            code = proc.wait()
        if code != 0:
            stderr.seek(0)
            first = (stderr.read().decode("utf-8", "replace").strip() or "failed").splitlines()[0]
            raise InputError(f"git {args[0] if args else ''}: {first}")
