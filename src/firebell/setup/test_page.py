"""The test page `firebell init` sends: queued in the outbox like any page, then
delivered at once by the engine's own delivery step, so it proves the whole path."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.paging.policy import deliveries
from firebell.playbook.schema import Person
from firebell.runtime import Runtime
from firebell.store.db import transaction
from firebell.store.models import Message
from firebell.store.outbox import enqueue

SUBJECT = "[firebell] test page"


@dataclass(frozen=True)
class Outcome:
    method: str
    address: str
    status: str  # sent, failed, pending (to be retried by the engine), not_sent
    error: str | None

    def describe(self) -> str:
        if self.status == "sent":
            return "sent"
        if self.status == "pending" and self.method == "console":
            return "queued: it shows in your console (counted as sent once shown)"
        if self.status == "pending" and self.error:
            return f"not sent yet ({self.error}); `firebell serve` retries it"
        if self.status in ("pending", "sending"):
            return "queued: the engine sends it shortly"
        return f"{self.status}: {self.error}"


def queue_test_page(
    session: Session, runtime: Runtime, person: Person, method: str, address: str, nonce: str
) -> Message:
    """One test page to one method of a person, queued in the outbox like any page (the
    one `firebell init` and the console's "send me a test page" both send)."""
    name = runtime.playbook.playbook.organization.name
    return enqueue(
        session,
        purpose="test",
        method=method,
        address=address,
        subject=SUBJECT,
        body=(
            f"Hello {person.name}: this is firebell's test page for {name}. "
            f"If you read this, pages reach you by {method}."
        ),
        dedupe_key=f"test-page:{person.id}:{method}:{nonce}",
        now=runtime.clock.now(),
        person=person.id,
        example=person.example,
    )


def send_test_page(runtime: Runtime, person_id: str) -> list[Outcome]:
    playbook = runtime.playbook.playbook
    person = next(p for p in playbook.people if p.id == person_id)
    plans, _ = deliveries(person, playbook.on_call.default_notification_rules, "high")
    nonce = secrets.token_hex(4)
    ids = []
    with transaction(runtime.sessions) as session:
        for plan in dict.fromkeys((p.method, p.address) for p in plans):
            method, address = plan
            if method not in runtime.channels:
                continue
            message = queue_test_page(session, runtime, person, method, address, nonce)
            session.flush()
            ids.append(message.id)
    if not ids:
        return []
    runtime.engine.deliver_due()
    return outcomes(runtime, ids)


def outcomes(runtime: Runtime, ids: list[int]) -> list[Outcome]:
    with runtime.sessions() as session:
        rows = session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.id))
        return [Outcome(r.method, r.address, r.status, r.last_error) for r in rows]
