"""The process table as Linux shows it in /proc: who is alive, whose child.

A reload is over when the master's previous workers have exited and new ones
run; the only portable-enough witness of that on Linux is /proc. We scan
``/proc/*/stat`` because ``/proc/PID/task/TID/children`` needs a kernel option
that is often missing.
"""

from __future__ import annotations

import os
from pathlib import Path

_PROC = Path("/proc")
# Helpers a master may fork that are not workers (uvicorn spawns with multiprocessing).
_NOT_WORKERS = ("multiprocessing.resource_tracker", "multiprocessing.forkserver")


def _stat(pid: int) -> tuple[int, str] | None:
    """(ppid, state) of ``pid``, or None when it does not exist (any more)."""
    try:
        data = (_PROC / str(pid) / "stat").read_bytes()
    except OSError:
        return None
    # The command name is in parentheses and may itself hold spaces or ')'.
    fields = data[data.rfind(b")") + 2 :].split()
    return int(fields[1]), fields[0].decode()


def alive(pid: int) -> bool:
    """True when ``pid`` exists and has not exited (a zombie counts as gone)."""
    st = _stat(pid)
    return st is not None and st[1] not in ("Z", "X")


def children(pid: int) -> list[int]:
    """Living direct children of ``pid``."""
    found = []
    for entry in os.scandir(_PROC):
        if not entry.name.isdigit():
            continue
        st = _stat(int(entry.name))
        if st is not None and st[0] == pid and st[1] not in ("Z", "X"):
            found.append(int(entry.name))
    return sorted(found)


def descendants(pid: int) -> list[int]:
    """Every living process below ``pid`` (children, their children, ...)."""
    parent_of: dict[int, int] = {}
    for entry in os.scandir(_PROC):
        if entry.name.isdigit():
            st = _stat(int(entry.name))
            if st is not None and st[1] not in ("Z", "X"):
                parent_of[int(entry.name)] = st[0]
    below: set[int] = set()
    frontier = {pid}
    while frontier:  # bounded: each pid joins `below` at most once
        frontier = {c for c, p in parent_of.items() if p in frontier and c not in below}
        below |= frontier
    return sorted(below)


def cmdline(pid: int) -> str:
    """The command line of ``pid`` joined by spaces ('' when gone)."""
    try:
        raw = (_PROC / str(pid) / "cmdline").read_bytes()
    except OSError:
        return ""
    return raw.replace(b"\0", b" ").decode("utf-8", "replace").strip()


def workers(master: int) -> list[int]:
    """The master's children that serve requests (helper processes left out)."""
    return [c for c in children(master) if not any(h in cmdline(c) for h in _NOT_WORKERS)]
