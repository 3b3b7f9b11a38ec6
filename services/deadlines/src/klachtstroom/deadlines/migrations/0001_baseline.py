"""Baseline schema of deadlines (tables as declared in store.py at version 0.1).

Revision ID: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    from klachtstroom.deadlines.store import Base

    Base.metadata.create_all(op.get_bind())


def downgrade() -> None:
    from klachtstroom.deadlines.store import Base

    Base.metadata.drop_all(op.get_bind())
