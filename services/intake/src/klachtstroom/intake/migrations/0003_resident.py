"""The resident's side: own status links, progress and timeline, feedback, messages and templates.

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

NEW_TABLES = (
    "status_links",
    "desired_outcomes",
    "resident_progress",
    "resident_updates",
    "feedback",
    "message_templates",
)


def _resident_messages(metadata: sa.MetaData) -> sa.Table:
    """The messages table as this release made it (0010 moved its queue columns to outbound_calls)."""
    return sa.Table(
        "resident_messages",
        metadata,
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("complaint_id", sa.String(36), nullable=False, index=True),
        sa.Column("kind", sa.String(30), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(10), nullable=False),
        sa.Column("state", sa.String(10), nullable=False, index=True),
        sa.Column("recipient_enc", sa.LargeBinary(), nullable=True),
        sa.Column("subject", sa.String(300), nullable=False),
        sa.Column("body_enc", sa.LargeBinary(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("claimed_by", sa.String(200), nullable=True),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.UniqueConstraint("complaint_id", "kind", "seq", name="uq_resident_message_once"),
    )


def upgrade() -> None:
    from klachtstroom.intake.store import Base

    tables = [Base.metadata.tables[name] for name in NEW_TABLES]
    Base.metadata.create_all(op.get_bind(), tables=tables, checkfirst=True)
    _resident_messages(sa.MetaData()).create(op.get_bind(), checkfirst=True)


def downgrade() -> None:
    from klachtstroom.intake.store import Base

    tables = [Base.metadata.tables[name] for name in NEW_TABLES]
    Base.metadata.drop_all(op.get_bind(), tables=tables, checkfirst=True)
    _resident_messages(sa.MetaData()).drop(op.get_bind(), checkfirst=True)
