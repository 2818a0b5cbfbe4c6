"""Matching: prefilter, regex, secret extraction, filters, findings.

The engine works on *fragments*: the text of a file, or the added lines of
one file in one commit joined with newlines plus their real line numbers.
Matching a whole fragment at once (rather than line by line) is both faster
and what lets multi-line secrets such as PEM keys be seen.
"""

from __future__ import annotations

import re
from typing import Protocol

from changegate.secrets import filters
from changegate.secrets.allowlist import allows, path_allowed
from changegate.secrets.entropy import shannon
from changegate.secrets.fingerprint import fingerprint, preview
from changegate.secrets.model import Finding, Rule
from changegate.secrets.ruleset import Match, RuleSet, compile_regex


class LineNumbers(Protocol):
    """Fragment line index to real line number (a list, or a per-hunk map)."""

    def __getitem__(self, index: int, /) -> int: ...
    def __len__(self) -> int: ...


_SQUASH = re.compile(r"\s+|\\[nr]|[\"',+]")
_Hit = tuple[int, int, Rule, str]


def _extract(rule: Rule, m: Match) -> tuple[str, int, int] | None:
    """The secret, its start and its end, according to the rule's secret group."""
    group = rule.secret_group
    if group < 0:
        for g in range(-group, 99):
            try:
                value = m.group(g)
            except IndexError:
                return None
            if value:
                return value, m.start(g), m.end(g)
        return None
    try:
        value = m.group(group)
    except IndexError:
        value, group = m.group(0), 0
    if not value:
        return None
    return value, m.start(group), m.end(group)


class Scanner:
    """A rule set bound to the caller's fingerprint key."""

    def __init__(self, rules: RuleSet, key: bytes) -> None:
        if not key:
            raise ValueError("a non-empty fingerprint key is required")
        self.rules = rules
        self._key = key

    def __repr__(self) -> str:
        return f"Scanner(rules={len(self.rules)})"  # never the key

    def scan_text(
        self,
        text: str,
        path: str,
        *,
        commit: str | None = None,
        linenos: LineNumbers | None = None,
    ) -> list[Finding]:
        """Findings in ``text``; ``linenos[i]`` is the real number of its line ``i``."""
        if not text or path_allowed(self.rules.allowlists, path, commit):
            return []
        candidates = self.rules.candidates(text)
        hits: list[_Hit] = []
        for index in sorted(candidates):
            rule = self.rules.rules[index]
            if rule.path and not compile_regex(rule.path).search(path):
                continue
            for m in self.rules.pattern(index).finditer(text):
                got = _extract(rule, m)
                if got is None:
                    continue
                secret, start, end = got
                if self._keep(rule, m, secret, text, start, path, commit):
                    hits.append((start, end, rule, secret))
        return [self._finding(h, text, path, commit, linenos) for h in _dedupe(hits)]

    def _keep(
        self,
        rule: Rule,
        m: Match,
        secret: str,
        text: str,
        start: int,
        path: str,
        commit: str | None,
    ) -> bool:
        if rule.entropy and shannon(secret) < rule.entropy:
            return False
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", start)
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        if rule.category != "custom" and not self._passes_checks(rule, m, secret, line, path):
            return False
        match = m.group(0)
        for al in (*rule.allowlists, *self.rules.allowlists):
            if allows(
                al, rule_id=rule.id, secret=secret, match=match, line=line, path=path, commit=commit
            ):
                return False
        return True

    @staticmethod
    def _passes_checks(rule: Rule, m: Match, secret: str, line: str, path: str) -> bool:
        check = rule.check
        if check == "pem":
            return not filters.reject_pem_body(secret)
        if filters.base_reject(secret):
            return False
        if check == "generic":
            quoted = m.group(2) is not None
            return not filters.reject_generic(secret, m.group(1) or "", line, path, quoted=quoted)
        if check == "ctx":
            return not filters.reject_ctx_name(m.group(1) or "")
        if check == "generic-value":
            return not filters.reject_value(secret)
        if check == "uri":
            user = m.group(1) if rule.secret_group == 2 else ""
            return not filters.reject_uri_password(secret, user or "", m.group(0))
        if check == "basic":
            return not filters.reject_basic(secret)
        return True

    def _finding(
        self,
        hit: _Hit,
        text: str,
        path: str,
        commit: str | None,
        linenos: LineNumbers | None,
    ) -> Finding:
        start, _end, rule, secret = hit
        index = text.count("\n", 0, start)
        line_start = text.rfind("\n", 0, start) + 1
        identity = _SQUASH.sub("", secret) if rule.squash else secret
        line = linenos[index] if linenos is not None and index < len(linenos) else index + 1
        return Finding(
            rule=rule.id,
            description=rule.description,
            path=path,
            line=line,
            column=start - line_start + 1,
            fingerprint=fingerprint(self._key, rule.id, identity),
            preview=preview(identity),
            commit=commit,
            end_line=line + secret.count("\n"),
            entropy=shannon(identity),
        )


def _dedupe(hits: list[_Hit]) -> list[_Hit]:
    """One finding per secret: a provider rule beats a generic one on the same span."""
    hits.sort(key=lambda h: (h[0], h[2].category == "generic", h[2].id))
    kept: list[_Hit] = []
    specific = [h for h in hits if h[2].category != "generic"]
    for hit in hits:
        start, end, rule, _ = hit
        if rule.category == "generic" and any(
            s < end and start < e for s, e, r, _ in specific if r is not rule
        ):
            continue
        if kept and kept[-1][0] == start and kept[-1][1] == end:
            continue
        kept.append(hit)
    return kept
