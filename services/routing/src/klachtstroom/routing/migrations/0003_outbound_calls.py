"""Provider hand-overs move to the platform's outbound queue (`outbound_calls`).

Pending and finished deliveries are copied over (same ids as message ids, states renamed:
delivered -> sent, failed -> dead), then the old `deliveries` table is dropped.

Revision ID: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    calls = op.create_table(
        "outbound_calls",
        sa.Column("id", Serial, autoincrement=True, nullable=False),
        sa.Column("message_id", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=60), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=True),
        sa.Column("recipient", sa.String(length=200), nullable=True),
        sa.Column("sequence_key", sa.String(length=200), nullable=True),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_by", sa.String(length=100), nullable=True),
        sa.Column("claimed_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.String(length=200), nullable=True),
        sa.Column("last_status_code", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("message_id"),
    )
    with op.batch_alter_table("outbound_calls", schema=None) as batch_op:
        batch_op.create_index("ix_outbound_calls_due", ["state", "next_attempt_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbound_calls_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbound_calls_recipient"), ["recipient"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbound_calls_sequence_key"), ["sequence_key"], unique=False)
        batch_op.create_index(batch_op.f("ix_outbound_calls_subject"), ["subject"], unique=False)

    bind = op.get_bind()
    old = sa.table(
        "deliveries",
        *(
            sa.column(name, sa.DateTime(timezone=True) if name.endswith("_at") else None)
            for name in (
                "id", "provider_key", "case_id", "kind", "body", "status", "attempts",
                "next_attempt_at", "last_error", "last_status_code", "created_at", "finished_at",
            )
        ),
    )  # fmt: skip
    states = {"delivered": "sent", "failed": "dead"}
    rows = [
        {
            "message_id": f"msg_routing_{r.case_id}_{r.id}",
            "kind": r.kind,
            "subject": r.case_id,
            "recipient": r.provider_key,
            "sequence_key": f"provider:{r.case_id}",
            "body": r.body,
            "state": states.get(r.status, "pending"),
            "attempts": r.attempts,
            "next_attempt_at": r.next_attempt_at,
            "last_error": (r.last_error or "")[:200] or None,
            "last_status_code": r.last_status_code,
            "created_at": r.created_at,
            "finished_at": r.finished_at,
        }
        for r in bind.execute(sa.select(old).order_by(old.c.id))
    ]
    if rows:
        op.bulk_insert(calls, rows)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_index("ix_deliveries_due")
        batch_op.drop_index(batch_op.f("ix_deliveries_case_id"))
        batch_op.drop_index(batch_op.f("ix_deliveries_provider_key"))
    op.drop_table("deliveries")


def downgrade() -> None:
    raise NotImplementedError("the outbound queue is not moved back")
