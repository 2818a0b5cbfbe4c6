"""Release transport: put a tagged tree on the host and switch to it atomically.

Capistrano's layout, kept because every operator already knows it:
``<root>/releases/<tag>/`` holds each release's exported tree, ``<root>/current``
is a symlink to one of them, and ``<root>/shared/`` holds what outlives a
release (config, pid files, heartbeats). The switch is a rename of a freshly
made symlink over ``current`` — one ``rename(2)``, so a crash leaves the old or
the new release, never half of each.

The ``Transport`` protocol is the seam for more than one host: a fleet transport
would ``export`` by rsync/ssh to every host of a batch and ``switch`` each of
them; the deploy workflow only ever talks to this protocol (see docs/deploy.md).
"""

from __future__ import annotations

import os
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import Protocol

from changegate.adapters.git import Git
from changegate.errors import EnvironmentProblem, InputError

RELEASES = "releases"
CURRENT = "current"
SHARED = "shared"


class Transport(Protocol):
    """Where releases live and how the live one is chosen."""

    root: Path

    def export(self, git: Git, tag: str) -> Path: ...
    def has(self, tag: str) -> bool: ...
    def switch(self, tag: str) -> str | None: ...
    def current(self) -> str | None: ...
    def releases(self) -> list[str]: ...
    def prune(self, keep: int, protect: set[str]) -> list[str]: ...


class LocalTransport:
    """Releases in a directory on this host."""

    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def releases_dir(self) -> Path:
        return self.root / RELEASES

    def path(self, tag: str) -> Path:
        return self.releases_dir / tag

    def prepare(self) -> None:
        try:
            for sub in (RELEASES, SHARED):
                (self.root / sub).mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise EnvironmentProblem(
                f"cannot create the deploy root {self.root}: {exc.strerror}; "
                "check environments.<env>.deploy_root and its permissions"
            ) from exc

    def has(self, tag: str) -> bool:
        return (self.path(tag) / ".changegate-release").is_file()

    def export(self, git: Git, tag: str) -> Path:
        """``git archive`` the tag into ``releases/<tag>`` (idempotent).

        The tree is unpacked beside its final place and renamed into it, and a
        marker written last: a directory without the marker is a partial export
        (a crash mid-way) and is redone, never deployed.
        """
        self.prepare()
        dest = self.path(tag)
        if self.has(tag):
            return dest
        if dest.exists():
            shutil.rmtree(dest)
        tmp = Path(tempfile.mkdtemp(prefix=f".{tag}.", dir=self.releases_dir))
        try:
            result = git.raw("archive", "--format=tar", f"refs/tags/{tag}^{{commit}}")
            if not result.ok:
                raise InputError(f"cannot export tag {tag}: {result.err.strip()}")
            archive = tmp.with_suffix(".tar")
            archive.write_bytes(result.stdout)
            with tarfile.open(archive) as tar:
                tar.extractall(tmp, filter="data")
            archive.unlink()
            commit = git.rev_parse(f"refs/tags/{tag}^{{commit}}")
            (tmp / ".changegate-release").write_text(f"{tag}\n{commit}\n")
            os.replace(tmp, dest)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
            tmp.with_suffix(".tar").unlink(missing_ok=True)
        return dest

    def current(self) -> str | None:
        link = self.root / CURRENT
        if not link.is_symlink():
            return None
        return Path(os.readlink(link)).name

    def switch(self, tag: str) -> str | None:
        """Point ``current`` at ``releases/<tag>``; returns the tag it pointed at."""
        if not self.has(tag):
            raise EnvironmentProblem(f"release {tag} is not exported under {self.releases_dir}")
        previous = self.current()
        link = self.root / CURRENT
        tmp = self.root / f".{CURRENT}.{os.getpid()}"
        tmp.unlink(missing_ok=True)
        os.symlink(Path(RELEASES) / tag, tmp)
        os.replace(tmp, link)
        _fsync_dir(self.root)
        return previous

    def releases(self) -> list[str]:
        """Exported releases, oldest first (by export time)."""
        if not self.releases_dir.is_dir():
            return []
        found = [p for p in self.releases_dir.iterdir() if (p / ".changegate-release").is_file()]
        found.sort(key=lambda p: (p / ".changegate-release").stat().st_mtime)
        return [p.name for p in found]

    def prune(self, keep: int, protect: set[str]) -> list[str]:
        """Delete the oldest releases beyond ``keep``, never one in ``protect``."""
        names = self.releases()
        removed: list[str] = []
        for name in names[: max(0, len(names) - keep)]:
            if name in protect:
                continue
            shutil.rmtree(self.path(name), ignore_errors=True)
            removed.append(name)
        return removed


def _fsync_dir(path: Path) -> None:
    """Make the rename durable: without it a power cut may undo the switch."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
