"""status page: component overrides, maintenance windows, subscribers

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import firebell.store.types

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool = False) -> sa.Column[object]:
    return sa.Column(name, firebell.store.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "component_overrides",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("incident_id", ID, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("component", sa.String(64), nullable=False),
        sa.Column("status", sa.String(32), nullable=False),
        _when("set_at"),
        sa.Column("set_by", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_component_overrides_incident_id", "component_overrides", ["incident_id"])
    op.create_table(
        "maintenances",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("title", sa.String(500), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        _when("starts_at"),
        _when("ends_at"),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("impact", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("updates", sa.JSON(), nullable=False),
        sa.Column("notices", sa.JSON(), nullable=False),
        sa.Column("silence_ids", sa.JSON(), nullable=False),
        _when("created_at"),
        sa.Column("created_by", sa.String(200), nullable=False),
        _when("updated_at"),
        _when("started_at", nullable=True),
        _when("completed_at", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_maintenances_status_starts", "maintenances", ["status", "starts_at"])
    op.create_table(
        "subscribers",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("address", sa.String(1000), nullable=False),
        sa.Column("components", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        _when("created_at"),
        _when("confirmed_at", nullable=True),
        _when("unsubscribed_at", nullable=True),
        _when("updated_at"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ux_subscribers_kind_address", "subscribers", ["kind", "address"], unique=True)


def downgrade() -> None:
    op.drop_index("ux_subscribers_kind_address", table_name="subscribers")
    op.drop_table("subscribers")
    op.drop_index("ix_maintenances_status_starts", table_name="maintenances")
    op.drop_table("maintenances")
    op.drop_index("ix_component_overrides_incident_id", table_name="component_overrides")
    op.drop_table("component_overrides")
