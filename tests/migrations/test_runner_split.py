"""Cutting scripts into statements (``sqlsplit``) and running every plain-SQL format."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from changegate.errors import InputError
from changegate.migrations import applied_versions, apply, discover, plan, rollback
from changegate.migrations.sqlsplit import split

HERE = Path("m.sql")


def test_postgres_keeps_dollar_bodies_whole_and_finds_non_transactional_statements() -> None:
    sql = (
        "CREATE FUNCTION f() RETURNS int AS $$ BEGIN RETURN 1; END; $$ LANGUAGE plpgsql;\n"
        "\n"
        "CREATE INDEX CONCURRENTLY i ON t (a);\n"
        "VACUUM t;\n"
        "ALTER TYPE mood ADD VALUE 'meh';\n"
    )
    found = split(sql, "postgresql", HERE, server_version=160000)
    assert [(s.line, s.outside) for s in found] == [(1, False), (3, True), (4, True), (5, False)]
    assert found[0].text.endswith("LANGUAGE plpgsql")
    assert split(sql, "postgresql", HERE, server_version=110000)[3].outside


def test_sqlite_keeps_trigger_bodies_and_quoted_semicolons_whole() -> None:
    sql = (
        "CREATE TABLE t (a TEXT); -- a comment; with a semicolon\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
        "  INSERT INTO t VALUES ('x;y');\n"
        "END;\n"
        "VACUUM;\n"
        "INSERT INTO t VALUES ('no semicolon at the end')"
    )
    found = split(sql, "sqlite", HERE)
    assert [(s.line, s.outside) for s in found] == [(1, False), (1, False), (5, True), (6, False)]
    assert found[1].text.startswith("-- a comment") and found[1].text.endswith("END;")
    assert all(sqlite3.complete_statement(s.text + ";") for s in found)


@pytest.mark.parametrize("dialect", ["postgresql", "sqlite"])
def test_a_wrapping_begin_commit_is_dropped_and_other_control_refused(dialect: str) -> None:
    wrapped = "BEGIN;\nCREATE TABLE a (id int);\nCOMMIT;\n"
    assert [s.text.rstrip(";") for s in split(wrapped, dialect, HERE)] == [
        "CREATE TABLE a (id int)"
    ]
    with pytest.raises(InputError, match=r"m.sql:2: transaction control \(COMMIT\)"):
        split("CREATE TABLE a (id int);\nCOMMIT;\nCREATE TABLE b (id int);\n", dialect, HERE)
    assert len(split(wrapped, dialect, HERE, own_transactions=True)) == 3


def test_postgres_syntax_errors_name_the_line_before_anything_runs() -> None:
    with pytest.raises(InputError, match=r"m.sql:3: .*fix the SQL"):
        split("SELECT 1;\n\nSELEKT 2;\n", "postgresql", HERE)


def _files(fmt: str, root: Path) -> None:
    """Two migrations (a table, then a column) in each tool's layout."""
    d = root / "db"
    d.mkdir(parents=True)
    one = ("CREATE TABLE t (id INTEGER);", "DROP TABLE t;")
    two = ("ALTER TABLE t ADD COLUMN c TEXT;", "ALTER TABLE t DROP COLUMN c;")
    for n, (up, down) in enumerate((one, two), start=1):
        if fmt == "golang-migrate":
            (d / f"{n}_m.up.sql").write_text(up)
            (d / f"{n}_m.down.sql").write_text(down)
        elif fmt == "flyway":
            (d / f"V{n}__m.sql").write_text(up)
            (d / f"U{n}__m.sql").write_text(down)
        elif fmt == "dbmate":
            (d / f"2024010100000{n}_m.sql").write_text(
                f"-- migrate:up\n{up}\n\n-- migrate:down\n{down}\n"
            )
        elif fmt == "diesel":
            sub = d / f"2024-01-01-00000{n}_m"
            sub.mkdir()
            (sub / "up.sql").write_text(up)
            (sub / "down.sql").write_text(down)
        else:
            (d / f"{n:03d}_m.sql").write_text(up)


@pytest.mark.parametrize("fmt", ["golang-migrate", "flyway", "dbmate", "diesel", "plain"])
def test_every_plain_sql_format_applies_and_rolls_back(fmt: str, tmp_path: Path) -> None:
    root = tmp_path / "tree"
    _files(fmt, root)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    found = discover(root, ["db"], fmt)

    assert len(apply(root, found, url, actor="a@example.com")) == 2
    first = applied_versions(url)["db"][0]
    if fmt == "plain":
        with pytest.raises(InputError, match="has no down script"):
            rollback(root, found, url, to={"db": first}, actor="a@example.com")
        return
    undone = rollback(root, found, url, to={"db": first}, actor="a@example.com")
    assert [m.direction for m in undone] == ["down"]
    assert applied_versions(url) == {"db": [first]}


def test_editing_a_dbmate_down_section_is_not_an_edit_of_the_applied_up(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    _files("dbmate", root)
    url = f"sqlite:///{tmp_path / 'app.db'}"
    apply(root, discover(root, ["db"]), url, actor="a@example.com")
    path = root / "db" / "20240101000001_m.sql"
    path.write_text(path.read_text().replace("DROP TABLE t;", "DROP TABLE IF EXISTS t;\n\n\n"))
    assert plan(root, discover(root, ["db"]), url).ok
    path.write_text(path.read_text().replace("id INTEGER", "id BIGINT"))
    assert [p.kind for p in plan(root, discover(root, ["db"]), url).problems] == ["changed"]


def test_sqlite_vacuum_and_no_transaction_directive_run_outside(tmp_path: Path) -> None:
    root = tmp_path / "tree"
    d = root / "db"
    d.mkdir(parents=True)
    (d / "1_t.up.sql").write_text("CREATE TABLE t (id INTEGER);\nVACUUM;\n")
    (d / "2_u.up.sql").write_text(
        "-- changegate: no-transaction\nBEGIN;\nCREATE TABLE u (id INTEGER);\nCOMMIT;\n"
    )
    url = f"sqlite:///{tmp_path / 'app.db'}"
    assert [m.version for m in apply(root, discover(root, ["db"]), url, actor="a")] == ["1", "2"]
