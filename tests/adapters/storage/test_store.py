"""The store on both backends: appends, the SQL-built message, schema, bad databases."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from changegate.adapters.storage.store import HEAD_REVISION, EventFilter, open_store
from changegate.core.ledger import event_message, scan_chain
from changegate.errors import EnvironmentProblem, InputError


def test_append_and_scan(db_url, tmp_path):
    store = open_store(db_url, tmp_path, create=True)
    try:
        first = store.append("a@x.com", "gate.result", "change/1", {"gate": "lint", "ok": True})
        second = store.append("b@x.com", "review.approve", "change/1", {})
        assert (first.seq, second.seq, second.prev_hash) == (1, 2, first.hash)
        with store.link_rows() as rows:
            assert scan_chain(rows) == (2, 2, second.hash, None)
        assert store.head() == (2, second.hash)
        assert [e.seq for e in store.events(EventFilter(actor="b@x.com"))] == [2]
        assert [e.seq for e in store.events(EventFilter(action="gate.*"))] == [1]
        assert store.events(EventFilter(action="gate")) == []
    finally:
        store.close()


unicode_text = st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=30
)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(actor=unicode_text.filter(str.strip), subject=unicode_text, note=unicode_text)
def test_sql_built_message_equals_python_message(db_url, tmp_path, actor, subject, note):
    """Verification hashes bytes the database builds; they must be the bytes we hashed."""
    store = open_store(db_url, tmp_path, create=True)
    try:
        event = store.append(actor, "x.y", subject, {"note": note, "n": [1, 2.5, None]})
        with store.link_rows() as rows:
            found = {row[0]: row[3] for row in rows}
        expected = event_message(
            event.prev_hash,
            event.seq,
            event.ts,
            event.actor,
            event.action,
            event.subject,
            event.payload,
        )
        assert bytes(found[event.seq]) == expected
    finally:
        store.close()


def test_ledger_refuses_update_and_delete(db_url, tmp_path):
    store = open_store(db_url, tmp_path, create=True)
    try:
        store.append("a@x.com", "a.b", "s", {})
        for sql in ("UPDATE ledger_events SET actor = 'm@x'", "DELETE FROM ledger_events"):
            with pytest.raises(Exception, match="append-only"), store.engine.begin() as conn:
                conn.execute(text(sql))
        assert store.count() == 1
    finally:
        store.close()


def test_schema_is_at_alembic_head(db_url, tmp_path):
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", "changegate.adapters.storage:migrations")
    assert ScriptDirectory.from_config(cfg).get_current_head() == HEAD_REVISION
    store = open_store(db_url, tmp_path, create=True)
    try:
        assert store.revision() == HEAD_REVISION
    finally:
        store.close()
    # Reopening an up-to-date database is a no-op.
    open_store(db_url, tmp_path).close()


def test_missing_sqlite_file_is_not_created(tmp_path):
    with pytest.raises(InputError, match="changegate init"):
        open_store(None, tmp_path)
    assert not (tmp_path / ".changegate").exists()


def test_corrupted_sqlite_file_is_a_clear_error_and_left_alone(tmp_path):
    path = tmp_path / "state.db"
    junk = b"this is not a database" * 200
    path.write_bytes(junk)
    with pytest.raises(EnvironmentProblem, match="not a valid SQLite database"):
        open_store(f"sqlite:///{path}", tmp_path)
    assert path.read_bytes() == junk


def test_unreachable_postgres_is_a_clear_error(tmp_path):
    from changegate.adapters.pgserver import free_port

    url = f"postgresql://nobody:secret@127.0.0.1:{free_port()}/db"
    with pytest.raises(EnvironmentProblem, match="cannot reach the database") as exc:
        open_store(url, tmp_path)
    assert "secret" not in str(exc.value)


@pytest.mark.parametrize("url", ["mysql://x/y", "not a url at all"])
def test_unsupported_url(url, tmp_path):
    with pytest.raises(InputError):
        open_store(url, tmp_path)


def test_foreign_database_is_refused(tmp_path):
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE customers (id INTEGER)")
    con.commit()
    con.close()
    with pytest.raises(EnvironmentProblem, match="not changegate's"):
        open_store(f"sqlite:///{path}", tmp_path)


def test_sqlite_is_durable_wal(tmp_path: Path):
    store = open_store(None, tmp_path, create=True)
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        store.close()
