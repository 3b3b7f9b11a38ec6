"""The resident's side: own status links, progress and timeline, feedback, messages and templates.

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NEW_TABLES = (
    "status_links",
    "desired_outcomes",
    "resident_progress",
    "resident_updates",
    "feedback",
    "resident_messages",
    "message_templates",
)


def upgrade() -> None:
    from klachtstroom.intake.store import Base

    tables = [Base.metadata.tables[name] for name in NEW_TABLES]
    Base.metadata.create_all(op.get_bind(), tables=tables, checkfirst=True)


def downgrade() -> None:
    from klachtstroom.intake.store import Base

    tables = [Base.metadata.tables[name] for name in NEW_TABLES]
    Base.metadata.drop_all(op.get_bind(), tables=tables, checkfirst=True)
