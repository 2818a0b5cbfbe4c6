"""Allowlist evaluation with gitleaks' semantics (OR / AND, secret / match / line)."""

from __future__ import annotations

from changegate.secrets.model import Allowlist
from changegate.secrets.ruleset import compile_regex


def path_allowed(allowlists: tuple[Allowlist, ...], path: str, commit: str | None) -> bool:
    """Whether a whole file (or commit) is excluded before any matching runs.

    Only unconditional entries qualify (OR, all rules, only paths/commits),
    because AND entries and secret regexes need a match to judge.
    """
    for al in allowlists:
        if al.target_rules or al.condition == "AND":
            continue
        if al.paths and any(compile_regex(p).search(path) for p in al.paths):
            return True
        if commit and _commit_hit(al, commit):
            return True
    return False


def _commit_hit(al: Allowlist, commit: str) -> bool:
    return any(commit.startswith(c) for c in al.commits if len(c) >= 7)


def allows(
    al: Allowlist,
    *,
    rule_id: str,
    secret: str,
    match: str,
    line: str,
    path: str,
    commit: str | None,
) -> bool:
    """Whether ``al`` drops this match."""
    if al.target_rules and rule_id not in al.target_rules:
        return False
    target = {"secret": secret, "match": match, "line": line}[al.regex_target]
    checks: list[bool] = []
    if al.commits:
        checks.append(bool(commit) and _commit_hit(al, commit or ""))
    if al.paths:
        checks.append(any(compile_regex(p).search(path) for p in al.paths))
    if al.regexes:
        checks.append(any(compile_regex(r).search(target) for r in al.regexes))
    if al.stopwords:
        low = secret.lower()
        checks.append(any(w.lower() in low for w in al.stopwords))
    if not checks:
        return False
    return all(checks) if al.condition == "AND" else any(checks)
