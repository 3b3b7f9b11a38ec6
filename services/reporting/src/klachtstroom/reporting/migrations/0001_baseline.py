"""Baseline schema of reporting (tables as declared in store.py at version 0.1).

Revision ID: 0001
"""

from __future__ import annotations

from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    from klachtstroom.reporting.store import POINTER, Base, ProjectionState

    Base.metadata.create_all(op.get_bind())
    # Set A is live until the first rebuild.
    op.bulk_insert(ProjectionState.__table__, [{"name": POINTER, "live": "a", "rebuilt_at": None}])  # type: ignore[arg-type]


def downgrade() -> None:
    from klachtstroom.reporting.store import Base

    Base.metadata.drop_all(op.get_bind())
