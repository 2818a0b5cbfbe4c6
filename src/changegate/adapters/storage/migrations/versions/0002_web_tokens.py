"""Dashboard sign-in tokens: per user, one role each, only a hash stored.

Revision ID: 0002_web_tokens
Revises: 0001_ledger
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_web_tokens"
down_revision = "0001_ledger"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_tokens",
        # The token's public half ("cg_<id>_<secret>"): lets a lookup be an index
        # probe and a revocation name a token without knowing its secret.
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("user", sa.Text, nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("created_by", sa.Text, nullable=False),
        sa.Column("revoked_at", sa.String(32), nullable=True),
    )
    op.create_index("ix_web_tokens_user", "web_tokens", ["user"])


def downgrade() -> None:
    op.drop_table("web_tokens")
