"""Letters: a municipality's own wording per letter (admin), and each letter as it was sent.

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


def upgrade() -> None:
    op.create_table(
        "letter_templates",
        sa.Column("kind", sa.String(40), primary_key=True),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("updated_by", sa.String(200), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "sent_letters",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("about", sa.String(40), nullable=False),
        sa.Column("letter_date", sa.Date(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_by", sa.String(200), nullable=False),
        sa.Column("organisation", sa.Text(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("addressee", sa.JSON(), nullable=False),
        sa.UniqueConstraint("case_id", "kind", "about", name="uq_sent_letters_case_kind_about"),
    )
    op.create_index("ix_sent_letters_case_id", "sent_letters", ["case_id"])


def downgrade() -> None:
    op.drop_index("ix_sent_letters_case_id", "sent_letters")
    op.drop_table("sent_letters")
    op.drop_table("letter_templates")
