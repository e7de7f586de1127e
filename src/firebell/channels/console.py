"""The web console as a paging method (`console`).

A `console` page is an outbox row like any other, but the recipient pulls it: the engine
never claims it (`Engine.pulled`); it stays `pending` until a console of a user linked to
the addressed person has SHOWN it (browser notification and in-page banner) and confirmed
that with a POST. Only then is it `sent` (timeline: `page_sent`, `shown: true`). Being
durable rows, pages wait across restarts and show when the console next connects.

Escalation does not wait for it: the escalation timer is independent of delivery, so a
console page nobody sees changes nothing about when the next level is paged. When the
incident is acknowledged or resolved, its unseen pages are cancelled like any other.

It only reaches people whose console is open: `firebell doctor` and the console say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from firebell.channels.base import DeliveryError, Outgoing
from firebell.clock import Clock
from firebell.store.db import transaction
from firebell.store.models import Incident, Message

METHOD = "console"
NOTE = "the console method only reaches people whose firebell console is open in a browser"
INBOX_LIMIT = 200


class ConsoleChannel:
    """Registered so `console` counts as an available method; the engine never calls it
    (console pages are pulled by the browser, see the module docstring)."""

    method = METHOD

    def send(self, message: Outgoing) -> None:
        raise DeliveryError("console pages are delivered when a console shows them", transient=True)


@dataclass(frozen=True)
class ConsolePage:
    """A console page waiting to be shown, as the browser receives it."""

    id: int
    purpose: str
    subject: str
    body: str
    incident: int | None
    severity: str | None
    title: str | None
    created_at: datetime

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "purpose": self.purpose,
            "subject": self.subject,
            "body": self.body,
            "incident": self.incident,
            "severity": self.severity,
            "title": self.title,
            "created_at": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class InboxRow:
    """One message addressed to me (any method), for 'My pages'."""

    id: int
    at: datetime
    purpose: str
    method: str
    status: str
    sent_at: datetime | None
    error: str | None
    subject: str
    incident: int | None
    title: str | None
    severity: str | None
    acknowledged_by: str | None
    acknowledged_at: datetime | None


def console_address(person: str) -> str:
    return f"{METHOD}:{person}"


def _page(row: Message) -> ConsolePage:
    payload = row.payload or {}
    return ConsolePage(
        row.id,
        row.purpose,
        row.subject,
        row.body,
        row.incident_id,
        payload.get("severity"),
        payload.get("title"),
        row.created_at,
    )


class ConsolePages:
    """Storage side of console paging: what waits for a person, and 'shown'."""

    def __init__(self, sessions: sessionmaker[Session], clock: Clock) -> None:
        self.sessions = sessions
        self.clock = clock

    def waiting(self, person: str) -> list[ConsolePage]:
        """Console pages for this person that are due and not yet shown, oldest first.
        A page about an incident resolved since (an SLA notice, say: pages proper are
        cancelled by the resolution) is not shown: it would wake someone for nothing."""
        now = self.clock.now()
        with self.sessions() as session:
            rows = session.scalars(
                select(Message)
                .outerjoin(Incident, Incident.id == Message.incident_id)
                .where(
                    Message.method == METHOD,
                    Message.person == person,
                    Message.status == "pending",
                    Message.not_before <= now,
                    or_(Incident.id.is_(None), Incident.status.not_in(("resolved", "closed"))),
                )
                .order_by(Message.id)
                .limit(50)
            )
            return [_page(r) for r in rows]

    def shown(self, person: str, message_id: int) -> bool:
        """A console of `person` showed this page: it is delivered now. False when it is
        not theirs, not a console page, or no longer waiting (shown elsewhere already,
        cancelled by an acknowledgement)."""
        from firebell.incidents.service import record  # incidents build on the store

        now = self.clock.now()
        with transaction(self.sessions) as session:
            done = session.execute(
                update(Message)
                .where(
                    Message.id == message_id,
                    Message.person == person,
                    Message.method == METHOD,
                    Message.status == "pending",
                )
                .values(status="sent", sent_at=now, attempts=Message.attempts + 1)
            )
            if getattr(done, "rowcount", 0) != 1:
                return False
            row = session.get(Message, message_id)
            assert row is not None
            if row.incident_id is not None:
                kind = "page_sent" if row.purpose in ("page", "admin") else "message_sent"
                details = {
                    "message": row.id,
                    "purpose": row.purpose,
                    "person": person,
                    "method": METHOD,
                    "shown": True,
                }
                record(session, row.incident_id, now, "firebell", kind, details)
            return True

    def inbox(self, person: str) -> list[InboxRow]:
        """Every message addressed to this person, newest first (the latest 200)."""
        with self.sessions() as session:
            rows = session.execute(
                select(Message, Incident)
                .outerjoin(Incident, Incident.id == Message.incident_id)
                .where(Message.person == person)
                .order_by(Message.id.desc())
                .limit(INBOX_LIMIT)
            ).all()
            return [
                InboxRow(
                    m.id,
                    m.created_at,
                    m.purpose,
                    m.method,
                    m.status,
                    m.sent_at,
                    m.last_error,
                    m.subject,
                    m.incident_id,
                    i.title if i else None,
                    i.severity if i else None,
                    i.acknowledged_by if i else None,
                    i.acknowledged_at if i else None,
                )
                for m, i in rows
            ]
