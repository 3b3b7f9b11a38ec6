"""The complainant's consent that the provider of a referred complaint may call or mail them.

Complaints registered before stay without consent (false).

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.add_column(
            sa.Column("provider_may_contact", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("complaints") as batch:
        batch.drop_column("provider_may_contact")
