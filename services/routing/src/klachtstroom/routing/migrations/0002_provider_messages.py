"""Provider status reports already handled, by their Standard Webhooks `webhook-id`.

Revision ID: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "provider_messages",
        sa.Column("provider_key", sa.String(length=200), nullable=False),
        sa.Column("message_id", sa.String(length=200), nullable=False),
        sa.Column("case_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider_key", "message_id"),
    )
    with op.batch_alter_table("provider_messages", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_provider_messages_received_at"), ["received_at"], unique=False)


def downgrade() -> None:
    op.drop_table("provider_messages")
