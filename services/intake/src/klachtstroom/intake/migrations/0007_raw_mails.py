"""E-mails kept as they arrived (encrypted): `raw_mails`.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "raw_mails",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("complaint_id", sa.String(length=36), nullable=False),
        sa.Column("message_id", sa.String(length=36), nullable=True),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["complaint_id"], ["complaints.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("raw_mails") as batch:
        batch.create_index(batch.f("ix_raw_mails_complaint_id"), ["complaint_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("raw_mails") as batch:
        batch.drop_index(batch.f("ix_raw_mails_complaint_id"))
    op.drop_table("raw_mails")
