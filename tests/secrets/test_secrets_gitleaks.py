"""``.gitleaks.toml`` is honoured: custom rules, allowlists, extend/useDefault."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from secretgen import TEST_KEY, rand

from changegate.errors import InputError
from changegate.secrets.engine import Scanner
from changegate.secrets.gitleaks import load_rules
from changegate.secrets.rules import default_rules

RNG = random.Random(11)
GHP = "ghp_" + rand(RNG, "a", 36)
INTERNAL = "acme_" + rand(RNG, "h", 32)


def scan(root: Path, text: str, path: str = "app/config.py") -> list[tuple[str, int]]:
    scanner = Scanner(load_rules(root), TEST_KEY)
    return [(f.rule, f.line) for f in scanner.scan_text(text, path, commit="a" * 40)]


def write(root: Path, body: str) -> None:
    (root / ".gitleaks.toml").write_text(body)


def test_no_config_means_our_defaults(tmp_path: Path) -> None:
    assert len(load_rules(tmp_path)) == len(default_rules())


def test_custom_rule_replaces_defaults_without_extend(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[[rules]]
id = "acme-internal"
description = "Acme internal token"
regex = '''\\b(acme_[0-9a-f]{32})\\b'''
keywords = ["ACME_"]
""",
    )
    text = f'A = "{INTERNAL}"\nB = "{GHP}"\n'
    assert scan(tmp_path, text) == [("acme-internal", 1)]


def test_extend_use_default_adds_to_ours_and_disables(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[extend]
useDefault = true
disabledRules = ["github-pat"]

[[rules]]
id = "acme-internal"
regex = '''acme_[0-9a-f]{32}'''
secretGroup = 0
""",
    )
    text = f'A = "{INTERNAL}"\nB = "{GHP}"\nC = "npm_{rand(RNG, "a", 36)}"\n'
    assert scan(tmp_path, text) == [("acme-internal", 1), ("npm-token", 3)]


def test_global_allowlists_paths_regexes_stopwords_commits(tmp_path: Path) -> None:
    write(
        tmp_path,
        f"""
[extend]
useDefault = true

[allowlist]
paths = ['''(^|/)fixtures/''']
stopwords = ["{GHP[4:14].lower()}"]

[[allowlists]]
targetRules = ["npm-token"]
regexTarget = "line"
regexes = ['''# rotated''']

[[allowlists]]
commits = ["{"b" * 40}"]
""",
    )
    npm = "npm_" + rand(RNG, "a", 36)
    assert scan(tmp_path, f"T = '{GHP}'\n") == []  # stopword
    assert scan(tmp_path, f"T = '{npm}'\n", "tests/fixtures/x.py") == []  # path
    assert scan(tmp_path, f"T = '{npm}'  # rotated\n") == []  # line regex, targeted
    assert scan(tmp_path, f"T = '{npm}'\n") == [("npm-token", 1)]
    scanner = Scanner(load_rules(tmp_path), TEST_KEY)
    assert scanner.scan_text(f"T = '{npm}'\n", "a.py", commit="b" * 40) == []


def test_rule_allowlist_and_condition(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[[rules]]
id = "acme-internal"
regex = '''(acme_[0-9a-f]{32})'''
[[rules.allowlists]]
condition = "AND"
paths = ['''\\.md$''']
regexes = ['''^acme_0''']
""",
    )
    zero = "acme_0" + rand(RNG, "h", 31)
    assert scan(tmp_path, zero, "README.md") == []
    assert scan(tmp_path, zero, "main.go") == [("acme-internal", 1)]
    assert scan(tmp_path, INTERNAL, "README.md") == [("acme-internal", 1)]


def test_non_re2_regex_falls_back_to_python(tmp_path: Path) -> None:
    write(
        tmp_path,
        """
[[rules]]
id = "lookahead"
regex = '''(?<![a-z])(zz_[a-z0-9]{12})(?![a-z0-9])'''
""",
    )
    assert scan(tmp_path, "x = zz_abc123def456\n") == [("lookahead", 1)]


def test_extra_allowlist_on_a_default_rule(tmp_path: Path) -> None:
    write(
        tmp_path,
        f"""
[extend]
useDefault = true
[[rules]]
id = "github-pat"
[rules.allowlist]
regexes = ['''{GHP[:10]}''']
""",
    )
    assert scan(tmp_path, f"T = '{GHP}'\n") == []
    other = "ghp_" + rand(RNG, "a", 36)
    assert scan(tmp_path, f"T = '{other}'\n") == [("github-pat", 1)]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("[[rules]\nid=", "not valid TOML"),
        ("[[rules]]\nregex = 'x'\n", "string id"),
        ("[[rules]]\nid = 'bad'\nregex = '(unclosed'\n", "does not compile"),
        ("[allowlist]\ncondition = 'XOR'\n", "condition"),
    ],
)
def test_bad_config_is_input_error(tmp_path: Path, body: str, message: str) -> None:
    write(tmp_path, body)
    with pytest.raises(InputError, match=message):
        load_rules(tmp_path)


def test_unsupported_parts_are_said_in_results(tmp_path: Path) -> None:
    from changegate.secrets.files import scan_paths

    write(tmp_path, "[[rules]]\nid = 'pem-files'\npath = '''\\.pem$'''\n")
    (tmp_path / "a.txt").write_text("hello\n")
    result = scan_paths([tmp_path / "a.txt"], Scanner(load_rules(tmp_path), TEST_KEY))
    assert any("pem-files" in n and "path-only" in n for n in result.notes)


def test_extend_path_inherits_a_shared_config(tmp_path: Path) -> None:
    (tmp_path / "org.toml").write_text(
        "[extend]\nuseDefault = true\n[[rules]]\nid = 'acme-internal'\n"
        "regex = '''(acme_[0-9a-f]{32})'''\n"
    )
    write(tmp_path, "[extend]\npath = 'org.toml'\ndisabledRules = ['npm-token']\n")
    text = f"A = '{INTERNAL}'\nB = 'npm_{rand(RNG, 'a', 36)}'\nC = '{GHP}'\n"
    assert scan(tmp_path, text) == [("acme-internal", 1), ("github-pat", 3)]
