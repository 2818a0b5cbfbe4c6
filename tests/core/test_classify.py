"""Classification and path globs."""

from __future__ import annotations

import pytest

from changegate.core.classify import FileChange, classify
from changegate.core.paths import matches
from changegate.core.policy import Classification as Rules

RULES = Rules(
    trivial_paths=["docs/**", "*.md", "**/*.md"],
    trivial_max_lines=20,
    security_paths=["**/auth/**", "pyproject.toml", ".github/**"],
    schema_paths=["**/models.py"],
)


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("docs/a.md", "docs/**", True),
        ("docs/api/x.py", "docs/*", False),
        ("docs/x.py", "docs/*", True),
        ("README.md", "*.md", True),
        ("sub/README.md", "*.md", False),
        ("sub/README.md", "**/*.md", True),
        ("app/auth/login.py", "**/auth/**", True),
        ("auth/login.py", "**/auth/**", True),
        ("app/oauth/login.py", "**/auth/**", False),
        ("a.py", "?.py", True),
    ],
)
def test_globs(path, pattern, expected):
    assert matches(path, pattern) is expected


def test_docs_change_is_trivial():
    c = classify([FileChange("docs/guide.md", 5, 2)], RULES)
    assert c.trivial and not c.security and not c.schema and c.labels == ["trivial"]
    assert "trivial: 1 file(s)" in c.reasons[0]


def test_large_docs_change_is_not_trivial():
    c = classify([FileChange("docs/guide.md", 30, 0)], RULES)
    assert not c.trivial and "30 changed lines > 20" in c.reasons[-1]


def test_code_change_is_normal_and_explained():
    c = classify([FileChange("docs/a.md", 1, 0), FileChange("app/api.py", 1, 1)], RULES)
    assert c.labels == ["normal"] and "app/api.py is outside the trivial paths" in c.reasons[0]


def test_security_and_schema_with_rules_named():
    c = classify([FileChange("app/auth/tokens.py", 3, 1), FileChange("app/models.py", 2, 0)], RULES)
    assert c.security and c.schema and not c.trivial
    assert "app/auth/tokens.py matches '**/auth/**'" in c.reasons[0]
    assert "app/models.py matches '**/models.py'" in c.reasons[1]


def test_migration_directory_from_the_gate_settings_is_schema():
    c = classify([FileChange("db/migrations/0002_x.sql", 3, 0)], RULES, ["db/migrations"])
    assert c.schema


def test_rename_out_of_a_sensitive_path_counts():
    c = classify([FileChange("docs/old.md", 0, 0, old_path="app/auth/keys.md")], RULES)
    assert c.security and not c.trivial


def test_binary_file_is_never_trivial():
    assert not classify([FileChange("docs/diagram.png", None, None)], RULES).trivial
