"""Ordering against the base branch, read through git.

A database remembers which versions it ran, not what they contained, so a
migration that is renumbered below the deployed head, duplicated, or edited
after merging silently never runs (or runs differently) in production.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from changegate.adapters.git import Git
from changegate.migrations.alembic_offline import heads
from changegate.migrations.model import Finding, Migration, MigrationSet
from changegate.migrations.rules import finding


@dataclass
class Ordering:
    """Findings per file path, and which migrations are new relative to the base."""

    findings: dict[str, list[Finding]] = field(default_factory=lambda: defaultdict(list))
    new: set[int] = field(default_factory=set)  # ids of Migration objects to check


def _rel(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return path.as_posix()


def check_ordering(
    mset: MigrationSet, root: Path, git: Git | None = None, base: str | None = None
) -> Ordering:
    """Compare ``mset`` with itself and, when given, with the tree at ``base``."""
    result = Ordering()
    merged: list[Migration] = []
    for mig in mset.migrations:
        if git is None or base is None:
            result.new.add(id(mig))
            continue
        at_base = False
        for source in (mig.up.path, *(s.path for s in [mig.down] if s)):
            rel = _rel(source, git.root)
            old = git.show_file(base, rel)
            if old is None:
                continue
            at_base = True
            if old != source.read_bytes():
                shown = _rel(source, root)
                result.findings[shown].append(finding("modified-migration", 1, shown))
                result.new.add(id(mig))
        if at_base:
            merged.append(mig)
        else:
            result.new.add(id(mig))
    if mset.format == "alembic":
        tops = heads({rev: (Path(), downs) for rev, downs in mset.graph.items()})
        if len(tops) > 1:
            for mig in mset.migrations:
                if mig.version.split("-", 1)[-1] in tops:
                    rel = _rel(mig.up.path, root)
                    result.findings[rel].append(
                        finding("multiple-heads", 1, f"heads {', '.join(tops)}")
                    )
        return result
    by_version: dict[tuple[object, ...], list[Migration]] = defaultdict(list)
    for mig in mset.migrations:
        by_version[mig.sort_key].append(mig)
    for same in by_version.values():
        if len(same) < 2:
            continue
        keep = next((m for m in same if id(m) not in result.new), same[0])
        for mig in same:
            if mig is not keep:
                rel = _rel(mig.up.path, root)
                other = _rel(keep.up.path, root)
                result.findings[rel].append(
                    finding("duplicate-version", 1, f"version {mig.version} is also {other}")
                )
                result.new.add(id(mig))
    if merged:
        top = max(merged, key=lambda m: m.sort_key)
        for mig in mset.migrations:
            if id(mig) in result.new and mig not in merged and mig.sort_key < top.sort_key:
                rel = _rel(mig.up.path, root)
                result.findings[rel].append(
                    finding("out-of-order", 1, f"{mig.version} < {top.version} on {base}")
                )
    return result
