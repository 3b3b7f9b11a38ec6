"""Baseline schema of reporting: every table as of release 0.1, written out as DDL.

Later changes are new revisions; this one stays as it is.

Revision ID: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_facts_a",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("municipality", sa.String(length=200), nullable=True),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("provider", sa.String(length=200), nullable=True),
        sa.Column("handler", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("decision_due", sa.Date(), nullable=True),
        sa.Column("contact_due", sa.Date(), nullable=True),
        sa.Column("acknowledged_on", sa.Date(), nullable=True),
        sa.Column("ombudsman", sa.Boolean(), nullable=False),
        sa.Column("mediated_with_partner", sa.Boolean(), nullable=False),
        sa.Column("provider_measures", sa.Text(), nullable=True),
        sa.Column("decision_state", sa.String(length=20), nullable=True),
        sa.Column("contact_state", sa.String(length=20), nullable=True),
        sa.Column("merged_into", sa.String(length=64), nullable=True),
        sa.Column("imported", sa.Boolean(), nullable=False),
        sa.Column("urgent_reasons", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_facts_a", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_facts_a_complete"), ["complete"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_facts_a_received_on"), ["received_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_facts_a_state"), ["state"], unique=False)

    op.create_table(
        "case_facts_b",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("complete", sa.Boolean(), nullable=False),
        sa.Column("reference", sa.String(length=40), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=True),
        sa.Column("category", sa.String(length=30), nullable=True),
        sa.Column("urgent", sa.Boolean(), nullable=False),
        sa.Column("municipality", sa.String(length=200), nullable=True),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("provider", sa.String(length=200), nullable=True),
        sa.Column("handler", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=True),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("resolved_on", sa.Date(), nullable=True),
        sa.Column("decision_due", sa.Date(), nullable=True),
        sa.Column("contact_due", sa.Date(), nullable=True),
        sa.Column("acknowledged_on", sa.Date(), nullable=True),
        sa.Column("ombudsman", sa.Boolean(), nullable=False),
        sa.Column("mediated_with_partner", sa.Boolean(), nullable=False),
        sa.Column("provider_measures", sa.Text(), nullable=True),
        sa.Column("decision_state", sa.String(length=20), nullable=True),
        sa.Column("contact_state", sa.String(length=20), nullable=True),
        sa.Column("merged_into", sa.String(length=64), nullable=True),
        sa.Column("imported", sa.Boolean(), nullable=False),
        sa.Column("urgent_reasons", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_facts_b", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_facts_b_complete"), ["complete"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_facts_b_received_on"), ["received_on"], unique=False)
        batch_op.create_index(batch_op.f("ix_case_facts_b_state"), ["state"], unique=False)

    op.create_table(
        "delivery_attempts",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "event_log_a",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("complaint_id", sa.String(length=64), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("time_us", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=120), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("folded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("event_log_a", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_log_a_complaint_id"), ["complaint_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_log_a_folded"), ["folded"], unique=False)

    op.create_table(
        "event_log_b",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.String(length=100), nullable=False),
        sa.Column("complaint_id", sa.String(length=64), nullable=False),
        sa.Column("stream", sa.String(length=64), nullable=False),
        sa.Column("time_us", sa.BigInteger(), nullable=False),
        sa.Column("type", sa.String(length=120), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("folded", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("event_log_b", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_event_log_b_complaint_id"), ["complaint_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_event_log_b_folded"), ["folded"], unique=False)

    op.create_table(
        "leases",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=100), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "outbox",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("value", sa.LargeBinary(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("event_id"),
    )
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_outbox_sent_at"), ["sent_at"], unique=False)

    op.create_table(
        "processed_messages",
        sa.Column("consumer", sa.String(length=100), nullable=False),
        sa.Column("event_id", sa.String(length=64), nullable=False),
        sa.Column("processed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("consumer", "event_id"),
    )
    op.create_table(
        "projection_state",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("live", sa.String(length=1), nullable=False),
        sa.Column("rebuilt_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )
    op.create_table(
        "signal_deliveries",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("signal_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=True),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("signal_id", "channel", name="uq_signal_delivery"),
    )
    with op.batch_alter_table("signal_deliveries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signal_deliveries_signal_id"), ["signal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signal_deliveries_state"), ["state"], unique=False)

    op.create_table(
        "signals",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False
        ),
        sa.Column("signal_id", sa.String(length=64), nullable=False),
        sa.Column("dedupe_key", sa.String(length=400), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("complaint_id", sa.String(length=64), nullable=True),
        sa.Column("trend_kind", sa.String(length=40), nullable=True),
        sa.Column("trend_key", sa.String(length=200), nullable=True),
        sa.Column("window_end", sa.Date(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("dedupe_key"),
        sa.UniqueConstraint("signal_id"),
    )
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signals_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_signals_complaint_id"), ["complaint_id"], unique=False)
    # Table set A is live until the first rebuild (see rebuild.py): the pointer row starts here.
    pointer = sa.table("projection_state", sa.column("name"), sa.column("live"), sa.column("rebuilt_at"))
    op.bulk_insert(pointer, [{"name": "projection", "live": "a", "rebuilt_at": None}])


def downgrade() -> None:
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signals_complaint_id"))
        batch_op.drop_index(batch_op.f("ix_signals_at"))

    op.drop_table("signals")
    with op.batch_alter_table("signal_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signal_deliveries_state"))
        batch_op.drop_index(batch_op.f("ix_signal_deliveries_signal_id"))

    op.drop_table("signal_deliveries")
    op.drop_table("projection_state")
    op.drop_table("processed_messages")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_sent_at"))

    op.drop_table("outbox")
    op.drop_table("leases")
    with op.batch_alter_table("event_log_b", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_log_b_folded"))
        batch_op.drop_index(batch_op.f("ix_event_log_b_complaint_id"))

    op.drop_table("event_log_b")
    with op.batch_alter_table("event_log_a", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_event_log_a_folded"))
        batch_op.drop_index(batch_op.f("ix_event_log_a_complaint_id"))

    op.drop_table("event_log_a")
    op.drop_table("delivery_attempts")
    with op.batch_alter_table("case_facts_b", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_facts_b_state"))
        batch_op.drop_index(batch_op.f("ix_case_facts_b_received_on"))
        batch_op.drop_index(batch_op.f("ix_case_facts_b_complete"))

    op.drop_table("case_facts_b")
    with op.batch_alter_table("case_facts_a", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_facts_a_state"))
        batch_op.drop_index(batch_op.f("ix_case_facts_a_received_on"))
        batch_op.drop_index(batch_op.f("ix_case_facts_a_complete"))

    op.drop_table("case_facts_a")
