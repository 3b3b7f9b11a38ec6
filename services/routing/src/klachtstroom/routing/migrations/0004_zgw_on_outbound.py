"""Zaken API calls move to the platform's outbound queue (`outbound_calls`, kinds `zgw.*`).

Calls still queued or finished are copied over (states renamed: done -> sent, failed -> dead;
one sequence per case, as before), then the old `zgw_calls` table is dropped.

Revision ID: 0004
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    old = sa.table(
        "zgw_calls",
        *(
            sa.column(name, sa.DateTime(timezone=True) if name.endswith("_at") else None)
            for name in (
                "id", "case_id", "operation", "status", "attempts", "next_attempt_at",
                "last_error", "created_at", "finished_at",
            )
        ),
        sa.column("payload", sa.JSON()),
    )  # fmt: skip
    calls = sa.table(
        "outbound_calls",
        *(
            sa.column(name, sa.DateTime(timezone=True) if name.endswith("_at") else None)
            for name in (
                "message_id", "kind", "subject", "recipient", "sequence_key", "body", "state", "attempts",
                "next_attempt_at", "last_error", "last_status_code", "created_at", "finished_at",
            )
        ),
    )  # fmt: skip
    states = {"done": "sent", "failed": "dead"}
    rows = [
        {
            "message_id": f"msg_routing_zgw_{r.id}",
            "kind": f"zgw.{r.operation}",
            "subject": r.case_id,
            "recipient": None,
            "sequence_key": f"zgw:{r.case_id}",
            "body": json.dumps(r.payload, ensure_ascii=False, sort_keys=True).encode(),
            "state": states.get(r.status, "pending"),
            "attempts": r.attempts,
            "next_attempt_at": r.next_attempt_at,
            "last_error": (r.last_error or "")[:200] or None,
            "last_status_code": None,
            "created_at": r.created_at,
            "finished_at": r.finished_at,
        }
        for r in bind.execute(sa.select(old).order_by(old.c.id))
    ]
    if rows:
        op.bulk_insert(calls, rows)
    with op.batch_alter_table("zgw_calls", schema=None) as batch_op:
        batch_op.drop_index("ix_zgw_calls_due")
        batch_op.drop_index(batch_op.f("ix_zgw_calls_case_id"))
    op.drop_table("zgw_calls")


def downgrade() -> None:
    raise NotImplementedError("the outbound queue is not moved back")
