"""Throttled deliveries go out by urgency (high first), then age: during a storm of
low-urgency pages to one phone, a P0's page is the next one that phone gets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from firebell.auth.principal import Principal
from firebell.channels.base import Outgoing
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.incidents.service import Declaration
from firebell.runtime import Runtime, build_runtime
from firebell.store.db import transaction
from firebell.store.models import Incident, Message
from firebell.store.outbox import enqueue

PHONE = "+1-202-555-2368"  # not one of the reserved 555-01xx numbers: it is sent
ALICE = Principal("alice", "responder")


class Phone:
    """An SMS channel that records what reached the phone, in order."""

    method = "sms"

    def __init__(self) -> None:
        self.received: list[str] = []

    def send(self, message: Outgoing) -> None:
        if message.address == PHONE:
            self.received.append(message.subject)


@pytest.fixture
def rt(database_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[Runtime]:
    settings = Settings(home=tmp_path, database_url=database_url, playbook_path=None)
    runtime = build_runtime(settings, clock, migrate=False)  # sms: 1 per minute per phone
    yield runtime
    runtime.close()


def page(rt: Runtime, severity: str, subject: str) -> None:
    """An incident of this severity, and a page about it to the storm-struck phone."""
    number = rt.incidents.declare(Declaration(subject, severity), ALICE).id
    with transaction(rt.sessions) as session:
        incident = session.get(Incident, number)
        enqueue(
            session,
            purpose="page",
            method="sms",
            address=PHONE,
            subject=subject,
            body=subject,
            dedupe_key=f"storm:{subject}",
            now=rt.clock.now(),
            incident=incident,
            person="primary-engineer-1",
        )


def test_a_p0_page_is_never_held_behind_low_urgency_ones(rt: Runtime, clock: FrozenClock) -> None:
    phone = Phone()
    rt.channels["sms"] = phone
    assert rt.engine.throttles["sms"] == (1, timedelta(minutes=1))
    start = clock.now()
    for i in range(5):
        page(rt, "P3", f"low {i}")
    rt.engine.deliver_due()
    assert phone.received == ["low 0"]  # one a minute: four low pages wait

    clock.set(start + timedelta(seconds=55))
    page(rt, "P0", "P0 checkout down")
    rt.engine.deliver_due()
    assert phone.received == ["low 0"]  # the phone's minute is not over yet

    for second in range(56, 60 * 6):
        clock.set(start + timedelta(seconds=second))
        rt.engine.deliver_due()
    # At t+60 the phone's next slot goes to the P0, then the others in age order.
    assert phone.received == ["low 0", "P0 checkout down", "low 1", "low 2", "low 3", "low 4"]
    with rt.sessions() as session:
        urgent = session.scalars(select(Message).where(Message.subject == "P0 checkout down"))
        assert [m.sent_at for m in urgent] == [start + timedelta(seconds=60)]


def test_pages_of_high_urgency_incidents_have_priority(rt: Runtime) -> None:
    page(rt, "P1", "high")
    page(rt, "P2", "low")
    with rt.sessions() as session:
        rows = session.scalars(select(Message).where(Message.address == PHONE))
        assert {m.subject: m.priority for m in rows} == {"high": 0, "low": 1}
