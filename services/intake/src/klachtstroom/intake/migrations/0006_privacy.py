"""Privacy: the employee's name encrypted at rest (a token needs a text column), when a file
was destroyed by retention, and the log of privacy work.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.alter_column(
            "about_employee", type_=sa.Text(), existing_type=sa.String(200), existing_nullable=True
        )
        batch.add_column(sa.Column("destroyed_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "privacy_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("role", sa.String(40), nullable=True),
        sa.Column("complaint_ids", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
    )
    op.create_index("ix_privacy_log_at", "privacy_log", ["at"])


def downgrade() -> None:
    op.drop_index("ix_privacy_log_at", "privacy_log")
    op.drop_table("privacy_log")
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("destroyed_at")
        batch.alter_column(
            "about_employee", type_=sa.String(200), existing_type=sa.Text(), existing_nullable=True
        )
