"""Table definitions (SQLAlchemy Core), shared by the repositories and the Alembic scripts."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

# The append-only ledger. ``seq`` is assigned by the writer that holds the
# append lock; ``prev_hash`` is UNIQUE so that two writers can never both
# extend the same head (a fork) even if the lock were bypassed.
ledger_events = Table(
    "ledger_events",
    metadata,
    # On SQLite, INTEGER PRIMARY KEY makes seq the rowid: rows are stored in
    # chain order and a verifying scan reads the table sequentially.
    Column(
        "seq", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=False
    ),
    Column("ts", String(32), nullable=False),
    Column("actor", Text, nullable=False),
    Column("action", String(128), nullable=False),
    Column("subject", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False, unique=True),
    Column("hash", String(64), nullable=False, unique=True),
)
Index("ix_ledger_events_action", ledger_events.c.action)
Index("ix_ledger_events_subject", ledger_events.c.subject)
Index("ix_ledger_events_ts", ledger_events.c.ts)

# Dashboard sign-in tokens (revision 0002). Only a SHA-256 of the secret half is
# stored: the tokens are random 256-bit values, so a slow hash would buy nothing.
web_tokens = Table(
    "web_tokens",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("user", Text, nullable=False),
    Column("role", String(16), nullable=False),
    Column("token_hash", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("revoked_at", String(32), nullable=True),
)
Index("ix_web_tokens_user", web_tokens.c.user)
