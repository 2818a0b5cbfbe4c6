"""Every rule: compiles with RE2, finds its own format, refuses the placeholder of it."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from secretgen import fill

from changegate.secrets.engine import Scanner
from changegate.secrets.rules import default_rules
from changegate.secrets.ruleset import compiles_with_re2

RULES = default_rules()
IDS = [r.id for r in RULES]
# Password-like detectors accept any length from 4 on, so cutting a value short
# still leaves a (shorter) password: the truncation test is for token formats.
TOKENS = [r for r in RULES if r.check in ("", "ctx")]


def test_rule_set_is_broad_and_unique() -> None:
    provider = [r for r in RULES if r.category != "generic"]
    assert len(provider) >= 120
    assert len(set(IDS)) == len(IDS)
    cats = Counter(r.category for r in RULES)
    for needed in (
        "cloud",
        "vcs-ci",
        "payment",
        "messaging",
        "email",
        "ai",
        "observability",
        "package-registry",
        "database",
        "secret-manager",
        "generic",
    ):
        assert cats[needed] >= 3, needed


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_rule_is_re2_with_keywords_and_example(rule: object) -> None:
    from changegate.secrets.model import Rule

    assert isinstance(rule, Rule)
    assert compiles_with_re2(rule.regex)
    assert rule.keywords and all(k == k.lower() for k in rule.keywords)
    assert rule.example


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_true_positive(rule: object, scanner: Scanner) -> None:
    from changegate.secrets.model import Rule

    assert isinstance(rule, Rule)
    rng = random.Random(f"tp:{rule.id}")
    text = "# settings\n" + fill(rule.example, rng) + "\n"
    found = scanner.scan_text(text, "deploy/settings.conf")
    assert rule.id in {f.rule for f in found}, (rule.id, [f.rule for f in found])
    hit = next(f for f in found if f.rule == rule.id)
    assert 2 <= hit.line <= 1 + rule.example.count("\n") + 1


@pytest.mark.parametrize("rule", RULES, ids=IDS)
def test_placeholder_is_not_flagged(rule: object, scanner: Scanner) -> None:
    from changegate.secrets.model import Rule

    assert isinstance(rule, Rule)
    text = fill(rule.example, random.Random(0), placeholder=True) + "\n"
    assert scanner.scan_text(text, "docs/setup.md") == []


@pytest.mark.parametrize("rule", TOKENS, ids=[r.id for r in TOKENS])
def test_truncated_value_is_not_this_rule(rule: object, scanner: Scanner) -> None:
    """A value cut short is a different string, not a broken token of this provider."""
    from changegate.secrets.model import Rule

    assert isinstance(rule, Rule)
    rng = random.Random(f"tp:{rule.id}")
    full = fill(rule.example, rng)
    cut = _truncate(full)
    found = {f.rule for f in scanner.scan_text(cut + "\n", "src/app.py")}
    assert rule.id not in found, cut[:12]


def _truncate(text: str) -> str:
    """Keep the first tenth of the longest run of token characters."""
    import re

    runs = list(re.finditer(r"[A-Za-z0-9+/_.\-~]{8,}", text))
    longest = max(runs, key=lambda m: len(m.group(0)))
    keep = max(6, len(longest.group(0)) // 10)
    return text[: longest.start() + keep] + " ..." + text[longest.end() :]
