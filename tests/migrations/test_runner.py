"""The built-in runner on real SQLite and PostgreSQL databases, with real files.

Every test runs on both backends (``db_url``); the SQL is what both accept.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from changegate.errors import InputError
from changegate.migrations import (
    AppliedMigration,
    MigrationFailed,
    applied_versions,
    apply,
    discover,
    plan,
    rollback,
)
from changegate.migrations.model import MigrationSet

SET = "db/migrations"
ACTOR = "deployer@example.com"


def write(tree: Path, version: str, name: str, up: str, down: str | None = None) -> Path:
    """A golang-migrate pair under ``tree/db/migrations``."""
    directory = tree / SET
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{version}_{name}.up.sql"
    path.write_text(up)
    if down is not None:
        (directory / f"{version}_{name}.down.sql").write_text(down)
    return path


def sets(tree: Path) -> list[MigrationSet]:
    return discover(tree, [SET])


def query(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(r) for r in conn.execute(text(sql))]
    finally:
        engine.dispose()


def tables(url: str) -> set[str]:
    from sqlalchemy import inspect

    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    root = tmp_path / "release"
    write(
        root,
        "0001",
        "users",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);\n",
        "DROP TABLE users;\n",
    )
    write(
        root,
        "0002",
        "teams",
        "-- two statements, one transaction\n"
        "CREATE TABLE teams (id INTEGER PRIMARY KEY, name TEXT);\n"
        "INSERT INTO teams (id, name) VALUES (1, 'core; and more');\n",
        "DROP TABLE teams;\n",
    )
    return root


def versions(done: list[AppliedMigration]) -> list[tuple[str, str]]:
    return [(m.version, m.direction) for m in done]


def test_plan_does_not_create_a_missing_sqlite_database(tree: Path, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'none' / 'app.db'}"
    assert [s.version for s in plan(tree, sets(tree), url).pending] == ["0001", "0002"]
    assert applied_versions(url) == {}
    assert not (tmp_path / "none").exists()


def test_apply_from_empty_then_again_is_a_no_op(tree: Path, db_url: str) -> None:
    before = plan(tree, sets(tree), db_url)
    assert [s.version for s in before.pending] == ["0001", "0002"]
    assert before.applied == () and before.ok

    done = apply(tree, sets(tree), db_url, actor=ACTOR)

    assert versions(done) == [("0001", "up"), ("0002", "up")]
    assert {m.set for m in done} == {SET}
    assert done[0].as_dict()["checksum"] == before.pending[0].checksum
    assert {"users", "teams", "changegate_schema_migrations"} <= tables(db_url)
    assert query(db_url, "SELECT name FROM teams") == [("core; and more",)]
    rows = query(
        db_url,
        "SELECT set_path, version, applied_by FROM changegate_schema_migrations ORDER BY version",
    )
    assert rows == [(SET, "0001", ACTOR), (SET, "0002", ACTOR)]
    assert apply(tree, sets(tree), db_url, actor=ACTOR) == []
    after = plan(tree, sets(tree), db_url)
    assert after.pending == () and [s.version for s in after.applied] == ["0001", "0002"]
    assert applied_versions(db_url) == {SET: ["0001", "0002"]}


def test_a_new_migration_applies_only_itself(tree: Path, db_url: str) -> None:
    apply(tree, sets(tree), db_url, actor=ACTOR)
    write(tree, "0003", "nickname", "ALTER TABLE users ADD COLUMN nickname TEXT;\n", "")

    done = apply(tree, sets(tree), db_url, actor="other@example.com")

    assert versions(done) == [("0003", "up")]
    assert query(
        db_url, "SELECT version, applied_by FROM changegate_schema_migrations ORDER BY version"
    ) == [("0001", ACTOR), ("0002", ACTOR), ("0003", "other@example.com")]


def test_a_failing_migration_leaves_the_previous_ones_applied(tree: Path, db_url: str) -> None:
    write(
        tree,
        "0003",
        "broken",
        "CREATE TABLE half (id INTEGER);\n\nINSERT INTO no_such_table VALUES (1);\n",
        "DROP TABLE half;\n",
    )
    write(tree, "0004", "later", "CREATE TABLE later (id INTEGER);\n", "DROP TABLE later;\n")

    with pytest.raises(MigrationFailed) as failed:
        apply(tree, sets(tree), db_url, actor=ACTOR)

    assert f"{SET}/0003_broken.up.sql:3" in failed.value.message
    assert failed.value.exit_code == 1
    assert versions(failed.value.applied) == [("0001", "up"), ("0002", "up")]
    assert "half" not in tables(db_url) and "later" not in tables(db_url)
    assert applied_versions(db_url) == {SET: ["0001", "0002"]}
    assert [s.version for s in plan(tree, sets(tree), db_url).pending] == ["0003", "0004"]


def test_an_edited_applied_migration_is_refused(tree: Path, db_url: str) -> None:
    apply(tree, sets(tree), db_url, actor=ACTOR)
    recorded = plan(tree, sets(tree), db_url).applied[0].checksum
    path = tree / SET / "0001_users.up.sql"
    path.write_text("CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);\n")
    write(tree, "0003", "more", "CREATE TABLE more (id INTEGER);\n", "DROP TABLE more;\n")

    problems = plan(tree, sets(tree), db_url).problems
    assert [(p.kind, p.version) for p in problems] == [("changed", "0001")]
    with pytest.raises(InputError) as refused:
        apply(tree, sets(tree), db_url, actor=ACTOR)

    message = refused.value.message
    assert f"{SET}/0001_users.up.sql" in message and recorded[:12] in message
    assert "immutable" in message and "new migration" in message
    assert "more" not in tables(db_url)


def test_line_endings_and_trailing_blanks_are_not_edits(tree: Path, db_url: str) -> None:
    apply(tree, sets(tree), db_url, actor=ACTOR)
    path = tree / SET / "0002_teams.up.sql"
    path.write_bytes(path.read_bytes().replace(b"\n", b"  \r\n") + b"\r\n\r\n")

    assert plan(tree, sets(tree), db_url).ok


def test_a_recorded_migration_missing_from_the_tree_is_refused(tree: Path, db_url: str) -> None:
    apply(tree, sets(tree), db_url, actor=ACTOR)
    (tree / SET / "0002_teams.up.sql").unlink()
    write(tree, "0003", "more", "CREATE TABLE more (id INTEGER);\n", "DROP TABLE more;\n")

    problems = plan(tree, sets(tree), db_url).problems
    assert [(p.kind, p.version) for p in problems] == [("missing", "0002")]
    with pytest.raises(InputError, match=r"0002 .*not in this tree"):
        apply(tree, sets(tree), db_url, actor=ACTOR)
    assert "more" not in tables(db_url)


def test_an_out_of_order_migration_is_refused(tree: Path, db_url: str) -> None:
    (tree / SET / "0002_teams.up.sql").rename(tree / SET / "0005_teams.up.sql")
    (tree / SET / "0002_teams.down.sql").rename(tree / SET / "0005_teams.down.sql")
    apply(tree, sets(tree), db_url, actor=ACTOR)
    write(tree, "0003", "late", "CREATE TABLE late (id INTEGER);\n", "DROP TABLE late;\n")

    with pytest.raises(InputError, match=r"0003_late.up.sql: new migration 0003 sorts before 0005"):
        apply(tree, sets(tree), db_url, actor=ACTOR)
    assert "late" not in tables(db_url)


def test_rollback_runs_downs_newest_first_and_removes_rows(tree: Path, db_url: str) -> None:
    write(tree, "0003", "extra", "CREATE TABLE extra (id INTEGER);\n", "DROP TABLE extra;\n")
    apply(tree, sets(tree), db_url, actor=ACTOR)

    done = rollback(tree, sets(tree), db_url, to={SET: "0001"}, actor=ACTOR)

    assert versions(done) == [("0003", "down"), ("0002", "down")]
    assert "extra" not in tables(db_url) and "teams" not in tables(db_url)
    assert "users" in tables(db_url)
    assert applied_versions(db_url) == {SET: ["0001"]}
    assert rollback(tree, sets(tree), db_url, to={SET: "0001"}, actor=ACTOR) == []

    assert versions(rollback(tree, sets(tree), db_url, to={SET: None}, actor=ACTOR)) == [
        ("0001", "down")
    ]
    assert applied_versions(db_url) == {}
    assert "users" not in tables(db_url)


def test_rollback_stops_before_anything_at_a_migration_without_down(
    tree: Path, db_url: str
) -> None:
    write(
        tree,
        "0003",
        "drop_email",
        "-- rollback: restore users.email from the nightly backup\n"
        "CREATE TABLE archive (id INTEGER);\n",
    )
    write(tree, "0004", "extra", "CREATE TABLE extra (id INTEGER);\n", "DROP TABLE extra;\n")
    apply(tree, sets(tree), db_url, actor=ACTOR)

    with pytest.raises(InputError) as stopped:
        rollback(tree, sets(tree), db_url, to={SET: "0001"}, actor=ACTOR)

    message = stopped.value.message
    assert f"{SET}/0003_drop_email.up.sql" in message and "no down script" in message
    assert "restore users.email from the nightly backup" in message
    assert "extra" in tables(db_url)  # nothing was undone
    assert applied_versions(db_url) == {SET: ["0001", "0002", "0003", "0004"]}


def test_rollback_to_a_version_never_applied_is_refused(tree: Path, db_url: str) -> None:
    apply(tree, sets(tree), db_url, actor=ACTOR)
    with pytest.raises(InputError, match="0007 is not applied"):
        rollback(tree, sets(tree), db_url, to={SET: "0007"}, actor=ACTOR)
    with pytest.raises(InputError, match="unknown migration set"):
        rollback(tree, sets(tree), db_url, to={"elsewhere": None}, actor=ACTOR)


def test_two_runners_at_once_apply_each_migration_once(tree: Path, db_url: str) -> None:
    slow = (
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 200000) "
        "SELECT count(*) FROM c;\n"
    )
    write(tree, "0003", "log", "CREATE TABLE runs (version TEXT);\n", "DROP TABLE runs;\n")
    for n in range(4, 9):
        write(tree, f"{n:04d}", f"step{n}", f"{slow}INSERT INTO runs VALUES ('{n:04d}');\n", "")
    barrier = threading.Barrier(2)
    results: list[list[AppliedMigration]] = []
    errors: list[BaseException] = []

    def runner() -> None:
        barrier.wait()
        try:
            results.append(apply(tree, sets(tree), db_url, actor=ACTOR))
        except BaseException as exc:  # reported below, with the other thread's result
            errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert errors == []
    ran = sorted(m.version for done in results for m in done)
    assert ran == [f"{n:04d}" for n in range(1, 9)]
    assert sorted(r[0] for r in query(db_url, "SELECT version FROM runs")) == [
        f"{n:04d}" for n in range(4, 9)
    ]
