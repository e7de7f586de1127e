"""sso: a user's link to an OpenID Connect identity; pending single sign-on attempts

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from firebell.store.types import UTCDateTime

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("sso_issuer", sa.String(500), nullable=True))
        batch.add_column(sa.Column("sso_subject", sa.String(255), nullable=True))
        batch.create_unique_constraint("uq_users_sso", ["sso_issuer", "sso_subject"])
    op.create_table(
        "sso_logins",
        sa.Column("id", BigId, primary_key=True, autoincrement=True),
        sa.Column("digest", sa.String(64), nullable=False, unique=True),
        sa.Column("state", sa.String(64), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("verifier", sa.String(128), nullable=False),
        sa.Column("next", sa.String(2000), nullable=False),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", UTCDateTime(timezone=True), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("sso_logins")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_sso", type_="unique")
        batch.drop_column("sso_subject")
        batch.drop_column("sso_issuer")
