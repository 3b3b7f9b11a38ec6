"""Flags for the coordinator (follow-up calls after poor feedback) and the ombudsman's outcomes.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

NEW_TABLES = ("case_flags", "ombudsman_outcomes")


def upgrade() -> None:
    from klachtstroom.routing.tables import Base

    tables = [Base.metadata.tables[name] for name in NEW_TABLES]
    Base.metadata.create_all(op.get_bind(), tables=tables, checkfirst=True)


def downgrade() -> None:
    from klachtstroom.routing.tables import Base

    tables = [Base.metadata.tables[name] for name in NEW_TABLES]
    Base.metadata.drop_all(op.get_bind(), tables=tables, checkfirst=True)
