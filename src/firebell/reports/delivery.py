"""Scheduled delivery of the monthly review by e-mail to the playbook's management
audience, on the first working day of the month (the playbook option
`learning.monthly_review.email_audience`).

Working days are the compensation's business days minus the public holidays of its
country, in the organisation's time zone. One message per address and month, with a
unique dedupe key: a restart, or a second engine on PostgreSQL, never sends it twice.

The mailed review leaves private incidents out (`Reports.monthly_for_everyone`): a mailing
list's readers are not known to be members; members and admins read the full review in
the console, the API or `firebell report monthly`.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from firebell.clock import Clock
from firebell.comms.destinations import destination
from firebell.playbook.schema import WEEKDAYS, Playbook
from firebell.reports.service import Reports
from firebell.store.db import transaction
from firebell.store.models import Message
from firebell.store.outbox import enqueue

log = logging.getLogger("firebell.reports")
PURPOSE = "monthly_review"


def first_working_day(
    year: int, month: int, workdays: frozenset[int], closed: set[date] | None = None
) -> date:
    day = date(year, month, 1)
    while day.weekday() not in workdays or day in (closed or set()):
        day += timedelta(days=1)
    return day


def due_month(
    local_now: datetime, workdays: frozenset[int], send_at: time, closed: set[date] | None = None
) -> str | None:
    """The month whose review is due now ('YYYY-MM' of the previous month), or None."""
    today = local_now.date()
    if today != first_working_day(today.year, today.month, workdays, closed):
        return None
    if local_now.time() < send_at:
        return None
    previous = today.replace(day=1) - timedelta(days=1)
    return f"{previous:%Y-%m}"


class MonthlyMailer:
    def __init__(
        self, sessions: sessionmaker[Session], clock: Clock, playbook: Playbook, reports: Reports
    ) -> None:
        self.sessions = sessions
        self.clock = clock
        self.playbook = playbook
        self.reports = reports
        self._done: str | None = None
        self._holidays: dict[int, set[date]] = {}

    def _closed(self, year: int) -> set[date]:
        """Public holidays of the compensation country (cached: the engine asks often)."""
        if year not in self._holidays:
            self._holidays[year] = self._load_holidays(year)
        return self._holidays[year]

    def _load_holidays(self, year: int) -> set[date]:
        comp = self.playbook.compensation
        try:
            days = holidays.country_holidays(
                comp.holiday_country, subdiv=comp.holiday_subdivision, years=year
            )
        except NotImplementedError:
            return set()
        return set(days)

    def addresses(self) -> list[str]:
        audience_id = self.playbook.learning.monthly_review.email_audience
        audience = next(
            (a for a in self.playbook.communications.audiences if a.id == audience_id), None
        )
        if audience is None:
            return []
        found = [destination(c) for c in audience.channels]
        return [d.address for d in found if d.kind == "message" and d.method == "email"]

    def step(self) -> int:
        """Cheap unless the review is due and not yet queued."""
        options = self.playbook.learning.monthly_review
        if not options.email_audience:
            return 0
        hours = self.playbook.compensation.business_hours
        local = self.clock.now().astimezone(ZoneInfo(self.playbook.organization.timezone))
        workdays = frozenset(WEEKDAYS.index(d) for d in hours.days)
        month = due_month(local, workdays, options.send_at, self._closed(local.year))
        if month is None or month == self._done:
            return 0
        queued = self.send(month)
        self._done = month
        return queued

    def send(self, month: str) -> int:
        key = f"{PURPOSE}:{month}:"
        with self.sessions() as session:
            already = session.scalar(select(func.count()).where(Message.dedupe_key.startswith(key)))
        if already:
            return 0
        addresses = self.addresses()
        if not addresses:
            log.warning("monthly review: the audience has no e-mail address; nothing sent")
            return 0
        from firebell.reports.documents import monthly_documents  # once a month: import late

        documents = monthly_documents(self.reports.monthly_for_everyone(month))
        now = self.clock.now()
        attachment = {
            "filename": f"incident-review-{month}.html",
            "content_type": "text/html",
            "text": documents.html,
        }
        try:
            with transaction(self.sessions) as session:
                for address in addresses:
                    enqueue(
                        session,
                        purpose=PURPOSE,
                        method="email",
                        address=address,
                        subject=f"[firebell] Monthly incident review {month}",
                        body=documents.markdown,
                        dedupe_key=key + address,
                        now=now,
                        payload={"attachments": [attachment]},
                    )
        except IntegrityError:  # another engine queued it first
            return 0
        return len(addresses)
