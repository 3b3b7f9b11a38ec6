"""Whether the complainant agreed that the provider may contact them (from ComplaintReceived).

Cases opened before stay without consent (false): their hand-overs carry no contact details.

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
    with op.batch_alter_table("cases") as batch:
        batch.add_column(
            sa.Column("provider_may_contact", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("cases") as batch:
        batch.drop_column("provider_may_contact")
