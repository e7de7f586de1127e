"""Writing to the outbox: one way to queue a message, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Container
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from firebell.paging.policy import urgency_of
from firebell.playbook.schema import Person
from firebell.reserved import undeliverable
from firebell.store.models import Incident, Message
from firebell.workflows import drills


def enqueue(
    session: Session,
    *,
    purpose: str,
    method: str,
    address: str,
    subject: str,
    body: str,
    dedupe_key: str,
    now: datetime,
    incident: Incident | None = None,
    person: str | None = None,
    payload: dict[str, Any] | None = None,
    not_before: datetime | None = None,
    example: bool = False,
) -> Message:
    """Queue one message; the engine delivers it. An incident's severity and title go in
    the payload so channels can show them. Pages and admin alerts of a high-urgency
    incident (P0, P1) get priority 0: the engine claims them before anything else, so a
    throttled person gets the urgent page first. A message to a placeholder (a person
    marked `example`, a reserved address) is recorded as `not_sent` with the reason. A
    drill's messages say so."""
    refused = undeliverable(address, example=example)
    extra: dict[str, Any] = (
        {"severity": incident.severity, "title": incident.title} if incident else {}
    )
    if incident is not None and incident.drill:  # never mistaken for the real thing
        subject, body = drills.marked(subject), drills.marked(body)
        extra["drill"] = True
    message = Message(
        incident_id=incident.id if incident else None,
        purpose=purpose,
        person=person,
        method=method,
        address=address,
        subject=subject,
        body=body,
        payload={**extra, **(payload or {})},
        dedupe_key=dedupe_key,
        status="not_sent" if refused else "pending",
        attempts=0,
        not_before=not_before or now,
        lease_until=None,
        created_at=now,
        sent_at=None,
        last_error=refused,
        priority=priority_of(purpose, incident),
    )
    session.add(message)
    if refused and incident is not None:
        from firebell.incidents.service import record  # incidents build on the store

        kind = "page_not_sent" if purpose in ("page", "admin") else "message_not_sent"
        details = {"purpose": purpose, "person": person, "method": method, "reason": refused}
        record(session, incident.id, now, "firebell", kind, details)
    return message


URGENT_PURPOSES = ("page", "admin", "sla")


def priority_of(purpose: str, incident: Incident | None) -> int:
    """0 (first) for a page about a P0/P1 incident, 1 for everything else."""
    urgent = incident is not None and urgency_of(incident.severity) == "high"
    return 0 if urgent and purpose in URGENT_PURPOSES else 1


def tell(
    session: Session,
    person: Person,
    *,
    purpose: str,
    subject: str,
    body: str,
    key: str,
    now: datetime,
    incident: Incident | None = None,
    payload: dict[str, Any] | None = None,
    available: Container[str] | None = None,
) -> int:
    """A one-off note to a person (a reminder, a hand-off) by the direct means firebell
    has for it: email and the person's webhook. Returns how many were queued."""
    queued = 0
    for method, address in (("email", person.email), ("webhook", person.webhook_url)):
        if not address or (available is not None and method not in available):
            continue
        enqueue(
            session,
            purpose=purpose,
            method=method,
            address=address,
            subject=subject,
            body=body,
            dedupe_key=f"{key}:{person.id}:{method}",
            now=now,
            incident=incident,
            person=person.id,
            payload=payload,
            example=person.example,
        )
        queued += 1
    return queued
