"""Statements, lines and transactions as PostgreSQL would see them."""

from __future__ import annotations

from pathlib import Path

from changegate.migrations.model import Script
from changegate.migrations.parsing import parse_script


def _parse(text: str, implicit: bool = True) -> list[tuple[str, int, bool, bool]]:
    parsed = parse_script(Script(Path("m.sql"), text, implicit))
    assert parsed.ok, parsed.findings
    return [(type(s.node).__name__, s.line, s.in_transaction, s.nested) for s in parsed.statements]


def test_lines_count_comments_and_unicode() -> None:
    text = "-- héllo wörld\n\nCREATE TABLE a (id int);\n/* ü\n */ SELECT 'ü';\nSELECT 2;\n"
    assert _parse(text) == [
        ("CreateStmt", 3, True, False),
        ("SelectStmt", 5, True, False),
        ("SelectStmt", 6, True, False),
    ]


def test_explicit_transactions_are_tracked_without_an_implicit_one() -> None:
    text = "SELECT 1;\nBEGIN;\nSELECT 2;\nCOMMIT;\nSELECT 3;\n"
    assert [(line, tx) for _, line, tx, _ in _parse(text, implicit=False)] == [
        (1, False),
        (2, True),
        (3, True),
        (4, False),
        (5, False),
    ]


def test_do_blocks_and_literal_execute_are_opened_with_their_lines() -> None:
    text = (
        "SELECT 1;\n"
        "DO $body$\n"
        "BEGIN\n"
        "  IF true THEN\n"
        "    DROP TABLE x;\n"
        "  END IF;\n"
        "  EXECUTE 'TRUNCATE \"it''s\"';\n"
        "  EXECUTE format('DROP TABLE %I', 'y');\n"
        "END\n"
        "$body$;\n"
    )
    got = _parse(text)
    assert got == [
        ("SelectStmt", 1, True, False),
        ("DoStmt", 2, True, False),
        ("DropStmt", 5, True, True),
        ("TruncateStmt", 7, True, True),
    ]


def test_function_bodies_count_only_when_the_migration_calls_them() -> None:
    body = "CREATE FUNCTION wipe() RETURNS void LANGUAGE sql AS $$ DELETE FROM t $$;\n"
    assert [k for k, *_ in _parse(body)] == ["CreateFunctionStmt"]
    assert [k for k, *_ in _parse(body + "SELECT wipe();\n")] == [
        "CreateFunctionStmt",
        "DeleteStmt",
        "SelectStmt",
    ]


def test_syntax_error_names_its_line_and_keeps_the_other_statements() -> None:
    text = "CREATE TABLE a (id int);\n\nALTER TABLE a ADD COLUM b int;\nDROP TABLE a;\n"
    parsed = parse_script(Script(Path("m.sql"), text))
    assert [(f.check, f.severity, f.line) for f in parsed.findings] == [
        ("syntax-error", "error", 3)
    ]
    assert [type(s.node).__name__ for s in parsed.statements] == ["CreateStmt", "DropStmt"]
    assert [s.line for s in parsed.statements] == [1, 4]


def test_bad_input_gets_one_clear_finding() -> None:
    cases = {
        "": "empty-file",
        "-- only a comment\n": "empty-file",
        "ALTER TABLE {{ schema }}.t ADD x int;": "templated-sql",
        "{% if x %}DROP TABLE t;{% endif %}": "templated-sql",
        "hello, this is a note\nnot a migration\n": "not-sql",
        "PK\x03\x04\x00\x00binary": "not-sql",
    }
    for text, check in cases.items():
        parsed = parse_script(Script(Path("m.sql"), text))
        assert [f.check for f in parsed.findings] == [check], text
        assert parsed.findings[0].message


def test_golang_and_flyway_run_a_lone_concurrent_statement_outside_a_transaction() -> None:
    alone = "SET lock_timeout = '1s';\nCREATE INDEX CONCURRENTLY i ON t (x);\n"
    mixed = alone + "ALTER TABLE t ADD COLUMN y int;\n"
    for text, expected in ((alone, False), (mixed, True)):
        parsed = parse_script(Script(Path("m.sql"), text, True, alone_runs_outside=True))
        assert [s.in_transaction for s in parsed.statements][1] is expected
    # dbmate and diesel need to be told (transaction:false, run_in_transaction = false).
    parsed = parse_script(Script(Path("m.sql"), alone, True))
    assert parsed.statements[1].in_transaction is True


def test_psql_meta_commands_are_not_sql_errors() -> None:
    text = "\\set ON_ERROR_STOP on\nCREATE TABLE a (id int);\n  \\connect other\nSELECT 1;\n"
    assert _parse(text) == [("CreateStmt", 2, True, False), ("SelectStmt", 4, True, False)]
