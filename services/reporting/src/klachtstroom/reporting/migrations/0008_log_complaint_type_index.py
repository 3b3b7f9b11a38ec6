"""The event log's index on the complaint widened with the event type, so a report's feedback
and norms (learning/evidence.py) find a complaint's few events of those types in the index
instead of reading every event row of every complaint of the year. It replaces the index on the
complaint alone, whose every use the wider one serves.

Both projection sets (`event_log_a`, `event_log_b`) get it, so a rebuild's swap keeps it. On a
large PostgreSQL log the index is built while writes to the log wait; build it by hand first
(`CREATE INDEX CONCURRENTLY`) where that matters.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

TABLES = ("event_log_a", "event_log_b")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_complaint_id_type", table, ["complaint_id", "type"])
        op.drop_index(f"ix_{table}_complaint_id", table_name=table)


def downgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_complaint_id", table, ["complaint_id"])
        op.drop_index(f"ix_{table}_complaint_id_type", table_name=table)
