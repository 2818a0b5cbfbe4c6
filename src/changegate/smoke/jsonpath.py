"""The JSONPath subset smoke checks use: ``$`` then ``.key``, ``["key"]``, ``[index]``.

Deliberately tiny (no wildcards, filters or recursion): every path names at
most one value, so a failed assertion can say exactly what was there. The
policy validates the syntax (``JsonAssertion.PATH``); this module evaluates it.
"""

from __future__ import annotations

import json
import re
from typing import Any

from changegate.core.policy import JsonAssertion

_STEP = re.compile(r'\.([A-Za-z_][A-Za-z0-9_-]*)|\[(-?\d+)\]|\["([^"\\]*)"\]')
_MISSING = object()


def steps(path: str) -> list[str | int]:
    """``$.a["b c"][0]`` → ``["a", "b c", 0]``; ``ValueError`` outside the subset."""
    if not JsonAssertion.PATH.match(path):
        raise ValueError(f"JSON path {path!r} is not in the supported subset")
    out: list[str | int] = []
    for m in _STEP.finditer(path, 1):
        key, index, quoted = m.groups()
        out.append(int(index) if index is not None else (key if key is not None else quoted))
    return out


def lookup(doc: Any, path: str) -> tuple[bool, Any]:
    """(found, value) of ``path`` in ``doc``."""
    node = doc
    for step in steps(path):
        if isinstance(step, int):
            if not isinstance(node, list) or not -len(node) <= step < len(node):
                return False, None
            node = node[step]
        else:
            if not isinstance(node, dict) or step not in node:
                return False, None
            node = node[step]
    return True, node


def check(doc: Any, assertion: JsonAssertion) -> str | None:
    """``None`` when ``assertion`` holds, else what was expected and found."""
    found, value = lookup(doc, assertion.path)
    shown = json.dumps(value)[:80] if found else "nothing"
    if assertion.exists is not None:
        if found == assertion.exists:
            return None
        want = "a value" if assertion.exists else "no value"
        return f"{assertion.path}: expected {want}, found {shown}"
    if assertion.one_of is not None:
        if found and any(_same(value, option) for option in assertion.one_of):
            return None
        return f"{assertion.path}: expected one of {json.dumps(assertion.one_of)}, found {shown}"
    if found and _same(value, assertion.equals):
        return None
    return f"{assertion.path}: expected {json.dumps(assertion.equals)}, found {shown}"


def _same(a: Any, b: Any) -> bool:
    """JSON equality: ``1 == 1.0``, but ``true`` is not ``1``."""
    return bool(a == b) and isinstance(a, bool) == isinstance(b, bool)
