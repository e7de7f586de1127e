"""drills: an incident's drill scenario and participants

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (SQLite does it in place: no table copy).
    op.add_column("incidents", sa.Column("drill_scenario", sa.String(64), nullable=True))
    op.add_column("incidents", sa.Column("drill_participants", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("drill_participants")
        batch.drop_column("drill_scenario")
