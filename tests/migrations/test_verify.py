"""Dynamic verification on a real PostgreSQL (the session's throwaway server)."""

from __future__ import annotations

from pathlib import Path

import pytest

from changegate.migrations import Settings, check, verify

pytestmark = pytest.mark.postgres

BASE = "CREATE TABLE orders (id bigint PRIMARY KEY, total integer, note text);\n"


def _write(root: Path, files: dict[str, str]) -> None:
    d = root / "migrations"
    d.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (d / name).write_text(text)


def _run(root: Path, url: str) -> tuple[dict[str, list[tuple[str, int, str]]], list[object]]:
    settings = Settings(paths=("migrations",))
    result = verify(root, check(root, settings), settings=settings, server_url=url)
    found = {f.path: [(x.check, x.line, x.message) for x in f.findings] for f in result.files}
    return found, list(result.locks)


def test_rewrite_is_reported_with_its_lock(tmp_path: Path, pg_admin_url: str) -> None:
    _write(
        tmp_path,
        {
            "001_init.up.sql": BASE,
            "001_init.down.sql": "DROP TABLE orders;\n",
            "002_widen.up.sql": "SET lock_timeout = '5s';\n"
            "ALTER TABLE orders ALTER COLUMN total TYPE bigint;\n",
            "002_widen.down.sql": "ALTER TABLE orders ALTER COLUMN total TYPE integer;\n",
        },
    )
    found, locks = _run(tmp_path, pg_admin_url)
    rewrites = [f for f in found["migrations/002_widen.up.sql"] if f[0] == "table-rewrite"]
    assert rewrites == [
        (
            "table-rewrite",
            2,
            rewrites[0][2],
        )
    ]
    assert "public.orders" in rewrites[0][2]
    assert "AccessExclusiveLock" in rewrites[0][2]
    assert any(
        getattr(lk, "relation", "") == "public.orders"
        and getattr(lk, "mode", "") == "AccessExclusiveLock"
        and getattr(lk, "rewrote", False)
        for lk in locks
    )
    assert not any(f[0] == "down-mismatch" for fs in found.values() for f in fs)


def test_adding_a_nullable_column_rewrites_nothing(tmp_path: Path, pg_admin_url: str) -> None:
    _write(
        tmp_path,
        {
            "001_init.up.sql": BASE,
            "002_add.up.sql": "ALTER TABLE orders ADD COLUMN paid boolean;\n",
            "002_add.down.sql": "ALTER TABLE orders DROP COLUMN paid;\n",
        },
    )
    found, locks = _run(tmp_path, pg_admin_url)
    assert not any(
        f[0] in ("table-rewrite", "down-mismatch", "verify-failed")
        for fs in found.values()
        for f in fs
    )
    assert [(getattr(lk, "line", 0), getattr(lk, "rewrote", True)) for lk in locks] == [(1, False)]


def test_wrong_down_migration_is_caught(tmp_path: Path, pg_admin_url: str) -> None:
    _write(
        tmp_path,
        {
            "001_init.up.sql": BASE,
            "001_init.down.sql": "DROP TABLE orders;\n",
            "002_split.up.sql": "ALTER TABLE orders ADD COLUMN paid boolean;\n"
            "CREATE INDEX CONCURRENTLY orders_note ON orders (note);\n",
            # Forgets the index on note, which survives the column drop.
            "002_split.down.sql": "ALTER TABLE orders DROP COLUMN paid;\n",
        },
    )
    found, _ = _run(tmp_path, pg_admin_url)
    down = found["migrations/002_split.down.sql"]
    assert [c for c, _, _ in down] == ["down-mismatch"]
    assert "extra index public orders orders_note" in down[0][2]
    # Up cannot apply again (the index is still there); that is the down's fault, not up's.
    assert not any(c == "verify-failed" for c, _, _ in found["migrations/002_split.up.sql"])


def test_down_that_drops_too_little_is_caught(tmp_path: Path, pg_admin_url: str) -> None:
    _write(
        tmp_path,
        {
            "001_init.up.sql": BASE,
            "002_tag.up.sql": "CREATE TABLE tags (id int);\n"
            "ALTER TABLE orders ADD COLUMN tag int;\n",
            "002_tag.down.sql": "DROP TABLE tags;\n",
        },
    )
    found, _ = _run(tmp_path, pg_admin_url)
    down = found["migrations/002_tag.down.sql"]
    assert [c for c, _, _ in down] == ["down-mismatch"]
    assert "extra column public orders tag integer" in down[0][2]


def test_a_failing_statement_is_an_error_with_its_line(tmp_path: Path, pg_admin_url: str) -> None:
    _write(
        tmp_path,
        {
            "001_init.up.sql": BASE,
            "002_bad.up.sql": "SELECT 1;\nALTER TABLE missing ADD COLUMN x int;\n",
        },
    )
    found, _ = _run(tmp_path, pg_admin_url)
    bad = [f for f in found["migrations/002_bad.up.sql"] if f[0] == "verify-failed"]
    assert [(c, line) for c, line, _ in bad] == [("verify-failed", 2)]
    assert "missing" in bad[0][2]


def test_alembic_round_trip_uses_the_offline_sql(tmp_path: Path, pg_admin_url: str) -> None:
    from .corpus import Case, write_case

    case = Case(
        "a",
        "alembic",
        "ALTER TABLE users ADD COLUMN plan text",
        "ALTER TABLE users DROP COLUMN name",
        False,
        False,
    )
    write_case(case, tmp_path)
    result = verify(tmp_path, check(tmp_path), server_url=pg_admin_url)
    found = {f.path: [x.check for x in f.findings] for f in result.files}
    # The down drops an unrelated column and leaves plan behind: caught, on the version script.
    assert found["db/migrations/versions/r002_change.py"].count("down-mismatch") == 1


def test_without_a_url_a_throwaway_server_is_started(tmp_path: Path, pg_server: object) -> None:
    # pg_server only guarantees the binaries exist; verify starts and stops its own server.
    _write(
        tmp_path,
        {
            "001_init.up.sql": BASE,
            "002_rw.up.sql": "ALTER TABLE orders ADD COLUMN at timestamptz"
            " DEFAULT clock_timestamp();\n",
            "002_rw.down.sql": "ALTER TABLE orders DROP COLUMN at;\n",
        },
    )
    settings = Settings(paths=("migrations",))
    result = verify(tmp_path, check(tmp_path, settings), settings=settings)
    found = {f.path: sorted(x.check for x in f.findings) for f in result.files}
    assert found["migrations/002_rw.up.sql"] == [
        "lock-timeout",
        "table-rewrite",
        "volatile-default",
    ]
    assert "migrations/002_rw.down.sql" not in found


def test_unreachable_server_is_an_environment_problem(tmp_path: Path) -> None:
    from changegate.adapters.pgserver import free_port
    from changegate.errors import EnvironmentProblem

    _write(tmp_path, {"001_init.up.sql": BASE})
    settings = Settings(paths=("migrations",))
    url = f"postgresql://nobody@127.0.0.1:{free_port()}/postgres"
    with pytest.raises(EnvironmentProblem, match="cannot create a scratch database"):
        verify(tmp_path, check(tmp_path, settings), settings=settings, server_url=url)


def test_percent_signs_and_dollar_quotes_are_sent_as_written(
    tmp_path: Path, pg_admin_url: str
) -> None:
    _write(
        tmp_path,
        {
            "001_init.up.sql": BASE,
            "002_data.up.sql": "UPDATE orders SET note = 'a%b' WHERE note LIKE '%x%';\n"
            "DO $$ BEGIN PERFORM 1; END $$;\n",
            "002_data.down.sql": "SELECT '%s';\n",
        },
    )
    found, _ = _run(tmp_path, pg_admin_url)
    assert found["migrations/002_data.up.sql"] == []


def test_demo_story_blocked_then_accepted_with_a_verified_round_trip(
    tmp_path: Path, pg_admin_url: str
) -> None:
    """The scenario ``changegate demo`` tells: blocked, note added, accepted, round trip."""
    settings = Settings(paths=("migrations",))
    drop = "SET lock_timeout = '5s';\nALTER TABLE orders DROP COLUMN note;\n"
    _write(tmp_path, {"001_init.up.sql": BASE, "002_drop_note.up.sql": drop})
    first = check(tmp_path, settings)
    assert first.blocked
    assert [f.check for f in first.file("migrations/002_drop_note.up.sql").findings] == [
        "drop-column",
        "rollback-missing",
    ]
    _write(
        tmp_path,
        {
            "002_drop_note.up.sql": "-- backup: notes copied to orders_note_bak; restore with the"
            " down migration\nCREATE TABLE orders_note_bak AS SELECT id, note"
            " FROM orders;\n" + drop,
            "002_drop_note.down.sql": "ALTER TABLE orders ADD COLUMN note text;\n"
            "UPDATE orders o SET note = b.note FROM orders_note_bak b"
            " WHERE b.id = o.id;\nDROP TABLE orders_note_bak;\n",
        },
    )
    second = verify(tmp_path, check(tmp_path, settings), settings=settings, server_url=pg_admin_url)
    assert not second.blocked
    report = second.file("migrations/002_drop_note.up.sql")
    assert report.destructive
    assert [f.check for f in report.findings] == ["drop-column"]
    assert [f.path for f in second.files if f.findings] == ["migrations/002_drop_note.up.sql"]


def test_one_transaction_per_file_like_the_tool_and_locks_per_statement(
    tmp_path: Path, pg_admin_url: str
) -> None:
    _write(
        tmp_path,
        {
            "001_init.up.sql": BASE + "CREATE TABLE customers (id bigint PRIMARY KEY);\n",
            "002_move.up.sql": "SET lock_timeout = '5s';\n"
            "CREATE TEMP TABLE moved ON COMMIT DROP AS SELECT id FROM orders;\n"
            "ALTER TABLE customers ADD COLUMN vip boolean;\n"
            "UPDATE customers SET vip = true WHERE id IN (SELECT id FROM moved);\n"
            "ALTER TABLE orders ALTER COLUMN total TYPE bigint;\n",
            "002_move.down.sql": "ALTER TABLE orders ALTER COLUMN total TYPE integer;\n"
            "ALTER TABLE customers DROP COLUMN vip;\n",
        },
    )
    found, locks = _run(tmp_path, pg_admin_url)
    assert not any(c == "verify-failed" for fs in found.values() for c, _, _ in fs)
    exclusive = sorted(
        (getattr(lk, "line", 0), getattr(lk, "relation", ""), getattr(lk, "rewrote", None))
        for lk in locks
        if getattr(lk, "mode", "") == "AccessExclusiveLock"
    )
    assert exclusive == [(3, "public.customers", False), (5, "public.orders", True)]


def test_several_rewrites_in_one_file_are_one_finding(tmp_path: Path, pg_admin_url: str) -> None:
    _write(
        tmp_path,
        {
            "001_init.up.sql": BASE + "CREATE TABLE items (id int, qty int);\n",
            "002_big.up.sql": "SET lock_timeout = '5s';\n"
            "ALTER TABLE orders ALTER COLUMN total TYPE bigint;\n"
            "ALTER TABLE items ALTER COLUMN qty TYPE bigint;\n",
        },
    )
    found, _ = _run(tmp_path, pg_admin_url)
    rewrites = [f for f in found["migrations/002_big.up.sql"] if f[0] == "table-rewrite"]
    assert len(rewrites) == 1
    assert "public.orders" in rewrites[0][2] and "public.items" in rewrites[0][2]
