"""A compiled rule set: one keyword automaton (RE2's multi-pattern DFA), regexes on demand.

Compilation is lazy and per rule: a pre-commit scan of three small files only
pays for the handful of regexes whose keywords appear, which is what lets the
hook start in milliseconds with 150+ rules loaded.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol, cast

from changegate.secrets.model import Allowlist, Rule


class Match(Protocol):
    """What both ``re2`` and ``re`` match objects offer us."""

    def group(self, index: int = ..., /) -> Any: ...
    def start(self, index: int = ..., /) -> int: ...
    def end(self, index: int = ..., /) -> int: ...


class Pattern(Protocol):
    """What both ``re2`` and ``re`` compiled patterns offer us."""

    def finditer(self, text: str, /) -> Iterator[Match]: ...
    def search(self, text: str, /) -> Match | None: ...


@functools.lru_cache(maxsize=4096)
def compile_regex(pattern: str) -> Pattern:
    """RE2 (linear time, safe on hostile input) and ``re`` only when RE2 refuses.

    The fallback exists for imported gitleaks rules that use Go-incompatible
    or Perl-only constructs; our own rules are tested to compile with RE2.
    """
    import re2

    options = re2.Options()
    options.log_errors = False
    options.max_mem = 64 << 20
    try:
        return re2.compile(pattern, options)  # type: ignore[no-any-return]
    except re2.error:
        return cast(Pattern, re.compile(_go_to_python(pattern)))


def compiles_with_re2(pattern: str) -> bool:
    """Whether RE2 accepts ``pattern`` (used by tests and config diagnostics)."""
    import re2

    options = re2.Options()
    options.log_errors = False
    try:
        re2.compile(pattern, options)
    except re2.error:
        return False
    return True


def _go_to_python(pattern: str) -> str:
    r"""Translate the few Go regex spellings that Python's ``re`` reads differently."""
    return pattern.replace(r"\z", r"\Z")


class RuleSet:
    """Rules plus global allowlists, with the prefilter built once per process."""

    def __init__(self, rules: Sequence[Rule], allowlists: Sequence[Allowlist] = ()) -> None:
        ids = [r.id for r in rules]
        dupes = {i for i in ids if ids.count(i) > 1}
        if dupes:
            raise ValueError(f"duplicate rule ids: {', '.join(sorted(dupes))}")
        self.rules: tuple[Rule, ...] = tuple(rules)
        self.allowlists: tuple[Allowlist, ...] = tuple(allowlists)
        self._automaton: Any = None
        self._always: frozenset[int] = frozenset()
        # What a loaded configuration could not honour, for the caller to show.
        self.notes: list[str] = []

    def __getstate__(self) -> dict[str, object]:
        # Compiled automata do not pickle; worker processes rebuild them.
        return {"rules": self.rules, "allowlists": self.allowlists}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["rules"], state["allowlists"])  # type: ignore[misc]

    def __len__(self) -> int:
        return len(self.rules)

    def by_id(self, rule_id: str) -> Rule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)

    def _build(self) -> Any:
        """One automaton over every keyword of every rule (built on first use).

        RE2's multi-pattern Set compiles the literal keywords into a single DFA
        -- the Aho-Corasick construction -- and reports which keywords occur in
        one pass in C. Measured on 52 MB of real patch text it runs 6.7x faster
        than pyahocorasick's iterator (0.13 s against 0.87 s), which scans at
        about 60 MB/s and was a quarter of a history scan's time.
        """
        import re2

        table: dict[str, list[int]] = {}
        always = []
        for index, rule in enumerate(self.rules):
            if not rule.keywords:
                always.append(index)
            for kw in rule.keywords:
                table.setdefault(kw.lower(), []).append(index)
        self._always = frozenset(always)
        if not table:
            self._automaton = False
            return False
        options = re2.Options()
        options.literal = True
        options.case_sensitive = False
        options.max_mem = 64 << 20
        automaton = re2.Set.SearchSet(options)
        self._keyword_rules: list[tuple[int, ...]] = []
        for kw, indexes in table.items():
            automaton.Add(kw)
            self._keyword_rules.append(tuple(indexes))
        automaton.Compile()
        self._automaton = automaton
        return automaton

    def candidates(self, text: str) -> set[int]:
        """Indexes of the rules worth running on ``text`` (keywords match in any case)."""
        automaton = self._automaton
        if automaton is None:
            automaton = self._build()
        hits: set[int] = set(self._always)
        if automaton:
            keyword_rules = self._keyword_rules
            for k in automaton.Match(text) or ():
                hits.update(keyword_rules[k])
        return hits

    def pattern(self, index: int) -> Pattern:
        return compile_regex(self.rules[index].regex)


def merge(base: Iterable[Rule], extra: Iterable[Rule], disabled: Iterable[str] = ()) -> list[Rule]:
    """``extra`` rules replace same-id ``base`` rules; ``disabled`` ids are dropped."""
    out = {r.id: r for r in base}
    for rule in extra:
        out[rule.id] = rule
    for rule_id in disabled:
        out.pop(rule_id, None)
    return list(out.values())
