"""The secret scanning engine: rules, prefilter, sources, fingerprints, reports.

Importing this package is free (no regex engine, no rule tables): every name
below is loaded on first use, so the pre-commit hook starts in milliseconds
and pays only for the regexes whose keywords appear in the staged text.

Public API (all importable from ``changegate.secrets``)::

    make_scanner(key: bytes, root: str | Path | None = None,
                 config: str | Path | None = None) -> Scanner
        The scanner for a repository: ``config``, else ``ROOT/.gitleaks.toml``
        (gitleaks v8 format), else the built-in rules. ``key`` is the
        fingerprint key (the ledger's key material); it is never printed.

    scan_paths(paths: Sequence[str | Path], scanner: Scanner, *,
               root: str | Path | None = None, max_bytes: int = 1 MiB) -> ScanResult
        Files and directories. Binary, oversize, unreadable files and symlinks
        are skipped with a note; ``.git`` is skipped; invalid UTF-8 is decoded
        with replacement characters. Paths are relative to ``root`` if given.
        A missing path raises ``InputError``.

    scan_staged(repo: Git | str | Path, scanner: Scanner) -> ScanResult
        Added lines of ``git diff --cached``; lines numbered in the staged file.

    scan_range(repo, spec: str, scanner, *, workers: int = 1,
               progress: Callable[[int, int], None] | None = None) -> ScanResult
        Added lines of each non-merge commit in ``BASE..HEAD``; an unknown ref
        or a malformed spec raises ``InputError``.

    scan_history(repo, scanner, *, workers: int = 2, progress=None) -> ScanResult
        Added lines of every non-merge commit reachable from any ref (and
        HEAD), split across ``workers`` processes. Empty repositories, shallow
        clones and binary files are reported in ``notes``.

    to_json(result: ScanResult) -> dict     {"findings": [...], "notes": [...], "stats": {...}}
    to_sarif(result: ScanResult, *, version: str = "0.1.0") -> dict    SARIF 2.1.0

    load_rules(root=None, *, config=None) -> RuleSet    (``make_scanner`` uses it)
    default_ruleset() -> RuleSet                        built-in rules, shared
    fingerprint(key: bytes, rule_id: str, secret: str) -> str   HMAC-SHA256 hex
    preview(secret: str) -> str                         e.g. "ghp_…(40)"

Types: ``Finding`` (rule, description, path, line, column, end_line, commit,
fingerprint, preview, entropy; ``to_dict()``), ``ScanResult`` (findings,
notes, files, commits, bytes), ``Rule``, ``Allowlist``, ``RuleSet``,
``Scanner`` (``scan_text(text, path, *, commit=None, linenos=None)``).

A ``Finding`` never holds the raw secret or its line: only the keyed
fingerprint (stable across line moves and unrelated edits) and the preview.
To check whether a known leak is still present (purge-check), rescan and
compare fingerprints computed with the same key.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from changegate.secrets.engine import Scanner
    from changegate.secrets.files import scan_paths
    from changegate.secrets.fingerprint import fingerprint, preview
    from changegate.secrets.gitleaks import load_rules
    from changegate.secrets.history import scan_history, scan_range, scan_staged
    from changegate.secrets.model import Allowlist, Finding, Rule, ScanResult
    from changegate.secrets.report import to_json, to_sarif
    from changegate.secrets.rules import default_ruleset
    from changegate.secrets.ruleset import RuleSet

_LAZY = {
    "Scanner": "engine",
    "scan_paths": "files",
    "fingerprint": "fingerprint",
    "preview": "fingerprint",
    "load_rules": "gitleaks",
    "scan_history": "history",
    "scan_range": "history",
    "scan_staged": "history",
    "Allowlist": "model",
    "Finding": "model",
    "Rule": "model",
    "ScanResult": "model",
    "to_json": "report",
    "to_sarif": "report",
    "default_ruleset": "rules",
    "RuleSet": "ruleset",
}

__all__ = [
    "Allowlist",
    "Finding",
    "Rule",
    "RuleSet",
    "ScanResult",
    "Scanner",
    "default_ruleset",
    "fingerprint",
    "load_rules",
    "make_scanner",
    "preview",
    "scan_history",
    "scan_paths",
    "scan_range",
    "scan_staged",
    "to_json",
    "to_sarif",
]


def make_scanner(
    key: bytes, root: str | Path | None = None, config: str | Path | None = None
) -> Scanner:
    """A scanner with the repository's rules (see the module docstring)."""
    from changegate.secrets.engine import Scanner
    from changegate.secrets.gitleaks import load_rules

    return Scanner(load_rules(root, config=config), key)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'changegate.secrets' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"changegate.secrets.{module}"), name)
    globals()[name] = value
    return value
