"""The one subprocess helper: every external command goes through :func:`run`.

Keeping it in one place means one policy for encodings, environment and
errors: a missing executable becomes an :class:`EnvironmentProblem` with the
name of the tool, never a ``FileNotFoundError`` traceback.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from changegate.errors import EnvironmentProblem


@dataclass(frozen=True)
class Result:
    """What a finished command left behind (bytes, so callers choose the decoding)."""

    args: tuple[str, ...]
    returncode: int
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    @property
    def out(self) -> str:
        return self.stdout.decode("utf-8", errors="replace")

    @property
    def err(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")


def run(
    args: Sequence[str],
    *,
    cwd: str | Path | None = None,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float | None = None,
) -> Result:
    """Run a command to completion and capture its output.

    ``env`` entries are added to the current environment rather than replacing
    it, because a command without PATH or HOME is never what a caller means.
    """
    full_env = None
    if env is not None:
        full_env = dict(os.environ)
        full_env.update(env)
    try:
        proc = subprocess.run(
            list(args),
            cwd=str(cwd) if cwd is not None else None,
            input=input,
            env=full_env,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except FileNotFoundError as exc:
        raise EnvironmentProblem(
            f"{args[0]}: command not found; install it or put it on PATH"
        ) from exc
    except subprocess.TimeoutExpired as exc:
        raise EnvironmentProblem(
            f"{' '.join(args)}: no answer after {timeout:g}s; "
            "check the command or raise its timeout"
        ) from exc
    return Result(tuple(args), proc.returncode, proc.stdout or b"", proc.stderr or b"")


def stream(
    args: Sequence[str],
    *,
    cwd: str | Path | None = None,
    input: bytes = b"",
    block: int = 1 << 22,
) -> Iterator[bytes]:
    """Yield a long-running command's stdout in blocks as it runs.

    For outputs of hundreds of megabytes (``git diff-tree`` over a whole
    history) that :func:`run` would hold in memory at once. The input goes
    through a temporary file, so the command can never block writing while we
    are still feeding it. A non-zero exit raises :class:`CommandFailed` after
    the output has been read.
    """
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stderr:
        stdin.write(input)
        stdin.seek(0)
        try:
            proc = subprocess.Popen(
                list(args),
                cwd=str(cwd) if cwd is not None else None,
                stdin=stdin,
                stdout=subprocess.PIPE,
                stderr=stderr,
            )
        except FileNotFoundError as exc:
            raise EnvironmentProblem(
                f"{args[0]}: command not found; install it or put it on PATH"
            ) from exc
        assert proc.stdout is not None
        try:
            while data := proc.stdout.read(block):
                yield data
        finally:
            proc.stdout.close()
            code = proc.wait()
        if code != 0:
            stderr.seek(0)
            raise CommandFailed(tuple(args), code, stderr.read().decode("utf-8", "replace"))


class CommandFailed(Exception):
    """A streamed command exited non-zero (the caller turns it into its own error)."""

    def __init__(self, args: tuple[str, ...], returncode: int, stderr: str) -> None:
        super().__init__(f"{args[0]} exited {returncode}")
        self.args_ = args
        self.returncode = returncode
        self.stderr = stderr
