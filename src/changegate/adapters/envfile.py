"""The rendered env file and the running process's environment: the two places config is live.

The file is replaced atomically (a temporary file in the same directory,
mode 0600 from creation, fsync, rename, fsync of the directory), so a worker
starting mid-apply reads either the old file or the new one, never half of
one, and no other user can read a secret in it even for a moment.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from changegate.errors import EnvironmentProblem


def write_atomic(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` (mode 0600), creating its directories."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise EnvironmentProblem(
            f"{path.parent}: cannot write the config file here ({exc.strerror}); "
            "check the deploy root and its permissions"
        ) from exc
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise EnvironmentProblem(f"{path}: cannot write the config file ({exc.strerror})") from exc
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def read_text(path: Path) -> str | None:
    """The file's text, None when it does not exist."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise EnvironmentProblem(f"{path}: cannot read the config file ({exc.strerror})") from exc


def process_environ(pidfile: Path) -> dict[str, str] | None:
    """The environment of the process named by ``pidfile``, None when not readable.

    Linux only (``/proc/PID/environ``); another user's process, a stale pidfile
    or another OS is simply "not readable", not an error: the file is still checked.
    """
    try:
        pid = int(pidfile.read_text().strip())
        raw = Path(f"/proc/{pid}/environ").read_bytes()
    except (OSError, ValueError):
        return None
    out: dict[str, str] = {}
    for item in raw.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep:
            with contextlib.suppress(UnicodeDecodeError):
                out[key.decode()] = value.decode()
    return out
