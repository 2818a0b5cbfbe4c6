"""The held-out corpus, judged set by set: destructive flag and blocked verdict.

Done means: every destructive set flagged, blocked exactly when it lacks a
rollback path or has an ordering or syntax error, and no error and no
destructive flag on safe sets.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from changegate.migrations import Settings, check

from .corpus import CASES, Case, write_case


def test_corpus_covers_every_format_and_kind() -> None:
    formats = Counter(c.format for c in CASES)
    assert set(formats) == {"golang-migrate", "flyway", "dbmate", "diesel", "plain", "alembic"}
    assert len(CASES) >= 50
    assert any(c.destructive and c.blocked for c in CASES)
    assert any(c.destructive and not c.blocked for c in CASES)
    assert sum(not c.destructive and not c.blocked for c in CASES) >= 15
    for fmt in formats:
        kinds = {(c.destructive, c.blocked) for c in CASES if c.format == fmt}
        assert {(True, True), (True, False), (False, False)} <= kinds, fmt


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case_is_judged_correctly(case: Case, tmp_path: Path) -> None:
    directory = write_case(case, tmp_path)
    result = check(tmp_path, Settings(paths=(str(directory.relative_to(tmp_path)),)))
    summary = [(f.path, [(x.check, x.severity, x.line) for x in f.findings]) for f in result.files]
    assert any(f.destructive for f in result.files) == case.destructive, summary
    assert result.blocked == case.blocked, summary
    if not case.destructive and not case.blocked:
        assert all(x.severity == "warning" for f in result.files for x in f.findings), summary


@pytest.mark.parametrize("case", [c for c in CASES if c.format != "alembic"], ids=lambda c: c.name)
def test_auto_detection_agrees_with_explicit_format(case: Case, tmp_path: Path) -> None:
    write_case(case, tmp_path)
    explicit = check(tmp_path, Settings(format=case.format, paths=(case.directory,)))
    detected = check(tmp_path)
    assert [f.path for f in detected.files] == [f.path for f in explicit.files]
    assert detected.blocked == explicit.blocked
