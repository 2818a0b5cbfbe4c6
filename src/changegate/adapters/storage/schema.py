"""Table definitions (SQLAlchemy Core), shared by the repositories and the Alembic scripts."""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text

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

# Configuration store (revision 0003). One row per environment holds its value-hash
# key, sealed with the environment's encryption key; versions are full snapshots
# (config_values), created only by an approval or a revert; proposals carry their
# changes as JSON with secrets sealed; config_applies is what was rendered, when.
config_envs = Table(
    "config_envs",
    metadata,
    Column("environment", String(64), primary_key=True),
    Column("hmac_key", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("rotated_at", String(32), nullable=True),
)
config_versions = Table(
    "config_versions",
    metadata,
    Column("environment", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("content_sha256", String(64), nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("created_by", Text, nullable=False),
    Column("reason", String(16), nullable=False),
    Column("proposal", String(32), nullable=True),
    Column("approver", Text, nullable=True),
    Column("attestation", Text, nullable=True),
    Column("signature", Text, nullable=True),
    Column("reverted_from", Integer, nullable=True),
    Column("changes", Text, nullable=False),
)
config_values = Table(
    "config_values",
    metadata,
    Column("environment", String(64), primary_key=True),
    Column("version", Integer, primary_key=True, autoincrement=False),
    Column("key", String(255), primary_key=True),
    Column("secret", Boolean, nullable=False),
    Column("plain", Text, nullable=True),
    Column("sealed", Text, nullable=True),
    Column("value_hash", String(64), nullable=False),
    Column("length", Integer, nullable=False),
)
config_proposals = Table(
    "config_proposals",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("environment", String(64), nullable=False),
    Column("base_version", Integer, nullable=True),
    Column("proposer", Text, nullable=False),
    Column("created_at", String(32), nullable=False),
    Column("origin", String(16), nullable=False),
    Column("changes", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("decided_by", Text, nullable=True),
    Column("decided_at", String(32), nullable=True),
    Column("note", Text, nullable=True),
    Column("version", Integer, nullable=True),
)
Index("ix_config_proposals_environment", config_proposals.c.environment)
config_applies = Table(
    "config_applies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("environment", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("content_sha256", String(64), nullable=False),
    Column("applied_at", String(32), nullable=False),
    Column("actor", Text, nullable=False),
    Column("reason", String(16), nullable=False),
)
Index("ix_config_applies_environment", config_applies.c.environment)
