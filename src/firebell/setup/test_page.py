"""The test page `firebell init` sends: queued in the outbox like any page, then
delivered at once by the engine's own delivery step, so it proves the whole path."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import select

from firebell.paging.policy import deliveries
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
        if self.status == "pending":
            return f"not sent yet ({self.error}); `firebell serve` retries it"
        return f"{self.status}: {self.error}"


def send_test_page(runtime: Runtime, person_id: str) -> list[Outcome]:
    playbook = runtime.playbook.playbook
    person = next(p for p in playbook.people if p.id == person_id)
    plans, _ = deliveries(person, playbook.on_call.default_notification_rules, "high")
    now = runtime.clock.now()
    nonce = secrets.token_hex(4)
    ids = []
    with transaction(runtime.sessions) as session:
        for plan in dict.fromkeys((p.method, p.address) for p in plans):
            method, address = plan
            if method not in runtime.channels:
                continue
            message = enqueue(
                session,
                purpose="test",
                method=method,
                address=address,
                subject=SUBJECT,
                body=(
                    f"Hello {person.name}: this is firebell's test page for "
                    f"{playbook.organization.name}. If you read this, pages reach you by "
                    f"{method}."
                ),
                dedupe_key=f"test-page:{person.id}:{method}:{nonce}",
                now=now,
                person=person.id,
                example=person.example,
            )
            session.flush()
            ids.append(message.id)
    if not ids:
        return []
    runtime.engine.deliver_due()
    with runtime.sessions() as session:
        rows = session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.id))
        return [Outcome(r.method, r.address, r.status, r.last_error) for r in rows]
