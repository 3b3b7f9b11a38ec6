"""Messages to residents move onto the platform's outbound queue (`outbound_calls`, kind
`resident.message`).

A message keeps what the API shows (state, attempts, last error, sent_at) and its encrypted
address and text; its queue columns (next attempt, lease) go to its outbound call. Every message
still pending gets its call, with its attempts and next attempt, so it is written and sent after
the upgrade; the call holds only the message's row id (`msg_intake_resident_<id>`), never a
text or an address. Sent, printed and failed messages get no call.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
QUEUE_COLUMNS = ("next_attempt_at", "claimed_until", "claimed_by")


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
        "resident_messages",
        *(sa.column(name) for name in ("id", "complaint_id", "state", "attempts", "last_error")),
        *(sa.column(name, sa.DateTime(timezone=True)) for name in ("next_attempt_at", "created_at")),
    )
    rows = [
        {
            "message_id": f"msg_intake_resident_{r.id}",
            "kind": "resident.message",
            "subject": r.complaint_id,
            "recipient": None,
            "sequence_key": None,
            "body": str(r.id).encode(),  # the deliverer reads the (encrypted) message by its id
            "state": "pending",
            "attempts": r.attempts,
            "next_attempt_at": r.next_attempt_at,
            "last_error": (r.last_error or "")[:200] or None,
            "last_status_code": None,
            "created_at": r.created_at,
            "finished_at": None,
        }
        for r in bind.execute(sa.select(old).where(old.c.state == "pending").order_by(old.c.id))
    ]
    if rows:
        op.bulk_insert(calls, rows)

    with op.batch_alter_table("resident_messages", schema=None) as batch_op:
        for name in QUEUE_COLUMNS:
            batch_op.drop_column(name)


def downgrade() -> None:
    raise NotImplementedError("the outbound queue is not moved back")
