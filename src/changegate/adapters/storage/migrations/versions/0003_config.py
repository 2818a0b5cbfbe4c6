"""Configuration store: per-environment versions, values (secrets sealed), proposals, applies.

Revision ID: 0003_config
Revises: 0002_web_tokens
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_config"
down_revision = "0002_web_tokens"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "config_envs",
        sa.Column("environment", sa.String(64), primary_key=True),
        # The value-hash key, sealed with the environment's encryption key: value
        # hashes are keyed, so the database alone cannot confirm a guessed secret.
        sa.Column("hmac_key", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("rotated_at", sa.String(32), nullable=True),
    )
    op.create_table(
        "config_versions",
        # (environment, version) is the check-and-set: two approvals of proposals
        # made on the same version cannot both create the next one.
        sa.Column("environment", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("proposal", sa.String(32), nullable=True),
        sa.Column("approver", sa.Text, nullable=True),
        sa.Column("attestation", sa.Text, nullable=True),
        sa.Column("signature", sa.Text, nullable=True),
        sa.Column("reverted_from", sa.Integer, nullable=True),
        sa.Column("changes", sa.Text, nullable=False),
    )
    op.create_table(
        "config_values",
        sa.Column("environment", sa.String(64), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("secret", sa.Boolean, nullable=False),
        sa.Column("plain", sa.Text, nullable=True),
        sa.Column("sealed", sa.Text, nullable=True),
        sa.Column("value_hash", sa.String(64), nullable=False),
        sa.Column("length", sa.Integer, nullable=False),
    )
    op.create_table(
        "config_proposals",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("base_version", sa.Integer, nullable=True),
        sa.Column("proposer", sa.Text, nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("origin", sa.String(16), nullable=False),
        sa.Column("changes", sa.Text, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.Text, nullable=True),
        sa.Column("decided_at", sa.String(32), nullable=True),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("version", sa.Integer, nullable=True),
    )
    op.create_index("ix_config_proposals_environment", "config_proposals", ["environment"])
    op.create_table(
        "config_applies",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("environment", sa.String(64), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("content_sha256", sa.String(64), nullable=False),
        sa.Column("applied_at", sa.String(32), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
    )
    op.create_index("ix_config_applies_environment", "config_applies", ["environment"])


def downgrade() -> None:
    for table in (
        "config_applies",
        "config_proposals",
        "config_values",
        "config_versions",
        "config_envs",
    ):
        op.drop_table(table)
