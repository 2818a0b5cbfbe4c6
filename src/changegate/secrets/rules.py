"""The default rule set: every table, assembled once."""

from __future__ import annotations

import functools

from changegate.secrets.model import Rule
from changegate.secrets.ruleset import RuleSet


def default_rules() -> tuple[Rule, ...]:
    """All built-in rules (provider tables first, generic detectors last)."""
    from changegate.secrets import rules_ai, rules_cloud, rules_dev, rules_generic, rules_saas

    return (
        *rules_cloud.RULES,
        *rules_dev.RULES,
        *rules_saas.RULES,
        *rules_ai.RULES,
        *rules_generic.RULES,
    )


@functools.lru_cache(maxsize=1)
def default_ruleset() -> RuleSet:
    """The shared default :class:`RuleSet` (its prefilter is built on first use)."""
    return RuleSet(default_rules())
