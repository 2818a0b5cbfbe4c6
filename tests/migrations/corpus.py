"""The held-out corpus: migration sets in every supported format, with the verdict expected.

Each case is written to a fresh directory by :func:`write_case`; the expected
verdict is decided here, by hand, not by running the engine.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from pathlib import Path

BASELINE_UP = """\
CREATE TABLE users (id bigint PRIMARY KEY, email text, name text);
CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total numeric(10,2),
                     note varchar(50));
"""
BASELINE_DOWN = "DROP TABLE orders;\nDROP TABLE users;\n"

ENV_PY = """\
from logging.config import fileConfig

from alembic import context

if context.config.config_file_name is not None:
    fileConfig(context.config.config_file_name)

context.configure(url=context.config.get_main_option("sqlalchemy.url"), literal_binds=True)
with context.begin_transaction():
    context.run_migrations()
"""


@dataclass(frozen=True)
class Case:
    name: str
    format: str
    up: str  # SQL of the migration under test (after the baseline)
    down: str | None  # None: no down/undo script at all
    destructive: bool
    blocked: bool
    extra: dict[str, str] = field(default_factory=dict)  # more files, relative path -> text
    directory: str = "db/migrations"


def _alembic_script(rev: str, down_rev: str | None, up: str, down: str | None) -> str:
    def body(sql: str | None) -> str:
        if not sql:
            return "    pass\n"
        return f"    op.execute({sql!r})\n"

    return (
        "from alembic import op\n\n"
        f"revision = {rev!r}\ndown_revision = {down_rev!r}\n\n\n"
        f"def upgrade():\n{body(up)}\n\ndef downgrade():\n{body(down)}"
    )


def migration_files(fmt: str, version: int, name: str, up: str, down: str | None) -> dict[str, str]:
    """The files one migration occupies in ``fmt``'s layout."""
    if fmt == "golang-migrate":
        files = {f"{version:03d}_{name}.up.sql": up}
        if down is not None:
            files[f"{version:03d}_{name}.down.sql"] = down
        return files
    if fmt == "flyway":
        files = {f"V{version}__{name}.sql": up}
        if down is not None:
            files[f"U{version}__{name}.sql"] = down
        return files
    if fmt == "dbmate":
        text = f"-- migrate:up\n{up}\n-- migrate:down\n{down or ''}\n"
        return {f"2024010100000{version}_{name}.sql": text}
    if fmt == "diesel":
        folder = f"2024-01-01-00000{version}_{name}"
        return {f"{folder}/up.sql": up, f"{folder}/down.sql": down or ""}
    if fmt == "plain":
        return {f"{version:03d}_{name}.sql": up}
    if fmt == "alembic":
        rev = f"r{version:03d}"
        prev = f"r{version - 1:03d}" if version > 1 else None
        return {f"versions/{rev}_{name}.py": _alembic_script(rev, prev, up, down)}
    raise ValueError(fmt)


def write_case(case: Case, root: Path) -> Path:
    """Write baseline + migration under ``root/case.directory``; returns that directory."""
    target = root / case.directory
    target.mkdir(parents=True, exist_ok=True)
    files = migration_files(case.format, 1, "init", BASELINE_UP, BASELINE_DOWN)
    files.update(migration_files(case.format, 2, "change", case.up, case.down))
    files.update(case.extra)
    if case.format == "alembic":
        files["env.py"] = ENV_PY
    for rel, text in files.items():
        path = target / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return target


D = textwrap.dedent
FORMATS_WITH_DOWN = ("golang-migrate", "flyway", "dbmate", "diesel", "alembic")

# (name, up, down) of destructive changes; each down restores what up removed.
DESTRUCTIVE = [
    (
        "drop_column",
        "ALTER TABLE users DROP COLUMN name;\n",
        "ALTER TABLE users ADD COLUMN name text;\n",
    ),
    (
        "drop_table",
        "DROP TABLE orders;\n",
        "CREATE TABLE orders (id bigint PRIMARY KEY, user_id bigint, total numeric(10,2),"
        " note varchar(50));\n",
    ),
    ("truncate", "TRUNCATE orders;\n", "SELECT 1;\n"),
    ("delete_all", "DELETE FROM orders;\n", "SELECT 1;\n"),
    ("update_all", "UPDATE users SET email = lower(email);\n", "SELECT 1;\n"),
    (
        "lossy_type",
        "ALTER TABLE orders ALTER COLUMN total TYPE integer;\n",
        "ALTER TABLE orders ALTER COLUMN total TYPE numeric(10,2);\n",
    ),
    ("drop_schema", "DROP SCHEMA IF EXISTS archive CASCADE;\n", "CREATE SCHEMA archive;\n"),
    (
        "do_block",
        "DO $$\nBEGIN\n  DROP TABLE orders;\nEND\n$$;\n",
        "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
    ),
    (
        "execute_string",
        "DO $$\nBEGIN\n  EXECUTE 'TRUNCATE users CASCADE';\nEND\n$$;\n",
        "SELECT 1;\n",
    ),
    (
        "function_body",
        "CREATE FUNCTION purge() RETURNS void LANGUAGE plpgsql AS $$\nBEGIN\n"
        "  DELETE FROM orders;\nEND\n$$;\nSELECT purge();\n",
        "DROP FUNCTION purge();\n",
    ),
]

SAFE = [
    ("add_nullable", "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN phone text;\n"),
    (
        "new_table_index",
        "CREATE TABLE audit (id bigint, at timestamptz);\nCREATE INDEX audit_at ON audit (at);\n"
        "ALTER TABLE audit ALTER COLUMN at SET NOT NULL;\nALTER TABLE audit DROP COLUMN at;\n",
    ),
    (
        "scoped_dml",
        "DELETE FROM orders WHERE total < 0;\nUPDATE users SET email = lower(email) WHERE id = 1;\n"
        "INSERT INTO users (id, email) VALUES (1000, 'a@b.c');\n",
    ),
    (
        "widen_varchar",
        "SET lock_timeout = '5s';\nALTER TABLE orders ALTER COLUMN note TYPE varchar(200);\n",
    ),
    (
        "default_now",
        "SET lock_timeout = '5s';\n"
        "ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();\n",
    ),
    (
        "fk_not_valid",
        "SET lock_timeout = '5s';\n"
        "ALTER TABLE orders ADD CONSTRAINT orders_user_fk FOREIGN KEY (user_id)"
        " REFERENCES users (id) NOT VALID;\n"
        "ALTER TABLE orders VALIDATE CONSTRAINT orders_user_fk;\n",
    ),
    (
        "view_and_comment",
        "CREATE VIEW big_orders AS SELECT * FROM orders WHERE total > 100;\n"
        "COMMENT ON TABLE orders IS 'customer orders';\n",
    ),
    ("drop_new_in_do", "CREATE TABLE scratch (id int);\nDO $$ BEGIN DROP TABLE scratch; END $$;\n"),
]

HAZARDS = [
    ("index_blocking", "CREATE INDEX users_email ON users (email);\n"),
    (
        "fk_validating",
        "ALTER TABLE orders ADD CONSTRAINT fk FOREIGN KEY (user_id) REFERENCES users (id);\n",
    ),
    ("set_not_null", "ALTER TABLE users ALTER COLUMN email SET NOT NULL;\n"),
    ("volatile_default", "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();\n"),
    ("rewrite_bigint", "ALTER TABLE orders ALTER COLUMN user_id TYPE numeric;\n"),
    ("vacuum_full", "VACUUM FULL orders;\n"),
    ("unique_constraint", "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);\n"),
]


def build_cases() -> list[Case]:
    cases: list[Case] = []
    for name, up, down in DESTRUCTIVE:
        fmt = FORMATS_WITH_DOWN[len(cases) % len(FORMATS_WITH_DOWN)]
        other = FORMATS_WITH_DOWN[(len(cases) + 2) % len(FORMATS_WITH_DOWN)]
        cases.append(Case(f"{name}-{fmt}-with-down", fmt, up, down, True, False))
        cases.append(Case(f"{name}-{other}-no-down", other, up, None, True, True))
    for fmt in ("golang-migrate", "flyway", "dbmate", "diesel", "plain"):
        cases.append(
            Case(
                f"drop_column-{fmt}-rollback-note",
                fmt,
                "-- rollback: ALTER TABLE users ADD COLUMN name text; data from "
                "backup table users_name_bak\nCREATE TABLE users_name_bak AS "
                "SELECT id, name FROM users;\nALTER TABLE users DROP COLUMN name;\n",
                None,
                True,
                False,
            )
        )
    cases.append(
        Case(
            "truncate-plain-backup-note",
            "plain",
            "-- backup: pg_dump -t orders before deploy, restore with pg_restore\n"
            "TRUNCATE orders;\n",
            None,
            True,
            False,
        )
    )
    cases.append(Case("truncate-plain-no-note", "plain", "TRUNCATE orders;\n", None, True, True))
    cases.append(
        Case("drop_table-diesel-empty-down", "diesel", "DROP TABLE orders;\n", "", True, True)
    )
    cases.append(
        Case(
            "drop_table-flyway-comment-only-undo",
            "flyway",
            "DROP TABLE orders;\n",
            "-- nothing to undo\n",
            True,
            True,
        )
    )
    formats = ("golang-migrate", "flyway", "dbmate", "diesel", "plain", "alembic")
    for i, (name, up) in enumerate(SAFE):
        fmt = formats[i % len(formats)]
        cases.append(Case(f"safe-{name}-{fmt}", fmt, up, "SELECT 1;\n", False, False))
    for i, (name, up) in enumerate(HAZARDS):
        fmt = formats[(i + 1) % len(formats)]
        cases.append(Case(f"hazard-{name}-{fmt}", fmt, up, "SELECT 1;\n", False, False))
    noted = _alembic_script("r002", "r001", "DROP TABLE orders", None).replace(
        "def upgrade():",
        "def upgrade():\n    # backup: orders copied to archive.orders by the"
        " nightly dump; restore with pg_restore -t orders",
    )
    cases.append(
        Case(
            "drop_table-alembic-python-backup-note",
            "alembic",
            "",
            None,
            True,
            False,
            extra={"versions/r002_change.py": noted},
        )
    )
    cases += [
        Case(
            "syntax-golang",
            "golang-migrate",
            "ALTER TABLE users ADD COLUM x int;\n",
            "SELECT 1;\n",
            False,
            True,
        ),
        Case(
            "syntax-dbmate-second-statement",
            "dbmate",
            "ALTER TABLE users ADD COLUMN x int;\nCREAT INDEX i ON users (x);\n",
            "SELECT 1;\n",
            False,
            True,
        ),
        Case(
            "syntax-destructive-flyway",
            "flyway",
            "DROP TABLE orders;\nSELEC 1;\n",
            "CREATE TABLE orders (id int);\n",
            True,
            True,
        ),
        Case(
            "templated-plain",
            "plain",
            "ALTER TABLE {{ schema }}.users ADD COLUMN x int;\n",
            None,
            False,
            True,
        ),
        Case(
            "not-sql-golang",
            "golang-migrate",
            "this file was committed by mistake\nit has no statements\n",
            "SELECT 1;\n",
            False,
            True,
        ),
        Case(
            "duplicate-version-golang",
            "golang-migrate",
            "SELECT 1;\n",
            "SELECT 1;\n",
            False,
            True,
            extra={"002_again.up.sql": "SELECT 2;\n"},
        ),
        Case(
            "duplicate-version-flyway",
            "flyway",
            "SELECT 1;\n",
            None,
            False,
            True,
            extra={"V2.0__again.sql": "SELECT 2;\n"},
        ),
        Case(
            "alembic-two-heads",
            "alembic",
            "SELECT 1",
            "SELECT 1",
            False,
            True,
            extra={
                "versions/r099_branch.py": _alembic_script("r099", "r001", "SELECT 2", "SELECT 2")
            },
        ),
        Case(
            "not-null-no-default-plain",
            "plain",
            "SET lock_timeout = '5s';\nALTER TABLE users ADD COLUMN age int NOT NULL;\n",
            None,
            False,
            True,
        ),
        Case(
            "drop-default-contract-golang",
            "golang-migrate",
            "-- changegate: contract (code stopped relying on it in 1.4)\n"
            "SET lock_timeout = '5s';\nALTER TABLE users ALTER COLUMN email DROP DEFAULT;\n",
            "ALTER TABLE users ALTER COLUMN email SET DEFAULT '';\n",
            False,
            False,
        ),
    ]
    return cases


CASES = build_cases()
