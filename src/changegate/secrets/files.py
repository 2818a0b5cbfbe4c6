"""Source: files and directories on disk.

Everything skipped is said in ``notes``: a scanner that silently ignores a
1.5 MiB ``.env`` or a symlink gives a false sense of safety.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

from changegate.errors import InputError
from changegate.secrets.engine import Scanner
from changegate.secrets.model import ScanResult

MAX_BYTES = 1 << 20
_SKIP_DIRS = frozenset({".git", ".hg", ".svn"})


def is_binary(data: bytes) -> bool:
    """NUL bytes in the first 8 KiB: what git itself uses to call a file binary."""
    return b"\0" in data[:8192]


def decode(data: bytes) -> str:
    """UTF-8, and never a crash on anything else: undecodable bytes become U+FFFD."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("utf-8", errors="replace")


def _walk(top: Path, result: ScanResult) -> Iterator[Path]:
    for dirpath, dirnames, filenames in os.walk(top, followlinks=False):
        base = Path(dirpath)
        keep = []
        for d in sorted(dirnames):
            if d in _SKIP_DIRS:
                continue
            if (base / d).is_symlink():
                result.notes.append(f"{base / d}: symbolic link not followed")
                continue
            keep.append(d)
        dirnames[:] = keep
        for name in sorted(filenames):
            if name in _SKIP_DIRS:  # a submodule's .git file
                continue
            yield base / name


def iter_files(paths: Sequence[str | Path], result: ScanResult) -> Iterator[Path]:
    """Regular files under ``paths``; a missing path is bad input, not an empty scan."""
    for raw in paths:
        path = Path(raw)
        if path.is_symlink():
            result.notes.append(f"{path}: symbolic link not followed")
        elif path.is_dir():
            yield from _walk(path, result)
        elif path.is_file():
            yield path
        elif not path.exists():
            raise InputError(f"{path}: no such file or directory")
        else:
            result.notes.append(f"{path}: not a regular file, skipped")


def _display(path: Path, root: Path | None) -> str:
    if root is not None:
        try:
            return path.resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    return path.as_posix()


def scan_paths(
    paths: Sequence[str | Path],
    scanner: Scanner,
    *,
    root: str | Path | None = None,
    max_bytes: int = MAX_BYTES,
) -> ScanResult:
    """Scan files and directories; paths are reported relative to ``root`` when given."""
    result = ScanResult(notes=list(scanner.rules.notes))
    base = Path(root) if root is not None else None
    for path in iter_files(paths, result):
        shown = _display(path, base)
        if path.is_symlink():
            result.notes.append(f"{shown}: symbolic link not followed")
            continue
        try:
            size = path.stat().st_size
            if size > max_bytes:
                result.notes.append(f"{shown}: {size} bytes, larger than {max_bytes}; skipped")
                continue
            data = path.read_bytes()
        except OSError as exc:
            result.notes.append(f"{shown}: unreadable ({exc.strerror}); skipped")
            continue
        if is_binary(data):
            result.notes.append(f"{shown}: binary file skipped")
            continue
        result.files += 1
        result.bytes += len(data)
        result.findings.extend(scanner.scan_text(decode(data), shown))
    return result
