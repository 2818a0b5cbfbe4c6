"""The tracking table: which migration of which set ran, with what content, by whom.

A database remembers versions, not contents; storing the up script's checksum
beside the version is what lets the runner notice that the tree it is given is
not the one that ran (an applied migration edited afterwards).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime

from changegate.migrations.model import version_key
from changegate.migrations.runner_db import Database

TABLE = "changegate_schema_migrations"

_DDL = {
    "sqlite": f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    set_path TEXT NOT NULL,
    version TEXT NOT NULL,
    name TEXT NOT NULL,
    checksum TEXT NOT NULL,
    applied_at TEXT NOT NULL,
    applied_by TEXT NOT NULL,
    execution_ms INTEGER NOT NULL,
    PRIMARY KEY (set_path, version)
)""",
    "postgresql": f"""CREATE TABLE IF NOT EXISTS {TABLE} (
    set_path VARCHAR(1000) NOT NULL,
    version VARCHAR(300) NOT NULL,
    name VARCHAR(1000) NOT NULL,
    checksum CHAR(64) NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL,
    applied_by VARCHAR(320) NOT NULL,
    execution_ms INTEGER NOT NULL,
    PRIMARY KEY (set_path, version)
)""",
}


@dataclass(frozen=True)
class Row:
    """One applied migration as recorded."""

    set: str
    version: str
    name: str
    checksum: str


def checksum(text: str) -> str:
    """sha256 of a script's content.

    Line endings, trailing blanks and blank lines at either end do not count:
    a CRLF checkout is not an edit, and dbmate's up section (the engine blanks
    the rest of the file) must not change when only the down section does.
    """
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    return hashlib.sha256("\n".join(lines).strip("\n").encode("utf-8")).hexdigest()


def ensure(db: Database) -> None:
    """Create the table on first use (callers hold the run lock on PostgreSQL)."""
    db.execute(_DDL[db.dialect])


def read(db: Database, set_path: str | None = None) -> list[Row]:
    """Recorded rows, per set in version order; none when the table does not exist yet."""
    if not db.has_table(TABLE):
        return []
    sql = f"SELECT set_path, version, name, checksum FROM {TABLE}"
    params: tuple[str, ...] = ()
    if set_path is not None:
        sql += " WHERE set_path = %s"
        params = (set_path,)
    rows = [Row(*(str(v).strip() for v in r)) for r in db.rows(sql, params)]
    return sorted(rows, key=lambda r: (r.set, version_key(r.version), r.version))


def is_recorded(db: Database, set_path: str, version: str) -> bool:
    sql = f"SELECT 1 FROM {TABLE} WHERE set_path = %s AND version = %s"
    return bool(db.rows(sql, (set_path, version)))


def insert(db: Database, row: Row, *, actor: str, execution_ms: int) -> None:
    now = datetime.now(UTC)
    applied_at: object = now.isoformat() if db.dialect == "sqlite" else now
    db.execute(
        f"INSERT INTO {TABLE} (set_path, version, name, checksum, applied_at, applied_by, "
        "execution_ms) VALUES (%s, %s, %s, %s, %s, %s, %s)",
        (row.set, row.version, row.name, row.checksum, applied_at, actor, execution_ms),
    )


def delete(db: Database, set_path: str, version: str) -> None:
    db.execute(f"DELETE FROM {TABLE} WHERE set_path = %s AND version = %s", (set_path, version))
