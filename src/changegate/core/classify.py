"""Classifying a change: trivial, security-relevant, schema-relevant — and why.

Policy §1: every non-trivial change needs a second party's review; security-
or schema-relevant changes also need an adversarial review. The decision is
returned with the rule that made it, because "why did my docs fix need two
reviews?" must have an answer a developer can read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from changegate.core.paths import first_match
from changegate.core.policy import Classification as Rules


@dataclass(frozen=True)
class FileChange:
    """One path touched by the change (``old_path`` for renames), with its line counts.

    Binary files count as ``None`` lines: they are never trivial.
    """

    path: str
    added: int | None
    deleted: int | None
    old_path: str | None = None


@dataclass(frozen=True)
class Classification:
    trivial: bool
    security: bool
    schema: bool
    reasons: tuple[str, ...] = field(default=())

    @property
    def labels(self) -> list[str]:
        out = [
            name
            for name, on in (
                ("trivial", self.trivial),
                ("security", self.security),
                ("schema", self.schema),
            )
            if on
        ]
        return out or ["normal"]

    def as_dict(self) -> dict[str, object]:
        return {
            "trivial": self.trivial,
            "security": self.security,
            "schema": self.schema,
            "labels": self.labels,
            "reasons": list(self.reasons),
        }


def classify(
    changes: list[FileChange], rules: Rules, schema_paths: list[str] | None = None
) -> Classification:
    """``schema_paths`` adds the migration directories the policy lists to its schema globs."""
    reasons: list[str] = []
    schema_globs = list(rules.schema_paths) + [f"{p.rstrip('/')}/**" for p in schema_paths or []]
    security = schema = False
    for change in changes:
        for path in filter(None, (change.path, change.old_path)):
            glob = first_match(path, rules.security_paths)
            if glob and not security:
                security = True
                reasons.append(f"security-relevant: {path} matches {glob!r}")
            glob = first_match(path, schema_globs)
            if glob and not schema:
                schema = True
                reasons.append(f"schema-relevant: {path} matches {glob!r}")
    size = 0
    trivial = bool(changes) and not security and not schema
    for change in changes:
        if change.added is None or change.deleted is None:
            if trivial:
                reasons.append(f"not trivial: {change.path} is binary")
            trivial = False
            continue
        size += change.added + change.deleted
        if trivial and first_match(change.path, rules.trivial_paths) is None:
            reasons.append(f"not trivial: {change.path} is outside the trivial paths")
            trivial = False
    if trivial and size > rules.trivial_max_lines:
        reasons.append(f"not trivial: {size} changed lines > {rules.trivial_max_lines}")
        trivial = False
    if trivial:
        reasons.append(
            f"trivial: {len(changes)} file(s) in trivial paths, {size} changed "
            f"line(s) <= {rules.trivial_max_lines}"
        )
    if not changes:
        reasons.append("empty change")
    return Classification(trivial, security, schema, tuple(reasons))
