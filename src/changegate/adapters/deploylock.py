"""One deploy per environment at a time: a lock file that knows who holds it.

The lock lives in the deploy root (``<root>/deploy.lock``), created with
``O_EXCL`` so two deployers cannot both take it. It records who, when, the
process id and host, the tag and the deployment id, and it doubles as the
deploy's journal: the steps done so far are written into it as they finish,
so an interrupted deploy can be resumed (or rolled back) from where it
stopped. A lock whose process is gone on this host is *stale* — Kamal users'
most common complaint is a lock left by a killed deploy that nobody can
explain; here it says exactly what was interrupted.

Liveness is not guessed from a pid (pids are reused, containers change their
hostname): the holder keeps an exclusive ``flock`` on ``deploy.lock.held`` for
as long as it runs, and the kernel drops it the moment the process dies,
kill -9 included. The journal beside it is replaced atomically on every write;
the flock file never is.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from changegate.errors import EnvironmentProblem

LOCK_NAME = "deploy.lock"
HELD_NAME = "deploy.lock.held"


@dataclass
class LockInfo:
    deployment: str
    kind: str  # deploy | rollback
    environment: str
    tag: str
    previous_tag: str | None
    actor: str
    started_at: str
    pid: int
    host: str
    done: list[str] = field(default_factory=list)  # steps finished, in order
    data: dict[str, Any] = field(default_factory=dict)  # step results carried to resume

    live: bool = field(default=False, compare=False)  # set by DeployLock.read (flock probe)

    def alive(self) -> bool:
        """Whether the holder still runs (its flock is held); pid and host are for people."""
        return self.live

    def journal(self) -> dict[str, object]:
        return {k: v for k, v in asdict(self).items() if k != "live"}


class DeployLock:
    def __init__(self, root: Path) -> None:
        self.path = root / LOCK_NAME
        self.held_path = root / HELD_NAME
        self._fd: int | None = None

    def read(self) -> LockInfo | None:
        try:
            raw = self.path.read_text()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise EnvironmentProblem(
                f"cannot read the deploy lock {self.path}: {exc.strerror}; check the "
                "environment's deploy_root and its permissions"
            ) from exc
        try:
            info = LockInfo(**json.loads(raw))
        except (ValueError, TypeError) as exc:
            raise EnvironmentProblem(
                f"{self.path} is not a readable deploy lock; inspect it and remove it by hand "
                "if no deploy is running"
            ) from exc
        info.live = self._fd is not None or self._probe()
        return info

    def _probe(self) -> bool:
        """True when some process holds the flock (a shared lock attempt fails)."""
        try:
            fd = os.open(self.held_path, os.O_RDONLY)
        except FileNotFoundError:
            return False
        except OSError:
            return True  # cannot tell: never call a deploy dead on a guess
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN):
                return True
            raise
        finally:
            os.close(fd)
        return False

    def _hold(self) -> bool:
        """Take the flock for this process; False when a live process has it."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.held_path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise EnvironmentProblem(
                f"cannot create the deploy lock in {self.path.parent}: {exc.strerror}; check "
                "the environment's deploy_root and its permissions"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def acquire(self, info: LockInfo) -> None:
        """Take the lock or fail, naming the holder (live, or stale with its journal)."""
        if not self._hold():
            raise EnvironmentProblem(held_message(self.read()))
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            self._unhold()
            raise EnvironmentProblem(held_message(self.read())) from None
        with os.fdopen(fd, "w") as f:
            json.dump(info.journal(), f)
            f.flush()
            os.fsync(f.fileno())

    def take_over(self, info: LockInfo) -> None:
        """Adopt a stale lock (resume, rollback of an interrupted run): keeps the journal."""
        if not self._hold():
            raise EnvironmentProblem(
                f"another process has just taken over {self.path}; let it finish"
            )
        self.write(info)

    def write(self, info: LockInfo) -> None:
        tmp = self.path.with_name(f".{LOCK_NAME}.{os.getpid()}")
        tmp.write_text(json.dumps(info.journal()))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def release(self) -> None:
        self.path.unlink(missing_ok=True)
        self._unhold()

    def _unhold(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor drops the flock
            self._fd = None


def held_message(holder: LockInfo | None) -> str:
    if holder is None:
        return "the deploy lock vanished while taking it; try again"
    state = "still running" if holder.alive() else "STALE: its process is gone"
    return (
        f"{holder.environment} is locked by {holder.kind} {holder.deployment} of {holder.tag} "
        f"(by {holder.actor} since {holder.started_at}, pid {holder.pid} on {holder.host}, "
        f"{state}); wait for it, or run `changegate deploy --resume --env {holder.environment}` "
        f"/ `changegate rollback --env {holder.environment}` to finish an interrupted one, or "
        f'`changegate deploy --break-lock --reason "..." --env {holder.environment}`'
    )
