"""The name of the employee a complaint is about is encrypted at rest: a token needs a text column.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.alter_column(
            "about_employee", type_=sa.Text(), existing_type=sa.String(200), existing_nullable=True
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.alter_column(
            "about_employee", type_=sa.String(200), existing_type=sa.Text(), existing_nullable=True
        )
