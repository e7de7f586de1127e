"""The engine killed (SIGKILL) at many points of a batch, on SQLite and PostgreSQL: before a
lease, after it, before a send's network call, while the receiver holds the request, after
the answer and after the outcome is committed. Then another engine takes over after the
lease runs out. Counted at a real HTTP receiver: every page is delivered exactly once, or
it is the single in-flight message, marked `possibly_sent`. Zero pages lost."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from paging._support import HttpReceiver
from sqlalchemy import select

from firebell.channels.webhook import WebhookChannel
from firebell.clock import FrozenClock
from firebell.engine.delivery import LEASE
from firebell.engine.worker import Engine
from firebell.store.db import make_engine, make_sessionmaker, transaction
from firebell.store.models import Message
from firebell.store.outbox import enqueue

pytestmark = pytest.mark.slow

CHILD = Path(__file__).with_name("_crash_child.py")
PAGES = 10  # three leases of four (the child's batch): crashes land in every batch

# (point, occurrence, is one message left in flight?)
POINTS = [
    ("none", 0, False),
    ("before_lease", 1, False),
    ("before_lease", 2, False),
    ("after_lease", 1, False),
    ("after_lease", 3, False),
    ("before_call", 1, True),
    ("before_call", 6, True),
    ("mid_send", 2, True),
    ("mid_send", 9, True),
    ("after_send", 4, True),
    ("after_send", 10, True),
    ("after_settle", 5, False),
    ("after_settle", 8, False),
]


def queue_pages(url: str, receiver: HttpReceiver, now: datetime) -> None:
    sessions = make_sessionmaker(make_engine(url))
    with transaction(sessions) as session:
        for i in range(PAGES):
            enqueue(
                session,
                purpose="page",
                method="webhook",
                address=f"{receiver.url}/person-{i}",
                subject=f"page {i}",
                body="Checkout is down",
                dedupe_key=f"crash-test:{i}",
                now=now,
                person=f"person-{i}",
            )


def hold_request(receiver: HttpReceiver, at: int) -> tuple[threading.Event, threading.Event]:
    """Make the receiver hold its `at`-th request open until released."""
    arrived, release = threading.Event(), threading.Event()
    count = Counter[str]()
    lock = threading.Lock()

    def on_request(_path: str) -> None:
        with lock:
            count["n"] += 1
            mine = count["n"] == at
        if mine:
            arrived.set()
            release.wait(timeout=20)

    receiver.on_request = on_request
    return arrived, release


def run_child(url: str, point: str, at: int, receiver: HttpReceiver) -> int:
    held = hold_request(receiver, at) if point == "mid_send" else None
    child = subprocess.Popen([sys.executable, str(CHILD), url, point, str(at)])
    try:
        if held is not None:
            arrived, release = held
            assert arrived.wait(timeout=60), "the held request never arrived"
            child.send_signal(signal.SIGKILL)  # mid-send: the request is open right now
            child.wait(timeout=30)
            release.set()
        return child.wait(timeout=120)
    finally:
        receiver.on_request = None
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)


def take_over(url: str) -> list[Message]:
    """Another engine, after the dead one's lease ran out, until the outbox is quiet."""
    clock = FrozenClock(datetime.now(UTC) + LEASE + timedelta(seconds=5))
    sessions = make_sessionmaker(make_engine(url))
    engine = Engine(sessions, clock, {"webhook": WebhookChannel("crash-test-secret")})
    for _ in range(20):
        if engine.run_once() == 0:
            break
    with transaction(sessions) as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


@pytest.mark.parametrize(("point", "at", "in_flight"), POINTS)
def test_a_crash_anywhere_in_a_batch_loses_no_page(
    database_url: str, receiver: HttpReceiver, point: str, at: int, in_flight: bool
) -> None:
    queue_pages(database_url, receiver, datetime.now(UTC) - timedelta(seconds=1))
    code = run_child(database_url, point, at, receiver)
    assert code == (0 if point == "none" else -signal.SIGKILL)

    rows = take_over(database_url)
    delivered = Counter(h.message_id for h in receiver.hits if h.status == 200)
    assert len(rows) == PAGES
    assert max(delivered.values()) == 1, f"a page was sent twice: {delivered}"
    unsure = [r for r in rows if r.status == "possibly_sent"]
    assert len(unsure) == (1 if in_flight else 0), [(r.id, r.status) for r in rows]
    for row in rows:
        if row.status == "sent":
            assert delivered[row.id] == 1, f"message {row.id} is 'sent' but never arrived"
            assert row.attempts == 1
        else:
            assert row.status == "possibly_sent", f"message {row.id} lost as {row.status}"
            # The single in-flight one: its call may or may not have reached the receiver.
            expected = 0 if point == "before_call" else 1
            assert delivered[row.id] == expected
