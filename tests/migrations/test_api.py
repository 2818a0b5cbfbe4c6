"""The public API is what the package docstring promises, and importing it is cheap."""

from __future__ import annotations

import subprocess
import sys

import changegate.migrations as api


def test_every_exported_name_resolves_and_is_documented() -> None:
    doc = api.__doc__ or ""
    for name in api.__all__:
        assert getattr(api, name) is not None
        if name[0].islower():
            assert f"``{name}(" in doc, name


def test_import_does_not_load_the_parser_or_drivers() -> None:
    code = (
        "import sys, changegate.migrations as m; "
        "print(sorted(x for x in ('pglast', 'psycopg', 'sqlalchemy') if x in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_every_rule_has_words_for_the_user() -> None:
    for rule_id, rule in api.RULES.items():
        assert rule.id == rule_id
        assert rule.reason and rule.alternative
        assert rule.severity in ("error", "warning")
        assert rule.category in (
            "destructive",
            "rollback",
            "ordering",
            "compat",
            "hazard",
            "input",
            "verify",
        )
