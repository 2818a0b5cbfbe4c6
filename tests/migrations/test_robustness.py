"""Never a crash: whatever bytes a migration file holds, parsing yields findings."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from changegate.migrations.model import Script
from changegate.migrations.parsing import parse_script

FRAGMENTS = st.sampled_from(
    [
        "CREATE TABLE t (id int);",
        "DROP TABLE t;",
        "ALTER TABLE t ADD COLUMN x int;",
        "BEGIN;",
        "COMMIT;",
        "DO $$ BEGIN EXECUTE 'TRUNCATE t'; END $$;",
        "$$",
        "'",
        '"',
        "--",
        "/*",
        "*/",
        "{{ x }}",
        ";",
        "\n",
        " ",
        "SELEC",
        "ü",
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS",
        "E'\\\\'",
        "$a$",
        "DO",
        "EXECUTE",
        "\x00",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(FRAGMENTS, st.text(max_size=8)), max_size=12))
def test_any_text_parses_to_statements_or_findings(parts: list[str]) -> None:
    text = "".join(parts)
    parsed = parse_script(Script(Path("m.sql"), text))
    lines = text.count("\n") + 1
    for stmt in parsed.statements:
        assert 1 <= stmt.line <= lines
    for finding in parsed.findings:
        assert 1 <= finding.line <= lines
        assert finding.message
