"""Signal deliveries move to the platform's outbound queue (`outbound_calls`, kinds `signal.*`).

Every delivery is copied over with its state (failed -> dead), attempts and next attempt, so one
still pending is sent after the upgrade with the same ids the receiver drops repeats by
(`msg_<signal id>` for the webhook, `<signal id@klachtstroom>` for the e-mail); the call's body is
the webhook body of its signal. Then the old `signal_deliveries` table is dropped.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

Serial = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
EVENT_TYPES = {"urgent": "nl.klachtstroom.signal.urgent.v1", "trend": "nl.klachtstroom.signal.trend.v1"}


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
        "signal_deliveries",
        *(sa.column(name) for name in ("id", "signal_id", "channel", "state", "attempts", "last_error")),
        sa.column("next_attempt_at", sa.DateTime(timezone=True)),
        sa.column("sent_at", sa.DateTime(timezone=True)),
    )
    signals = sa.table(
        "signals",
        sa.column("signal_id"),
        sa.column("kind"),
        sa.column("at", sa.DateTime(timezone=True)),
        sa.column("payload", sa.JSON()),
    )
    found = bind.execute(
        sa.select(old, signals.c.kind.label("signal_kind"), signals.c.at, signals.c.payload)
        .select_from(old.outerjoin(signals, signals.c.signal_id == old.c.signal_id))
        .order_by(old.c.id)
    )
    states = {"sent": "sent", "failed": "dead"}
    rows = []
    for r in found:
        body = b"{}"  # no signal stored with it: the queue records it as unreadable, sends nothing
        if r.payload is not None and r.signal_kind in EVENT_TYPES:
            document = {"type": EVENT_TYPES[r.signal_kind], "signal": r.payload}
            body = json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()
        email = r.channel == "email"
        rows.append(
            {
                "message_id": f"<{r.signal_id}@klachtstroom>" if email else f"msg_{r.signal_id}",
                "kind": f"signal.{r.channel}",
                "subject": r.signal_id,
                "recipient": None,
                "sequence_key": None,
                "body": body,
                "state": states.get(r.state, "pending"),
                "attempts": r.attempts,
                "next_attempt_at": r.next_attempt_at,
                "last_error": (r.last_error or "")[:200] or None,
                "last_status_code": None,
                "created_at": r.at or r.next_attempt_at,
                "finished_at": r.sent_at,
            }
        )
    if rows:
        op.bulk_insert(calls, rows)
    with op.batch_alter_table("signal_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signal_deliveries_state"))
        batch_op.drop_index(batch_op.f("ix_signal_deliveries_signal_id"))
    op.drop_table("signal_deliveries")


def downgrade() -> None:
    raise NotImplementedError("the outbound queue is not moved back")
