"""The append-only ledger table, with triggers that refuse UPDATE and DELETE.

Revision ID: 0001_ledger
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_ledger"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "ledger_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),  # SQLite: the rowid
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("ts", sa.String(32), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(128), nullable=False),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_index("ix_ledger_events_action", "ledger_events", ["action"])
    op.create_index("ix_ledger_events_subject", "ledger_events", ["subject"])
    op.create_index("ix_ledger_events_ts", "ledger_events", ["ts"])
    # Defence in depth: the hash chain detects tampering, these triggers make
    # the honest mistake (an UPDATE typed into a console) impossible.
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION changegate_ledger_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'ledger_events is append-only';
            END $$;
            """
        )
        op.execute(
            "CREATE TRIGGER ledger_events_append_only BEFORE UPDATE OR DELETE ON ledger_events "
            "FOR EACH ROW EXECUTE FUNCTION changegate_ledger_append_only()"
        )
        op.execute(
            "CREATE TRIGGER ledger_events_no_truncate BEFORE TRUNCATE ON ledger_events "
            "FOR EACH STATEMENT EXECUTE FUNCTION changegate_ledger_append_only()"
        )
    else:
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER ledger_events_no_{verb.lower()} BEFORE {verb} ON ledger_events "
                "BEGIN SELECT RAISE(ABORT, 'ledger_events is append-only'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ledger_events_append_only ON ledger_events")
        op.execute("DROP TRIGGER IF EXISTS ledger_events_no_truncate ON ledger_events")
        op.execute("DROP FUNCTION IF EXISTS changegate_ledger_append_only()")
    op.drop_table("ledger_events")
