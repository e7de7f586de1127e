"""post-mortems and action items

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import firebell.store.types

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _when(name: str, nullable: bool = True) -> sa.Column[object]:
    return sa.Column(name, firebell.store.types.UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "postmortems",
        sa.Column("incident_id", BIG_ID, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("author", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("public_summary", sa.Text(), nullable=True),
        sa.Column("reviewers", sa.JSON(), nullable=False),
        sa.Column("signoffs", sa.JSON(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        _when("due_at"),
        _when("created_at", nullable=False),
        _when("updated_at", nullable=False),
        _when("published_at"),
        _when("meeting_at"),
        sa.Column("meeting_minutes", sa.Integer(), nullable=True),
        sa.Column("meeting_invitees", sa.JSON(), nullable=False),
        sa.Column("meeting_attended", sa.JSON(), nullable=False),
        sa.Column("meeting_notes", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    op.create_index("ix_postmortems_due_at", "postmortems", ["due_at"])
    op.create_table(
        "action_items",
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("incident_id", BIG_ID, nullable=False),
        sa.Column("category", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=500), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("team", sa.String(length=64), nullable=True),
        sa.Column("priority", sa.String(length=4), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        _when("due_at"),
        sa.Column("links", sa.JSON(), nullable=False),
        _when("created_at", nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        _when("updated_at", nullable=False),
        _when("done_at"),
        sa.Column("ticket_key", sa.String(length=64), nullable=True),
        sa.Column("ticket_status", sa.String(length=64), nullable=True),
        _when("ticket_checked_at"),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_action_items_incident_id", "action_items", ["incident_id"])
    op.create_index("ix_action_items_owner", "action_items", ["owner"])
    op.create_index("ix_action_items_team", "action_items", ["team"])
    op.create_index("ix_action_items_status_due", "action_items", ["status", "due_at"])


def downgrade() -> None:
    op.drop_table("action_items")
    op.drop_table("postmortems")
