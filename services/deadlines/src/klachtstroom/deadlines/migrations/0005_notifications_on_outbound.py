"""Notification deliveries move to the platform's outbound queue (`outbound_calls`, kinds
`notification.*`).

A notification keeps what was told to whom (step, channel, target, subject, body) and gets the
`message_id` of its outbound call: `msg_deadlines_<id>`, the `webhook-id` it was sent with before,
so a receiver still drops a repeat. Every notification gets its call with the state it had
(dropped -> dead), attempts and next attempt: one still pending is sent after the upgrade. The
delivery columns of `notifications` are then dropped.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
DELIVERY_COLUMNS = (
    "state",
    "attempts",
    "next_attempt_at",
    "last_error",
    "claimed_by",
    "claimed_until",
    "sent_at",
)


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

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=100), nullable=True))

    bind = op.get_bind()
    old = sa.table(
        "notifications",
        *(sa.column(name) for name in ("id", "case_id", "channel", "state", "attempts", "last_error")),
        *(
            sa.column(name, sa.DateTime(timezone=True))
            for name in ("next_attempt_at", "created_at", "sent_at")
        ),
        sa.column("message_id"),
    )
    states = {"sent": "sent", "dropped": "dead"}
    rows = [
        {
            "message_id": f"msg_deadlines_{r.id}",
            "kind": f"notification.{r.channel}",
            "subject": r.case_id,
            "recipient": None,
            "sequence_key": None,
            "body": b"",  # the deliverer reads the notification by its message id
            "state": states.get(r.state, "pending"),
            "attempts": r.attempts,
            "next_attempt_at": r.next_attempt_at,
            "last_error": (r.last_error or "")[:200] or None,
            "last_status_code": None,
            "created_at": r.created_at,
            "finished_at": r.sent_at,
        }
        for r in bind.execute(sa.select(old).order_by(old.c.id))
    ]
    if rows:
        op.bulk_insert(calls, rows)
    bind.execute(old.update().values(message_id=sa.literal("msg_deadlines_") + sa.cast(old.c.id, sa.String)))

    with op.batch_alter_table("notifications", schema=None) as batch_op:
        batch_op.drop_index("ix_notifications_state_next")
        for name in DELIVERY_COLUMNS:
            batch_op.drop_column(name)
        batch_op.alter_column("message_id", existing_type=sa.String(length=100), nullable=False)
        batch_op.create_unique_constraint("uq_notifications_message_id", ["message_id"])


def downgrade() -> None:
    raise NotImplementedError("the outbound queue is not moved back")
