"""console: users with passwords and a playbook person; server-side web sessions

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from firebell.store.types import UTCDateTime

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("person", sa.String(64), nullable=True))
        batch.add_column(sa.Column("password_hash", sa.Text(), nullable=True))
        batch.add_column(sa.Column("disabled_at", UTCDateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("setup_digest", sa.String(64), nullable=True))
        batch.add_column(sa.Column("setup_expires_at", UTCDateTime(timezone=True), nullable=True))
    op.create_table(
        "web_sessions",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("user_id", BigId, sa.ForeignKey("users.id"), nullable=False, index=True),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("agent", sa.String(300), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", UTCDateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("web_sessions")
    with op.batch_alter_table("users") as batch:
        for name in ("setup_expires_at", "setup_digest", "disabled_at", "password_hash", "person"):
            batch.drop_column(name)
