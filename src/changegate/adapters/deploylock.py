"""One deploy per environment at a time: a lock file that knows who holds it.

The lock lives in the deploy root (``<root>/deploy.lock``), created with
``O_EXCL`` so two deployers cannot both take it. It records who, when, the
process id and host, the tag and the deployment id, and it doubles as the
deploy's journal: the steps done so far are written into it as they finish,
so an interrupted deploy can be resumed (or rolled back) from where it
stopped. A lock whose process is gone on this host is *stale* — Kamal users'
most common complaint is a lock left by a killed deploy that nobody can
explain; here it says exactly what was interrupted.
"""

from __future__ import annotations

import json
import os
import socket
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from changegate.errors import EnvironmentProblem

LOCK_NAME = "deploy.lock"


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

    def alive(self) -> bool:
        """Whether the holder still runs (only decidable on the same host)."""
        if self.host != socket.gethostname():
            return True
        try:
            os.kill(self.pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return _not_zombie(self.pid)


def _not_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


class DeployLock:
    def __init__(self, root: Path) -> None:
        self.path = root / LOCK_NAME

    def read(self) -> LockInfo | None:
        try:
            raw = self.path.read_text()
        except FileNotFoundError:
            return None
        try:
            return LockInfo(**json.loads(raw))
        except (ValueError, TypeError) as exc:
            raise EnvironmentProblem(
                f"{self.path} is not a readable deploy lock; inspect it and remove it by hand "
                "if no deploy is running"
            ) from exc

    def acquire(self, info: LockInfo) -> None:
        """Take the lock or fail, naming the holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        except FileExistsError:
            holder = self.read()
            raise EnvironmentProblem(held_message(holder)) from None
        with os.fdopen(fd, "w") as f:
            json.dump(asdict(info), f)
            f.flush()
            os.fsync(f.fileno())

    def take_over(self, info: LockInfo) -> None:
        """Replace a stale lock with ours (resume): atomic, keeps the journal."""
        self.write(info)

    def write(self, info: LockInfo) -> None:
        tmp = self.path.with_name(f".{LOCK_NAME}.{os.getpid()}")
        tmp.write_text(json.dumps(asdict(info)))
        with open(tmp, "rb") as f:
            os.fsync(f.fileno())
        os.replace(tmp, self.path)

    def release(self) -> None:
        self.path.unlink(missing_ok=True)


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
