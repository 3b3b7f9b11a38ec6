"""Tables for e-mail replies, duplicate suspicions and bulk imports; attachments of replies.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

NEW_TABLES = ("complaint_messages", "duplicate_suspicions", "import_jobs")


def upgrade() -> None:
    from klachtstroom.intake.store import Base

    # The written-out baseline already holds these; a database made by an earlier development
    # build (whose baseline created only the first tables) gets the new tables and column here.
    bind = op.get_bind()
    tables = [Base.metadata.tables[name] for name in NEW_TABLES]
    Base.metadata.create_all(bind, tables=tables, checkfirst=True)
    columns = {column["name"] for column in sa.inspect(bind).get_columns("attachments")}
    if "message_id" not in columns:
        with op.batch_alter_table("attachments") as batch:
            batch.add_column(sa.Column("message_id", sa.String(36), nullable=True))


def downgrade() -> None:
    from klachtstroom.intake.store import Base

    bind = op.get_bind()
    Base.metadata.drop_all(bind, tables=[Base.metadata.tables[name] for name in NEW_TABLES], checkfirst=True)
    with op.batch_alter_table("attachments") as batch:
        batch.drop_column("message_id")
