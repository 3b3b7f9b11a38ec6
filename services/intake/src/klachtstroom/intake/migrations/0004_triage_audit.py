"""Triage corrections are auditable and can be undone: what triage said before, who undid it, when.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

COLUMNS = (
    ("previous", sa.JSON()),
    ("undone_by", sa.String(200)),
    ("undone_at", sa.DateTime(timezone=True)),
)


def upgrade() -> None:
    present = {column["name"] for column in sa.inspect(op.get_bind()).get_columns("triage_overrides")}
    with op.batch_alter_table("triage_overrides") as batch:
        for name, kind in COLUMNS:
            if name not in present:
                batch.add_column(sa.Column(name, kind, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("triage_overrides") as batch:
        for name, _kind in reversed(COLUMNS):
            batch.drop_column(name)
