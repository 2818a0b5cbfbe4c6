"""Plain data shared by every part of the engine: rules, allowlists, findings.

Kept free of heavy imports (no re2) so that importing the
types costs nothing on the pre-commit hook path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

RegexTarget = Literal["secret", "match", "line"]


@dataclass(frozen=True, slots=True)
class Allowlist:
    """Reasons to drop a match, in the shape gitleaks users already write.

    ``condition`` "OR" drops a match when any criterion hits; "AND" only when
    every criterion that is set hits (gitleaks' semantics, so imported
    configurations keep their meaning).
    """

    description: str = ""
    regexes: tuple[str, ...] = ()
    regex_target: RegexTarget = "secret"
    paths: tuple[str, ...] = ()
    stopwords: tuple[str, ...] = ()
    commits: tuple[str, ...] = ()
    condition: Literal["OR", "AND"] = "OR"
    target_rules: tuple[str, ...] = ()

    def is_empty(self) -> bool:
        return not (self.regexes or self.paths or self.stopwords or self.commits)


@dataclass(frozen=True, slots=True)
class Rule:
    """One detector.

    ``keywords`` (lower case) gate the rule: the regex only runs on text where
    the Aho-Corasick prefilter saw one of them, which is what keeps scanning
    fast with hundreds of rules. A rule without keywords always runs.
    ``check`` names an extra false-positive filter ("generic", "uri", "pem",
    "basic"): generic detectors need stricter checks (identifiers, hashes,
    UUIDs...) that would wrongly reject well-shaped provider tokens.
    ``secret_group`` below zero means "the first group from -N on that took
    part", for regexes with alternative value shapes (quoted or bare).
    ``example`` is a template of a true positive (see ``tests``); ``{a:36}``
    means 36 random characters of class ``a``.
    """

    id: str
    description: str
    regex: str
    keywords: tuple[str, ...] = ()
    secret_group: int = 1
    entropy: float = 0.0
    allowlists: tuple[Allowlist, ...] = ()
    path: str = ""
    check: str = ""
    squash: bool = False
    example: str = ""
    category: str = ""


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected secret, safe to log, store and print.

    It deliberately carries no raw secret and no source line: only a keyed
    fingerprint (stable identity across line moves) and a redacted preview.
    """

    rule: str
    description: str
    path: str
    line: int
    column: int
    fingerprint: str
    preview: str
    commit: str | None = None
    end_line: int = 0
    entropy: float = 0.0

    def to_dict(self) -> dict[str, object]:
        """The JSON shape every output format starts from."""
        return {
            "path": self.path,
            "line": self.line,
            "column": self.column,
            "end_line": self.end_line or self.line,
            "rule": self.rule,
            "description": self.description,
            "fingerprint": self.fingerprint,
            "commit": self.commit,
            "preview": self.preview,
            "entropy": round(self.entropy, 2),
        }


@dataclass(slots=True)
class ScanResult:
    """Findings plus the notes a user needs to trust an empty result.

    ``notes`` explain what was not scanned (binary, huge, symlink, shallow
    history) so that "no findings" never silently means "not looked at".
    """

    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    files: int = 0
    commits: int = 0
    bytes: int = 0

    def extend(self, other: ScanResult) -> None:
        self.findings.extend(other.findings)
        self.notes.extend(other.notes)
        self.files += other.files
        self.commits += other.commits
        self.bytes += other.bytes
