"""perf: indexes for the visibility filter of non-admins' incident lists

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_incidents_private", "incidents", ["private"])
    op.create_index("ix_role_assignments_person", "role_assignments", ["person"])
    op.create_index("ix_tasks_assignee", "tasks", ["assignee"])
    op.create_index("ix_messages_person", "messages", ["person"])


def downgrade() -> None:
    op.drop_index("ix_messages_person", table_name="messages")
    op.drop_index("ix_tasks_assignee", table_name="tasks")
    op.drop_index("ix_role_assignments_person", table_name="role_assignments")
    op.drop_index("ix_incidents_private", table_name="incidents")
