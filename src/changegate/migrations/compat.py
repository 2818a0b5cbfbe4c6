"""Forward compatibility: is a dropped or renamed name still used by the running release?

The release in production is the code at the base revision, so we search that
tree (``git grep`` at the revision, not the work tree, which already has the
new code). A column counts as used only in files that also name its table, to
keep common column names like ``id`` from matching everything.
"""

from __future__ import annotations

from functools import cache

from changegate.adapters.git import Git
from changegate.migrations.statements import Reference


class CodeSearch:
    """Word searches in the base tree, memoised per name."""

    def __init__(self, git: Git, base: str, exclude: tuple[str, ...] = ()) -> None:
        self.git = git
        self.base = git.rev_parse(base)
        self.exclude = tuple(f":(exclude){p}" for p in exclude)
        self.files = cache(self._files)

    def _files(self, word: str) -> frozenset[str]:
        res = self.git.raw(
            "grep", "-l", "-I", "-i", "-w", "-F", "-e", word, self.base, "--", ".", *self.exclude
        )
        if not res.ok:
            return frozenset()
        prefix = f"{self.base}:"
        return frozenset(line.removeprefix(prefix) for line in res.out.splitlines() if line)

    def users(self, ref: Reference) -> list[str]:
        """Files of the base tree that still use what ``ref`` drops or renames."""
        tables = self.files(ref.table)
        if ref.column is None:
            return sorted(tables)
        return sorted(tables & self.files(ref.column))
