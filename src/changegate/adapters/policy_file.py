"""Reading ``changegate.toml``: from the work tree or from a git revision, with
every problem reported as ``file:line: key: what is wrong — what to do``.

tomllib gives no positions, so a small scanner maps each dotted key path to
the line that defines it; a validation error is then reported at the deepest
key of its path that the file actually contains (for a missing key: the table
that should hold it).
"""

from __future__ import annotations

import difflib
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from changegate.adapters.git import Git
from changegate.core.policy import Policy
from changegate.errors import InputError

POLICY_FILE = "changegate.toml"
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
_LINE_COL = re.compile(r"\(at line (\d+), column (\d+)\)")


def _split_key(key: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", key)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def key_lines(text: str) -> dict[tuple[str | int, ...], int]:
    """Map each key path (tables, array-of-table entries, keys) to its 1-based line."""
    lines: dict[tuple[str | int, ...], int] = {}
    counters: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    in_multiline: str | None = None
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        header = _HEADER.match(line)
        if header:
            path = tuple(_split_key(header.group(2)))
            if header.group(1) == "[[":
                idx = counters.get(path, -1) + 1
                counters[path] = idx
                lines.setdefault(path, number)
                table = (*path, idx)
            else:
                table = path
            lines[table] = number
            continue
        key = _KEY.match(line)
        if key:
            lines[(*table, *_split_key(key.group(1)))] = number
            rest = line[key.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_multiline = quote
    return lines


def _line_for(loc: tuple[str | int, ...], lines: dict[tuple[str | int, ...], int]) -> int:
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The pydantic model that holds the keys at ``loc`` (to suggest allowed keys)."""
    model: Any = Policy
    for part in loc:
        if isinstance(part, int) or model is None:
            continue
        if isinstance(model, type) and issubclass(model, BaseModel):
            field = model.model_fields.get(part)
            if field is None:
                return None
            model = _unwrap(field.annotation)
        else:
            model = _unwrap(model)
    return model if isinstance(model, type) and issubclass(model, BaseModel) else None


def _unwrap(annotation: Any) -> Any:
    origin = typing.get_origin(annotation)
    if origin in (list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            if arg is not type(None):
                return _unwrap(arg)
    if origin is dict:
        return _unwrap(typing.get_args(annotation)[1])
    return annotation


def _dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def _explain(err: Any) -> str:
    kind = err["type"]
    loc = tuple(err["loc"])
    if kind == "missing":
        return "required key is missing; add it"
    if kind == "extra_forbidden":
        parent = _model_at(loc[:-1])
        allowed = sorted(parent.model_fields) if parent else []
        close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys: {', '.join(allowed)}"
        return f"unknown key; remove it or fix its spelling ({hint})"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    if kind == "string_pattern_mismatch" and loc and str(loc[-1]) in {"email", "policy_owner"}:
        return "must be an email address such as 'alice@example.com'"
    if kind.endswith(("_type", "_parsing")):
        got = err.get("input")
        return f"{msg} (got {type(got).__name__} {got!r})"[:300]
    return msg


def parse_policy(text: str, source: str) -> Policy:
    """Validate policy text; every problem becomes one ``source:line:`` detail line."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _LINE_COL.search(str(exc))
        where = f"{source}:{found.group(1)}:{found.group(2)}" if found else source
        reason = _LINE_COL.sub("", str(exc)).strip()
        raise InputError(f"{where}: invalid TOML: {reason}; fix the syntax") from exc
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        lines = key_lines(text)
        located = []
        for err in exc.errors():
            loc = tuple(err["loc"])
            located.append((_line_for(loc, lines), f"{_dotted(loc)}: {_explain(err)}"))
        details = [f"{source}:{line}: {text}" for line, text in sorted(located)]
        count = len(details)
        raise InputError(
            f"{source}: {count} problem{'s' if count != 1 else ''} in the policy; "
            "fix each line below and run `changegate policy check`",
            details=details,
        ) from exc


def load_policy(repo_root: Path) -> Policy:
    """The policy in the work tree (for ``init``, ``policy check`` and local commands)."""
    path = repo_root / POLICY_FILE
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no policy file; run `changegate init` to write one") from exc
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text ({exc.reason}); save it as UTF-8") from exc
    return parse_policy(text, POLICY_FILE)


def load_policy_at(git: Git, rev: str) -> Policy:
    """The policy as committed at ``rev`` (see :func:`read_policy_at`)."""
    return read_policy_at(git, rev)[0]


def read_policy_at(git: Git, rev: str, label: str | None = None) -> tuple[Policy, bytes]:
    """The policy as committed at ``rev``: the trusted base of a change, never its head.

    A change cannot loosen the rules it is judged by: whatever it does to
    ``changegate.toml`` takes effect only once it is itself merged. ``label``
    names the revision in messages (a branch name rather than a commit id).
    """
    name = label or rev
    data = git.show_file(rev, POLICY_FILE)
    if data is None:
        raise InputError(
            f"{POLICY_FILE} does not exist at {name}; the policy is read from the base "
            "revision, so commit it there first (or run `changegate init` and commit it)"
        )
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}:{POLICY_FILE}: not UTF-8 text; save it as UTF-8") from exc
    return parse_policy(text, f"{name}:{POLICY_FILE}"), data
