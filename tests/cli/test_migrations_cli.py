"""`changegate migrations check` on real repositories (static, and verified on PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.cli.teamrepo import cg
from tests.conftest import git


@pytest.fixture
def service(repo: Path) -> Path:
    mig = repo / "migrations"
    mig.mkdir()
    (mig / "0001_orders.up.sql").write_text(
        "CREATE TABLE orders (id bigserial PRIMARY KEY, note text);\n"
    )
    (mig / "0001_orders.down.sql").write_text("DROP TABLE orders;\n")
    git(repo, "add", "migrations")
    git(repo, "commit", "-qm", "orders")
    return repo


DROP = "ALTER TABLE orders DROP COLUMN note;\n"
BACKUP = (
    "-- backup: notes copied to orders_note_backup; restore with the down migration\n"
    "CREATE TABLE orders_note_backup AS SELECT id, note FROM orders;\n" + DROP
)
DOWN = (
    "ALTER TABLE orders ADD COLUMN note text;\n"
    "UPDATE orders o SET note = b.note FROM orders_note_backup b WHERE b.id = o.id;\n"
    "DROP TABLE orders_note_backup;\n"
)


def test_destructive_without_rollback_is_blocked_then_accepted(service):
    up = service / "migrations" / "0002_drop_note.up.sql"
    up.write_text(DROP)
    code, out, _ = cg(service, "migrations", "check", "--base", "HEAD", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["blocked"] is True
    (report,) = data["files"]
    assert report["path"] == "migrations/0002_drop_note.up.sql" and report["destructive"]
    assert any(
        f["check"] == "rollback-missing" and f["severity"] == "error" for f in report["findings"]
    )
    up.write_text(BACKUP)
    code, out, _ = cg(service, "migrations", "check", "--base", "HEAD")
    assert code == 0 and "not blocked" in out and "destructive" in out


@pytest.mark.postgres
def test_verified_round_trip_and_a_wrong_down(service, pg_server):
    (service / "migrations" / "0002_drop_note.up.sql").write_text(BACKUP)
    down = service / "migrations" / "0002_drop_note.down.sql"
    down.write_text(DOWN)
    code, out, _ = cg(service, "migrations", "check", "--base", "HEAD", "--verify")
    assert code == 0 and "AccessExclusiveLock on public.orders" in out
    assert "schemas restored" in out
    down.write_text(
        "ALTER TABLE orders ADD COLUMN note varchar(10);\nDROP TABLE orders_note_backup;\n"
    )
    code, out, _ = cg(
        service, "migrations", "check", "--base", "HEAD", "--verify", "--format", "json"
    )
    data = json.loads(out)
    assert code == 1 and data["blocked"]
    assert any(f["check"] == "down-mismatch" for r in data["files"] for f in r["findings"])


def test_inline_suppression_is_recorded_once_in_the_ledger(service):
    from changegate.cli.main import main

    assert main(["-C", str(service), "init"]) == 0
    (service / "migrations" / "0002_idx.up.sql").write_text(
        "-- changegate: allow index-not-concurrent reason: orders is empty in every env\n"
        "CREATE INDEX orders_note ON orders (note);\n"
    )
    (service / "migrations" / "0002_idx.down.sql").write_text("DROP INDEX orders_note;\n")
    for _ in range(2):
        code, out, _ = cg(service, "migrations", "check", "--base", "HEAD")
        assert code == 0, out
    code, out, _ = cg(service, "audit", "log", "--action", "migrations.*", "--format", "json")
    (event,) = json.loads(out)["events"]
    assert event["payload"]["check"] == "index-not-concurrent"
    assert "empty in every env" in event["payload"]["reason"]
    assert event["actor"] == "dev@example.com"


def test_bad_input(service):
    code, _, err = cg(service, "migrations", "check", "no-such-dir")
    assert code == 2 and "no-such-dir" in err
