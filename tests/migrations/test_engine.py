"""The engine's verdict rules: suppressions, contract steps, policy severities, noise."""

from __future__ import annotations

from pathlib import Path

from changegate.migrations import Settings, check


def _set(root: Path, files: dict[str, str]) -> Path:
    d = root / "migrations"
    d.mkdir(exist_ok=True)
    (d / "001_init.sql").write_text(
        "CREATE TABLE users (id bigint PRIMARY KEY, email text, name text, age int);\n"
    )
    for name, text in files.items():
        (d / name).write_text(text)
    return root


def _findings(root: Path, **settings: object) -> dict[str, list[tuple[str, str, int]]]:
    result = check(root, Settings(paths=("migrations",), **settings))  # type: ignore[arg-type]
    return {f.path: [(x.check, x.severity, x.line) for x in f.findings] for f in result.files}


def test_repeated_occurrences_are_one_finding_listing_lines(tmp_path: Path) -> None:
    _set(
        tmp_path,
        {
            "002_idx.sql": "SET lock_timeout = '1s';\n"
            "CREATE INDEX a ON users (email);\n"
            "CREATE INDEX b ON users (name);\n"
            "CREATE INDEX c ON users (age);\n"
        },
    )
    result = check(tmp_path, Settings(paths=("migrations",)))
    (report,) = [f for f in result.files if f.path.endswith("002_idx.sql")]
    assert [(f.check, f.line, f.lines) for f in report.findings] == [
        ("index-not-concurrent", 2, (2, 3, 4))
    ]


def test_suppression_with_reason_is_returned_for_the_ledger(tmp_path: Path) -> None:
    _set(
        tmp_path,
        {
            "002_idx.sql": "-- changegate: allow index-not-concurrent reason: table has"
            " 12 rows\nSET lock_timeout = '1s';\n"
            "CREATE INDEX a ON users (email);\n"
        },
    )
    result = check(tmp_path, Settings(paths=("migrations",)))
    assert not any(f.findings for f in result.files)
    (sup,) = result.suppressions
    assert (sup.path, sup.line, sup.check, sup.reason) == (
        "migrations/002_idx.sql",
        1,
        "index-not-concurrent",
        "table has 12 rows",
    )


def test_suppression_without_reason_is_ignored_and_said(tmp_path: Path) -> None:
    _set(
        tmp_path,
        {
            "002_idx.sql": "-- changegate: allow index-not-concurrent\n"
            "SET lock_timeout = '1s';\n"
            "CREATE INDEX a ON users (email);\n"
        },
    )
    found = _findings(tmp_path)["migrations/002_idx.sql"]
    assert sorted(found) == [
        ("index-not-concurrent", "warning", 3),
        ("suppression-without-reason", "warning", 1),
    ]


def test_syntax_errors_cannot_be_suppressed(tmp_path: Path) -> None:
    _set(
        tmp_path,
        {
            "002_bad.sql": "-- changegate: allow syntax-error reason: trust me\n"
            "SELECT 1;\nSELEC 2;\n"
        },
    )
    assert _findings(tmp_path)["migrations/002_bad.sql"] == [("syntax-error", "error", 3)]


def test_hazards_block_when_the_policy_says_so(tmp_path: Path) -> None:
    _set(
        tmp_path,
        {
            "002_nn.sql": "SET lock_timeout = '1s';\n"
            "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"
        },
    )
    assert not check(tmp_path, Settings(paths=("migrations",))).blocked
    assert check(tmp_path, Settings(paths=("migrations",), block_on_hazards=True)).blocked
    strict = Settings(paths=("migrations",), severities={"set-not-null": "error"})
    assert check(tmp_path, strict).blocked
    off = Settings(paths=("migrations",), disabled=frozenset({"set-not-null"}))
    assert not any(f.findings for f in check(tmp_path, off).files)


def test_contract_step_allows_compat_breaks_but_not_missing_rollback(tmp_path: Path) -> None:
    up = (
        "SET lock_timeout = '1s';\nALTER TABLE users ADD COLUMN plan text NOT NULL;\n"
        "ALTER TABLE users DROP COLUMN age;\n"
    )
    _set(tmp_path, {"002_c.sql": up})
    assert sorted(c for c, _, _ in _findings(tmp_path)["migrations/002_c.sql"]) == [
        "drop-column",
        "not-null-without-default",
        "rollback-missing",
    ]
    (tmp_path / "migrations" / "002_c.sql").write_text("-- changegate: contract\n" + up)
    assert sorted(c for c, _, _ in _findings(tmp_path)["migrations/002_c.sql"]) == [
        "drop-column",
        "rollback-missing",
    ]


def test_lock_timeout_is_wanted_only_for_existing_tables(tmp_path: Path) -> None:
    _set(
        tmp_path,
        {
            "002_a.sql": "ALTER TABLE users ADD COLUMN plan text;\n",
            "003_b.sql": "CREATE TABLE t (id int);\nALTER TABLE t ADD COLUMN plan text;\n",
            "004_c.sql": "SELECT set_config('lock_timeout', '2s', false);\n"
            "ALTER TABLE users ADD COLUMN x text;\n",
        },
    )
    found = _findings(tmp_path)
    assert found["migrations/002_a.sql"] == [("lock-timeout", "warning", 1)]
    assert found["migrations/003_b.sql"] == []
    assert found["migrations/004_c.sql"] == []


def test_type_changes_use_the_types_declared_earlier_in_the_set(tmp_path: Path) -> None:
    _set(
        tmp_path,
        {
            "002_widen.sql": "SET lock_timeout = '1s';\n"
            "ALTER TABLE users ALTER COLUMN age TYPE bigint;\n",
            "003_narrow.sql": "-- backup: users_age_bak table\nSET lock_timeout = '1s';\n"
            "ALTER TABLE users ALTER COLUMN age TYPE smallint;\n",
            "004_text.sql": "SET lock_timeout = '1s';\n"
            "ALTER TABLE users ALTER COLUMN email TYPE varchar(20);\n",
        },
    )
    found = _findings(tmp_path)
    assert found["migrations/002_widen.sql"] == [("type-change-rewrite", "warning", 2)]
    assert found["migrations/003_narrow.sql"] == [("lossy-type-change", "warning", 3)]
    assert found["migrations/004_text.sql"] == [
        ("lossy-type-change", "warning", 2),
        ("rollback-missing", "error", 2),
    ]


def test_concurrently_inside_a_transaction_is_flagged(tmp_path: Path) -> None:
    _set(
        tmp_path,
        {
            "002_ok.sql": "CREATE INDEX CONCURRENTLY a ON users (email);\n",
            "003_bad.sql": "BEGIN;\nCREATE INDEX CONCURRENTLY b ON users (name);\nCOMMIT;\n",
        },
    )
    found = _findings(tmp_path)
    assert found["migrations/002_ok.sql"] == []
    assert found["migrations/003_bad.sql"] == [("concurrently-in-transaction", "warning", 2)]


def test_lock_timeout_of_zero_or_reset_protects_nothing(tmp_path: Path) -> None:
    _set(
        tmp_path,
        {
            "002_a.sql": "SET lock_timeout = 0;\nALTER TABLE users ADD COLUMN a text;\n",
            "003_b.sql": "SET lock_timeout TO '0';\nALTER TABLE users ADD COLUMN b text;\n",
            "004_c.sql": "SET lock_timeout = '2s';\nRESET lock_timeout;\n"
            "ALTER TABLE users ADD COLUMN c text;\n",
            "005_d.sql": "SET LOCAL lock_timeout = 2000;\nALTER TABLE users ADD COLUMN d text;\n",
        },
    )
    found = _findings(tmp_path)
    assert found["migrations/002_a.sql"] == [("lock-timeout", "warning", 2)]
    assert found["migrations/003_b.sql"] == [("lock-timeout", "warning", 2)]
    assert found["migrations/004_c.sql"] == [("lock-timeout", "warning", 3)]
    assert found["migrations/005_d.sql"] == []


def test_alembic_findings_point_into_the_version_script(tmp_path: Path) -> None:
    from .corpus import Case, write_case

    up = "ALTER TABLE users DROP COLUMN name"
    write_case(Case("a", "alembic", up, None, True, True), tmp_path)
    result = check(tmp_path)
    (report,) = [f for f in result.files if f.path.endswith("r002_change.py")]
    source = (tmp_path / report.path).read_text().splitlines()
    drop = next(f for f in report.findings if f.check == "drop-column")
    assert "DROP COLUMN name" in source[drop.line - 1]
    assert "[offline SQL line 1]" in drop.message


def test_alembic_revision_reading_the_database_is_reported_not_fatal(tmp_path: Path) -> None:
    from .corpus import Case, _alembic_script, write_case

    reads_db = (
        "from alembic import op\nimport sqlalchemy as sa\n\nrevision = 'r003'\n"
        "down_revision = 'r002'\n\n\ndef upgrade():\n"
        "    n = op.get_bind().execute(sa.text('SELECT count(*) FROM users')).fetchone()\n"
        "    op.execute('DELETE FROM orders')\n\n\ndef downgrade():\n    pass\n"
    )
    extra = {
        "versions/r003_count.py": reads_db,
        "versions/r004_drop.py": _alembic_script("r004", "r003", "DROP TABLE orders", None),
    }
    write_case(Case("a", "alembic", "SELECT 1", None, False, False, extra=extra), tmp_path)
    result = check(tmp_path)
    found = {Path(f.path).name: sorted(x.check for x in f.findings) for f in result.files}
    assert found["r003_count.py"] == ["offline-unavailable"]
    assert found["r004_drop.py"] == ["drop-table", "lock-timeout", "rollback-missing"]
    assert found["r002_change.py"] == []


def test_where_clauses_that_match_every_row_are_unscoped(tmp_path: Path) -> None:
    _set(
        tmp_path,
        {
            "002_a.sql": "DELETE FROM users WHERE true;\n",
            "003_b.sql": "UPDATE users SET age = 1 WHERE 1 = 1 AND true;\n",
            "004_c.sql": "CREATE TABLE t (id int);\nUPDATE users SET age = t.id FROM t;\n",
            "005_d.sql": "DELETE FROM users WHERE age = 1;\n"
            "UPDATE users SET age = 2 WHERE 'a' = name;\n",
        },
    )
    found = _findings(tmp_path)
    checks = {path: [c for c, _, _ in f] for path, f in found.items()}
    assert checks["migrations/002_a.sql"] == ["unscoped-delete", "rollback-missing"]
    assert checks["migrations/003_b.sql"] == ["unscoped-update", "rollback-missing"]
    assert checks["migrations/004_c.sql"] == ["unscoped-update", "rollback-missing"]
    assert found["migrations/005_d.sql"] == []


def test_rollback_path_cannot_be_waived_or_faked(tmp_path: Path) -> None:
    drop = "SET lock_timeout = '1s';\nALTER TABLE users DROP COLUMN age;\n"
    _set(
        tmp_path,
        {
            "002_a.sql": "-- changegate: allow rollback-missing reason: we are brave\n" + drop,
            "003_b.sql": "-- rollback: none\n" + drop.replace("age", "name"),
            "004_c.sql": "-- backup: n/a\n" + drop.replace("age", "email"),
            "005_d.sql": "-- rollback: re-add the column and restore from users_bak (pg_dump)\n"
            "ALTER TABLE users ADD COLUMN tmp int;\n"
            "SET lock_timeout = '1s';\nALTER TABLE users DROP COLUMN tmp;\n",
        },
    )
    result = check(tmp_path, Settings(paths=("migrations",)))
    blocked = {f.path: f.blocked for f in result.files}
    assert blocked == {
        "migrations/001_init.sql": False,
        "migrations/002_a.sql": True,
        "migrations/003_b.sql": True,
        "migrations/004_c.sql": True,
        "migrations/005_d.sql": False,
    }
    assert result.suppressions == []


def test_serial_columns_widen_to_bigint_without_loss(tmp_path: Path) -> None:
    _set(
        tmp_path,
        {
            "002_t.sql": "CREATE TABLE events (id serial PRIMARY KEY, n numeric(6,2));\n",
            "003_w.sql": "SET lock_timeout = '1s';\n"
            "ALTER TABLE events ALTER COLUMN id TYPE bigint;\n"
            "ALTER TABLE events ALTER COLUMN n TYPE numeric(12,2);\n",
        },
    )
    found = _findings(tmp_path)
    assert found["migrations/003_w.sql"] == [("type-change-rewrite", "warning", 2)]


def test_alembic_suppression_is_recorded_at_its_line_in_the_script(tmp_path: Path) -> None:
    from .corpus import Case, _alembic_script, write_case

    script = _alembic_script("r002", "r001", "CREATE INDEX users_email ON users (email)", None)
    script = script.replace(
        "def upgrade():",
        "def upgrade():\n    # changegate: allow index-not-concurrent reason: 40 rows, off-peak",
    )
    write_case(
        Case("a", "alembic", "", None, False, False, extra={"versions/r002_change.py": script}),
        tmp_path,
    )
    result = check(tmp_path)
    (sup,) = result.suppressions
    lines = (tmp_path / sup.path).read_text().splitlines()
    assert "changegate: allow" in lines[sup.line - 1]
    assert (sup.check, sup.reason) == ("index-not-concurrent", "40 rows, off-peak")
