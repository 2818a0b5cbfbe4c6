"""Ordering and forward compatibility against the base revision, in a real git repository."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.conftest import git

from changegate.errors import InputError
from changegate.migrations import Settings, check

SETTINGS = Settings(paths=("db",))


def _commit(repo: Path, files: dict[str, str], message: str = "base") -> None:
    for rel, text in files.items():
        path = repo / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)


BASE = {
    "db/001_users.up.sql": "CREATE TABLE users (id bigint PRIMARY KEY, email text, nick text);\n",
    "db/001_users.down.sql": "DROP TABLE users;\n",
    "db/005_orders.up.sql": "CREATE TABLE orders (id bigint PRIMARY KEY);\n",
    "db/005_orders.down.sql": "DROP TABLE orders;\n",
    "app/models.py": "class User:\n    __tablename__ = 'users'\n    email = Column(Text)\n",
}


def _paths(result: object) -> dict[str, list[str]]:
    return {f.path: [x.check for x in f.findings] for f in result.files}  # type: ignore[attr-defined]


def test_only_new_migrations_are_reported(repo: Path) -> None:
    _commit(repo, BASE)
    (repo / "db/006_x.up.sql").write_text("SELECT 1;\n")
    result = check(repo, SETTINGS, base="main")
    assert _paths(result) == {"db/006_x.up.sql": []}


def test_new_migration_below_the_base_head_is_out_of_order(repo: Path) -> None:
    _commit(repo, BASE)
    (repo / "db/003_late.up.sql").write_text("SELECT 1;\n")
    result = check(repo, SETTINGS, base="main")
    assert _paths(result) == {"db/003_late.up.sql": ["out-of-order"]}
    assert result.blocked


def test_merged_migration_changed_afterwards(repo: Path) -> None:
    _commit(repo, BASE)
    (repo / "db/005_orders.up.sql").write_text("CREATE TABLE orders (id int PRIMARY KEY);\n")
    result = check(repo, SETTINGS, base="main")
    assert _paths(result) == {"db/005_orders.up.sql": ["modified-migration"]}


def test_duplicate_of_a_merged_version(repo: Path) -> None:
    _commit(repo, BASE)
    (repo / "db/005_again.up.sql").write_text("SELECT 1;\n")
    result = check(repo, SETTINGS, base="main")
    assert _paths(result)["db/005_again.up.sql"][0] == "duplicate-version"
    assert result.blocked


def test_dropping_a_column_the_running_code_uses(repo: Path) -> None:
    _commit(repo, BASE)
    (repo / "db/006_drop.up.sql").write_text(
        "SET lock_timeout = '1s';\nALTER TABLE users DROP COLUMN email;\n"
        "ALTER TABLE users DROP COLUMN nick;\n"
    )
    (repo / "db/006_drop.down.sql").write_text(
        "ALTER TABLE users ADD COLUMN email text;\nALTER TABLE users ADD COLUMN nick text;\n"
    )
    # The new code no longer uses email, but production still runs the base code.
    (repo / "app/models.py").write_text("class User:\n    __tablename__ = 'users'\n")
    result = check(repo, SETTINGS, base="main")
    (report,) = result.files
    compat = [f for f in report.findings if f.check == "referenced-by-code"]
    assert [(f.line, "users.email" in f.message, "app/models.py" in f.message) for f in compat] == [
        (2, True, True)
    ]
    assert "nick" not in compat[0].message
    assert report.destructive and result.blocked


def test_contract_step_may_drop_what_the_base_code_used(repo: Path) -> None:
    _commit(repo, BASE)
    (repo / "db/006_drop.up.sql").write_text(
        "-- changegate: contract (code stopped reading email in release 41)\n"
        "SET lock_timeout = '1s';\nALTER TABLE users RENAME COLUMN email TO email_old;\n"
    )
    result = check(repo, SETTINGS, base="main")
    assert not result.blocked


def test_unknown_base_is_bad_input(repo: Path) -> None:
    _commit(repo, BASE)
    with pytest.raises(InputError, match="unknown revision"):
        check(repo, SETTINGS, base="no-such-branch")


def test_tables_created_by_unreleased_migrations_are_still_empty(repo: Path) -> None:
    _commit(repo, BASE)
    (repo / "db/006_t.up.sql").write_text("CREATE TABLE audit (id int, at timestamptz);\n")
    (repo / "db/007_i.up.sql").write_text(
        "CREATE INDEX audit_at ON audit (at);\nALTER TABLE audit ALTER COLUMN at SET NOT NULL;\n"
    )
    (repo / "db/008_u.up.sql").write_text("CREATE INDEX users_email ON users (email);\n")
    found = _paths(check(repo, SETTINGS, base="main"))
    assert found["db/007_i.up.sql"] == []
    assert found["db/008_u.up.sql"] == ["index-not-concurrent"]


def test_project_in_a_subdirectory_of_the_repository(repo: Path) -> None:
    _commit(repo, {f"service/{k}": v for k, v in BASE.items()})
    (repo / "service/db/005_orders.up.sql").write_text("CREATE TABLE orders (id int);\n")
    (repo / "service/db/006_new.up.sql").write_text("SELECT 1;\n")
    found = _paths(check(repo / "service", SETTINGS, base="main"))
    assert found == {"db/005_orders.up.sql": ["modified-migration"], "db/006_new.up.sql": []}
