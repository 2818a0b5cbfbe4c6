"""What only PostgreSQL has: statements refused in a transaction, PL/pgSQL, the advisory lock."""

from __future__ import annotations

from pathlib import Path

import psycopg
import pytest
from tests.migrations.test_runner import ACTOR, SET, query, write

from changegate.errors import EnvironmentProblem
from changegate.migrations import MigrationFailed, applied_versions, apply, discover, rollback
from changegate.migrations.runner_db import _LOCK_KEY

pytestmark = pytest.mark.postgres


def libpq(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def test_create_index_concurrently_runs_outside_a_transaction(tmp_path: Path, pg_url: str) -> None:
    write(tmp_path, "0001", "t", "CREATE TABLE t (id int, name text);\n", "DROP TABLE t;\n")
    write(
        tmp_path,
        "0002",
        "idx",
        "SET lock_timeout = '5s';\nCREATE INDEX CONCURRENTLY t_name ON t (name);\n",
        "DROP INDEX CONCURRENTLY t_name;\n",
    )

    done = apply(tmp_path, discover(tmp_path, [SET]), pg_url, actor=ACTOR)

    assert [m.version for m in done] == ["0001", "0002"]
    assert query(
        pg_url,
        "SELECT i.indisvalid FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid "
        "WHERE c.relname = 't_name'",
    ) == [(True,)]
    rollback(tmp_path, discover(tmp_path, [SET]), pg_url, to={SET: "0001"}, actor=ACTOR)
    assert query(pg_url, "SELECT count(*) FROM pg_class WHERE relname = 't_name'") == [(0,)]
    assert applied_versions(pg_url) == {SET: ["0001"]}


def test_a_failure_outside_a_transaction_says_what_already_took_effect(
    tmp_path: Path, pg_url: str
) -> None:
    write(tmp_path, "0001", "t", "CREATE TABLE t (id int);\n", "DROP TABLE t;\n")
    write(
        tmp_path,
        "0002",
        "idx",
        "CREATE INDEX CONCURRENTLY t_id ON t (id);\nALTER TABLE t ADD COLUMN id int;\n",
        "DROP INDEX CONCURRENTLY t_id;\n",
    )

    with pytest.raises(MigrationFailed) as failed:
        apply(tmp_path, discover(tmp_path, [SET]), pg_url, actor=ACTOR)

    assert f"{SET}/0002_idx.up.sql:2" in failed.value.message
    assert "outside a transaction" in failed.value.message
    assert "1 statement(s) before line 2 took effect" in failed.value.message
    assert query(pg_url, "SELECT count(*) FROM pg_class WHERE relname = 't_id'") == [(1,)]
    assert applied_versions(pg_url) == {SET: ["0001"]}


def test_plpgsql_bodies_do_blocks_and_percent_signs_survive(tmp_path: Path, pg_url: str) -> None:
    write(
        tmp_path,
        "0001",
        "fn",
        "CREATE TABLE t (id int, label text);\n"
        "CREATE FUNCTION bump() RETURNS trigger AS $$\n"
        "BEGIN\n  NEW.label := NEW.label || '; 100%';\n  RETURN NEW;\nEND;\n"
        "$$ LANGUAGE plpgsql;\n"
        "CREATE TRIGGER t_bump BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION bump();\n"
        "DO $body$ BEGIN INSERT INTO t VALUES (1, 'a'); END $body$;\n"
        "INSERT INTO t VALUES (2, 'b%s');\n",
        "DROP TABLE t;\nDROP FUNCTION bump();\n",
    )

    apply(tmp_path, discover(tmp_path, [SET]), pg_url, actor=ACTOR)

    assert query(pg_url, "SELECT id, label FROM t ORDER BY id") == [
        (1, "a; 100%"),
        (2, "b%s; 100%"),
    ]


def test_a_runner_waits_for_the_lock_then_gives_up_with_a_reason(
    tmp_path: Path, pg_url: str
) -> None:
    write(tmp_path, "0001", "t", "CREATE TABLE t (id int);\n", "DROP TABLE t;\n")
    with psycopg.connect(libpq(pg_url), autocommit=True) as other:
        other.execute("SELECT pg_advisory_lock(%s)", (_LOCK_KEY,))
        with pytest.raises(EnvironmentProblem, match="another migration runner"):
            apply(tmp_path, discover(tmp_path, [SET]), pg_url, actor=ACTOR, lock_timeout=0.5)
    assert apply(tmp_path, discover(tmp_path, [SET]), pg_url, actor=ACTOR)[0].version == "0001"
