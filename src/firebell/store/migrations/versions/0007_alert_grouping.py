"""alert grouping: alert groups, incident links, alert acknowledgement time

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import firebell.store.types

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "alert_groups",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("integration", sa.String(length=64), nullable=False),
        sa.Column("group_key", sa.String(length=255), nullable=False),
        sa.Column("incident_id", _ID, nullable=False),
        sa.Column("opened_at", firebell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_alert_groups_key", "alert_groups", ["group_key", "id"], unique=False)
    op.create_table(
        "incident_links",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("incident_id", _ID, nullable=False),
        sa.Column("linked_id", _ID, nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("created_at", firebell.store.types.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.ForeignKeyConstraint(["linked_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_incident_links_incident_id", "incident_links", ["incident_id"])
    op.create_index("ix_incident_links_linked_id", "incident_links", ["linked_id"])
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "acknowledged_at",
                firebell.store.types.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
    # The alert list filters by state and service, newest first.
    op.create_index("ix_alerts_status_service", "alerts", ["status", "service"])


def downgrade() -> None:
    op.drop_index("ix_alerts_status_service", table_name="alerts")
    with op.batch_alter_table("alerts", schema=None) as batch_op:
        batch_op.drop_column("acknowledged_at")
    op.drop_index("ix_incident_links_linked_id", table_name="incident_links")
    op.drop_index("ix_incident_links_incident_id", table_name="incident_links")
    op.drop_table("incident_links")
    op.drop_index("ix_alert_groups_key", table_name="alert_groups")
    op.drop_table("alert_groups")
