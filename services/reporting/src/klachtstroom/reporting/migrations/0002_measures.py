"""The measures register (leren van klachten).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from klachtstroom.reporting.store import Base

    Base.metadata.create_all(op.get_bind(), tables=[Base.metadata.tables["measures"]], checkfirst=True)


def downgrade() -> None:
    from klachtstroom.reporting.store import Base

    Base.metadata.drop_all(op.get_bind(), tables=[Base.metadata.tables["measures"]], checkfirst=True)
