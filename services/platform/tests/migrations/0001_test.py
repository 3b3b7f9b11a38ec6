"""Test schema: the metadata handed to the migration by the test.

Revision ID: 0001
"""

from __future__ import annotations

from alembic import context, op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    context.config.attributes["target_metadata"].create_all(op.get_bind())
