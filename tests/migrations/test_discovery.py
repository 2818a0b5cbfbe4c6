"""Discovery of each tool's layout, explicit or detected, and the bad-input messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from changegate.errors import InputError
from changegate.migrations import discover

from .corpus import Case, write_case


def _one(root: Path, fmt: str, up: str = "SELECT 1;\n", down: str | None = "SELECT 2;\n"):  # type: ignore[no-untyped-def]
    write_case(Case("x", fmt, up, down, False, False), root)
    (mset,) = discover(root)
    assert mset.format == fmt
    return mset


@pytest.mark.parametrize("fmt", ["golang-migrate", "flyway", "dbmate", "diesel", "plain"])
def test_each_format_yields_versions_in_order_with_their_down(fmt: str, tmp_path: Path) -> None:
    mset = _one(tmp_path, fmt)
    assert len(mset.migrations) == 2
    first, second = mset.migrations
    assert first.sort_key < second.sort_key
    assert "CREATE TABLE users" in first.up.text
    if fmt == "plain":
        assert second.down is None
    else:
        assert second.down is not None and "SELECT 2" in second.down.text


def test_dbmate_sections_keep_their_file_lines(tmp_path: Path) -> None:
    d = tmp_path / "db"
    d.mkdir()
    (d / "20240101_a.sql").write_text(
        "-- migrate:up transaction:false\nCREATE INDEX CONCURRENTLY i ON t (x);\n\n"
        "-- migrate:down\nDROP INDEX i;\n"
    )
    (mig,) = discover(tmp_path)[0].migrations
    assert mig.up.implicit_transaction is False
    assert mig.down is not None and mig.down.implicit_transaction is True
    assert mig.up.text.splitlines()[1] == "CREATE INDEX CONCURRENTLY i ON t (x);"
    assert "DROP INDEX" not in mig.up.text
    assert mig.down.text.splitlines()[4] == "DROP INDEX i;"


def test_diesel_metadata_turns_the_transaction_off(tmp_path: Path) -> None:
    sub = tmp_path / "migrations" / "2024-01-01-000000_idx"
    sub.mkdir(parents=True)
    (sub / "up.sql").write_text("CREATE INDEX CONCURRENTLY i ON t (x);\n")
    (sub / "down.sql").write_text("DROP INDEX i;\n")
    (sub / "metadata.toml").write_text("run_in_transaction = false\n")
    (mig,) = discover(tmp_path)[0].migrations
    assert (mig.version, mig.up.implicit_transaction) == ("20240101000000", False)


def test_alembic_offline_sql_per_revision(tmp_path: Path) -> None:
    mset = _one(tmp_path, "alembic", up="ALTER TABLE users ADD COLUMN x int", down=None)
    first, second = mset.migrations
    assert first.up.generated and first.up.path.name == "r001_init.py"
    assert "CREATE TABLE users" in first.up.text
    assert "alembic_version" not in first.up.text + second.up.text
    assert second.up.text.strip() == "ALTER TABLE users ADD COLUMN x int;"
    assert second.down is not None and second.down.text == ""
    assert first.down is not None and "DROP TABLE orders" in first.down.text
    assert mset.graph == {"r001": (), "r002": ("r001",)}


@pytest.mark.parametrize(
    ("fmt", "paths", "message"),
    [
        ("liquibase", ("db",), "unknown migration format 'liquibase'"),
        ("auto", ("nowhere",), "does not exist"),
        ("auto", ("docs",), "no migrations recognised"),
        ("flyway", ("docs",), "no flyway migrations found"),
    ],
)
def test_bad_configuration_is_input_error(
    fmt: str, paths: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    (tmp_path / "db").mkdir()
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "notes.txt").write_text("hello")
    with pytest.raises(InputError, match=message):
        discover(tmp_path, paths, fmt)


def test_broken_alembic_project_is_input_error(tmp_path: Path) -> None:
    versions = tmp_path / "alembic" / "versions"
    versions.mkdir(parents=True)
    (tmp_path / "alembic" / "env.py").write_text("raise RuntimeError('boom')\n")
    (versions / "a.py").write_text("revision = 'a'\ndown_revision = None\n")
    with pytest.raises(InputError, match="alembic offline mode failed"):
        discover(tmp_path)


def test_alembic_uses_the_projects_own_ini(tmp_path: Path) -> None:
    from .corpus import ENV_PY

    project = tmp_path / "service"
    versions = project / "alembic" / "versions"
    versions.mkdir(parents=True)
    (project / "alembic.ini").write_text(
        "[alembic]\nscript_location = %(here)s/alembic\ntenant_schema = billing\n"
        "[loggers]\nkeys = root\n[handlers]\nkeys = console\n[formatters]\nkeys = generic\n"
        "[logger_root]\nlevel = WARN\nhandlers = console\n[handler_console]\n"
        "class = StreamHandler\nargs = (sys.stderr,)\nlevel = NOTSET\nformatter = generic\n"
        "[formatter_generic]\nformat = %%(levelname)-5.5s [%%(name)s] %%(message)s\n"
    )
    # env.py reads an option only the project's ini has.
    (project / "alembic" / "env.py").write_text(
        ENV_PY.replace(
            "from alembic import context\n",
            "from alembic import context\n\n"
            "assert context.config.get_main_option('tenant_schema') == 'billing'\n",
        )
    )
    (versions / "a.py").write_text(
        "from alembic import op\nrevision = 'a'\ndown_revision = None\n\n"
        "def upgrade():\n    op.execute('CREATE TABLE t (id int)')\n\n"
        "def downgrade():\n    op.execute('DROP TABLE t')\n"
    )
    (mset,) = discover(tmp_path, ("service",))
    (mig,) = mset.migrations
    assert mig.up.text.strip() == "CREATE TABLE t (id int);"
    assert mig.down is not None and mig.down.text.strip() == "DROP TABLE t;"
