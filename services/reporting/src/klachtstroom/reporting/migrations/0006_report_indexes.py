"""Indexes for reports over years of data: one municipality's received dates, providers, and the
received dates with what a report's scope and `by_municipality` read (counted in the index), and
one municipality's cases by state (the dashboard's open cases).

Both projection sets (`case_facts_a`, `case_facts_b`) get them, so a rebuild's swap keeps them.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

TABLES = ("case_facts_a", "case_facts_b")


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f"ix_{table}_municipality_received_on", table, ["municipality", "received_on"])
        op.create_index(f"ix_{table}_provider", table, ["provider"])
        op.create_index(
            f"ix_{table}_received_on_scope",
            table,
            ["received_on", "municipality", "provider", "complete", "merged_into"],
        )
        op.create_index(f"ix_{table}_municipality_state", table, ["municipality", "state"])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_municipality_state", table_name=table)
        op.drop_index(f"ix_{table}_received_on_scope", table_name=table)
        op.drop_index(f"ix_{table}_provider", table_name=table)
        op.drop_index(f"ix_{table}_municipality_received_on", table_name=table)
