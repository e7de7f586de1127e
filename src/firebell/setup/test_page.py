"""The test page `firebell init` sends: queued in the outbox like any page, then
delivered at once by the engine's own delivery step, so it proves the whole path."""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from firebell.errors import Invalid
from firebell.paging.policy import CONTACT_METHODS, addresses_of, deliveries
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


# --- one method at a time: the console's "send me a test page" -------------------------------

WAIT = 5.0  # seconds the console waits for the engine's outcome before answering "queued"


def send_one(runtime: Runtime, person_id: str, method: str) -> int:
    """Queue a test page to one contact method of a person; returns the message id. The
    engine (running in `firebell serve`) delivers it; a `console` test page waits for a
    console to show it. Raises Invalid naming `method` when it cannot be sent at all."""
    playbook = runtime.playbook.playbook
    person = next((p for p in playbook.people if p.id == person_id), None)
    if person is None:
        raise Invalid.field("person", f"'{person_id}' is not one of the playbook's people")
    if method not in CONTACT_METHODS:
        raise Invalid.field("method", f"must be one of {', '.join(CONTACT_METHODS)}")
    address = addresses_of(person)[method]
    if not address:
        raise Invalid.field("method", f"{person.id} has no {method} address in the playbook")
    if method not in runtime.channels:
        raise Invalid.field("method", f"no {method} channel is configured on this server")
    with transaction(runtime.sessions) as session:
        message = queue_test_page(session, runtime, person, method, address, secrets.token_hex(4))
        session.flush()
        message_id = message.id
    runtime.engine.wake()
    return message_id


def wait_for_outcome(
    runtime: Runtime, message_id: int, person_id: str, timeout: float = WAIT
) -> Outcome | None:
    """The test page's outcome once the engine settled it (or as it stands after
    `timeout`); None when it is not a test page of this person."""
    deadline = time.monotonic() + timeout
    while True:
        with runtime.sessions() as session:
            row = session.get(Message, message_id)
            if row is None or row.person != person_id or row.purpose != "test":
                return None
            outcome = Outcome(row.method, row.address, row.status, row.last_error)
        settled = outcome.status not in ("pending", "sending") or outcome.method == "console"
        if settled or time.monotonic() >= deadline:
            return outcome
        time.sleep(0.1)
