"""An index that holds every column a report counts, so the annual report over years of all
municipalities' data reads no table row: the received dates widened with the municipality, the
scope and the counted columns. One municipality's received dates are widened with the scope, so
`by_municipality` counts each name's years in the index. They replace the narrower indexes of
0006 with the same leading columns, so every query those served is served as before.

Both projection sets (`case_facts_a`, `case_facts_b`) get them, so a rebuild's swap keeps them.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

TABLES = ("case_facts_a", "case_facts_b")
# As `store.SCOPE` and `store.COUNTED`: the scope of a report, then what `reports/aggregates.py`
# counts.
SCOPE = ("provider", "complete", "merged_into")
COUNTED = (
    *SCOPE, "unit", "category", "channel", "kind", "state", "outcome", "resolution", "handler",
    "decision_due", "resolved_on", "contact_due", "acknowledged_on", "ombudsman",
)  # fmt: skip


def upgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_received_on_scope", table_name=table)
        op.drop_index(f"ix_{table}_municipality_received_on", table_name=table)
        op.create_index(f"ix_{table}_received_on_counted", table, ["received_on", "municipality", *COUNTED])
        op.create_index(f"ix_{table}_municipality_scope", table, ["municipality", "received_on", *SCOPE])


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f"ix_{table}_municipality_scope", table_name=table)
        op.drop_index(f"ix_{table}_received_on_counted", table_name=table)
        op.create_index(f"ix_{table}_municipality_received_on", table, ["municipality", "received_on"])
        op.create_index(
            f"ix_{table}_received_on_scope",
            table,
            ["received_on", "municipality", "provider", "complete", "merged_into"],
        )
