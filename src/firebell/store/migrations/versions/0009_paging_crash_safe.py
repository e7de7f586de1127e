"""paging: crash-safe outbox (per-message send attempt, lease owner) and urgency order

Revision ID: 0009
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import firebell.store.types

revision = "0009"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.add_column(
            sa.Column(
                "send_started_at", firebell.store.types.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch.add_column(sa.Column("leased_by", sa.String(length=120), nullable=True))
        batch.add_column(
            sa.Column("priority", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )


def downgrade() -> None:
    with op.batch_alter_table("messages") as batch:
        batch.drop_column("priority")
        batch.drop_column("leased_by")
        batch.drop_column("send_started_at")
