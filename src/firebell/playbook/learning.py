"""The playbook's `learning` section: options of post-mortems' follow-up and reports.

Kept apart from `schema.py` (which only gains one field) so it can grow on its own.
"""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, ConfigDict, Field

from firebell.playbook.durations import Span


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MonthlyReview(_Strict):
    email_audience: str | None = Field(
        default=None,
        description="Audience id whose email channels get the monthly review on the first "
        "working day of each month (none: not sent).",
    )
    send_at: time = Field(default=time(9, 0), description="Local time, organization zone.")


class Learning(_Strict):
    action_item_ticket_project: str | None = Field(
        default=None,
        description="Jira project key: each new action item opens a ticket there "
        "(needs FIREBELL_JIRA_*).",
    )
    ticket_sync_interval: Span = Field(
        default=Span.parse("1h"), description="How often ticket statuses are read back."
    )
    action_item_reminder: Span = Field(
        default=Span.parse("2d"), description="Remind the owner this long before the due date."
    )
    monthly_review: MonthlyReview = MonthlyReview()
