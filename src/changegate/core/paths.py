"""Path globs as the policy writes them: ``**`` spans directories, ``*`` does not.

``fnmatch`` lets ``*`` cross ``/``, which would make ``docs/*`` match
``docs/api/secret.py``: too loose for a rule that decides whether a change
needs review. Patterns are matched against the whole repository-relative path.
"""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=1024)
def _compile(pattern: str) -> re.Pattern[str]:
    out = []
    i = 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile("".join(out) + r"\Z")


def matches(path: str, pattern: str) -> bool:
    return _compile(pattern).match(path) is not None


def first_match(path: str, patterns: list[str]) -> str | None:
    """The first pattern that matches ``path`` (to explain a decision), or None."""
    for pattern in patterns:
        if matches(path, pattern):
            return pattern
    return None
