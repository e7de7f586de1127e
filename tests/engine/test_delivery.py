"""Delivery: retries with backoff, permanent failures, stale sends, email, and two engines
sharing one PostgreSQL database. Real receivers on loopback, a controlled clock."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from paging._support import (
    PRIMARY,
    SECONDARY,
    TEAM_LEAD,
    HttpReceiver,
    SmtpReceiver,
    add_policy,
    declare,
    events,
    free_port,
    level,
    make_runtime,
    messages,
    paged_levels,
    playbook_document,
)

from firebell.channels.email import SmtpSettings
from firebell.channels.webhook import WebhookChannel
from firebell.clock import FrozenClock
from firebell.engine.delivery import LEASE, MAX_ATTEMPTS
from firebell.runtime import Runtime


@pytest.fixture
def rt(
    database_url: str, tmp_path: Path, clock: FrozenClock, receiver: HttpReceiver
) -> Iterator[Runtime]:
    runtime = make_runtime(tmp_path, database_url, clock, playbook_document(receiver.url))
    yield runtime
    runtime.close()


def run_at(rt: Runtime, clock: FrozenClock, start: Any, seconds: float) -> None:
    clock.set(start + timedelta(seconds=seconds))
    rt.engine.run_once()


# --- 9. failures ----------------------------------------------------------------------------


def test_server_error_is_retried_with_backoff_until_it_succeeds(
    rt: Runtime, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    receiver.script(PRIMARY, [500, 503, 429])
    start = clock.now()
    number = declare(rt, "P1")
    statuses = []
    # backoff: 5 s, 10 s, 20 s after attempts 1, 2, 3.
    for second in (0, 4.9, 5, 14.9, 15, 34.9, 35, 36):
        run_at(rt, clock, start, second)
        statuses.append([h.status for h in receiver.paging_hits()])
    assert statuses == [
        [500],
        [500],
        [500, 503],
        [500, 503],
        [500, 503, 429],
        [500, 503, 429],
        [500, 503, 429, 200],
        [500, 503, 429, 200],
    ]
    [message] = messages(rt, number)
    assert message.status == "sent" and message.attempts == 4
    assert message.sent_at == start + timedelta(seconds=35)
    [(_, sent)] = events(rt, number, "page_sent")
    assert sent["attempts"] == 4 and sent["person"] == PRIMARY
    assert events(rt, number, "page_failed") == []
    # One page per attempt, all the same message.
    assert {h.message_id for h in receiver.paging_hits()} == {message.id}


def test_a_timeout_is_retried(rt: Runtime, clock: FrozenClock, receiver: HttpReceiver) -> None:
    channel = rt.channels["webhook"]
    assert isinstance(channel, WebhookChannel)
    channel.timeout = 0.3
    receiver.script(PRIMARY, [1.0])  # the receiver sits on the first request
    start = clock.now()
    number = declare(rt, "P1")
    rt.engine.run_once()
    [message] = messages(rt, number)
    assert message.status == "pending" and "Timeout" in (message.last_error or "")
    run_at(rt, clock, start, 5)
    [message] = messages(rt, number)
    assert message.status == "sent" and message.attempts == 2


def test_client_error_fails_at_once(
    rt: Runtime, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    receiver.script(PRIMARY, [404])
    number = declare(rt, "P1")
    rt.engine.run_once()
    [message] = messages(rt, number)
    assert message.status == "failed" and message.attempts == 1
    [(_, failed)] = events(rt, number, "page_failed")
    assert failed["error"] == "HTTP 404" and failed["person"] == PRIMARY
    for _ in range(5):
        clock.advance(timedelta(minutes=1))
        rt.engine.run_once()
    assert [h.person for h in receiver.paging_hits()].count(PRIMARY) == 1
    # Escalation is not held up by a failed page: level 2 still comes at T+5.
    assert SECONDARY in receiver.people()


def test_refused_connection_gives_up_after_max_attempts_without_blocking_others(
    database_url: str, tmp_path: Path, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    doc = playbook_document(receiver.url)
    gone = next(p for p in doc["people"] if p["id"] == "dba")
    gone["webhook_url"] = f"http://127.0.0.1:{free_port()}/nobody-listens"
    service = add_policy(doc, "pair", [level("both", "0m", "dba", "devops-lead")])
    rt = make_runtime(tmp_path, database_url, clock, doc)
    try:
        start = clock.now()
        number = declare(rt, "P1", service=service)
        rt.engine.run_once()
        assert receiver.people() == ["devops-lead"]  # delivered in the same pass
        by_person = {m.person: m for m in messages(rt, number)}
        assert by_person["devops-lead"].status == "sent"
        assert by_person["dba"].status == "pending" and by_person["dba"].attempts == 1
        # Attempts at 0, 5, 15, 35, 75 s: the fifth failure is final.
        for second in (5, 15, 35, 74):
            run_at(rt, clock, start, second)
        assert {m.person: m.status for m in messages(rt, number)}["dba"] == "pending"
        assert events(rt, number, "page_failed") == []
        run_at(rt, clock, start, 75)
        dba = {m.person: m for m in messages(rt, number)}["dba"]
        assert dba.status == "failed" and dba.attempts == MAX_ATTEMPTS
        [(_, failed)] = events(rt, number, "page_failed")
        assert failed["person"] == "dba" and failed["attempts"] == MAX_ATTEMPTS
        assert "Connect" in failed["error"]
        run_at(rt, clock, start, 3600)
        assert {m.person: m.attempts for m in messages(rt, number)}["dba"] == MAX_ATTEMPTS
    finally:
        rt.close()


# --- 10. email ----------------------------------------------------------------------------


def test_email_page_arrives_at_the_smtp_server(
    database_url: str,
    tmp_path: Path,
    clock: FrozenClock,
    receiver: HttpReceiver,
    smtp: SmtpReceiver,
) -> None:
    doc = playbook_document(None)  # nobody has a webhook: email only
    doc["on_call"]["default_notification_rules"] = [
        {"method": "email", "delay": "0m", "urgency": "any"}
    ]
    rt = make_runtime(tmp_path, database_url, clock, doc, smtp=smtp.settings)
    try:
        number = declare(rt, "P1", title="Checkout is down")
        rt.engine.run_once()
        [mail] = smtp.messages
        assert mail["Subject"] == f"[firebell] P1 #{number}: Checkout is down"
        assert mail["To"] == f"{PRIMARY}@example.test"
        assert mail["X-Test-Rcpt"] == f"{PRIMARY}@example.test"
        [message] = messages(rt, number)
        assert mail["X-Firebell-Message"] == str(message.id)
        assert mail["X-Firebell-Incident"] == str(number)
        assert f"firebell ack {number}" in mail.get_payload()
        assert message.status == "sent"
        assert events(rt, number, "page_sent")[0][1]["method"] == "email"
        assert receiver.paging_hits() == []
    finally:
        rt.close()


def test_email_server_down_is_retried(
    database_url: str, tmp_path: Path, clock: FrozenClock
) -> None:
    doc = playbook_document(None)
    doc["on_call"]["default_notification_rules"] = [
        {"method": "email", "delay": "0m", "urgency": "any"}
    ]
    down = SmtpSettings(host="127.0.0.1", port=free_port(), timeout=2)
    rt = make_runtime(tmp_path, database_url, clock, doc, smtp=down)
    try:
        number = declare(rt, "P1")
        rt.engine.run_once()
        [message] = messages(rt, number)
        assert message.status == "pending" and message.attempts == 1
    finally:
        rt.close()


# --- 11b. a crash mid-send ------------------------------------------------------------------


def test_a_send_abandoned_mid_flight_becomes_possibly_sent_and_is_never_resent(
    rt: Runtime, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    start = clock.now()
    number = declare(rt, "P1")
    claimed = rt.engine.claim()  # committed as `sending` ...
    assert [m.person for m in claimed] == [PRIMARY]
    assert rt.engine.begin_send(claimed[0])  # ... the send starts, and the process dies
    [row] = messages(rt, number)
    assert row.status == "sending" and row.lease_until == start + LEASE
    assert row.send_started_at == start and row.attempts == 1

    clock.set(start + LEASE)  # the lease has not run out yet
    assert rt.engine.recover_stale_sends() == 0
    clock.set(start + LEASE + timedelta(seconds=1))
    assert rt.engine.recover_stale_sends() == 1
    [row] = messages(rt, number)
    assert row.status == "possibly_sent"
    [(_, details)] = events(rt, number, "page_possibly_sent")
    assert details["message"] == row.id and details["person"] == PRIMARY

    for minutes in (2, 5, 15, 60):
        clock.set(start + timedelta(minutes=minutes))
        rt.engine.run_once()
    assert all(h.message_id != row.id for h in receiver.paging_hits())
    assert PRIMARY not in receiver.people()
    # ... while escalation carried on: the next levels were paged as usual.
    assert receiver.people()[:2] == [SECONDARY, TEAM_LEAD]
    assert rt.engine.recover_stale_sends() == 0
    assert len(events(rt, number, "page_possibly_sent")) == 1


def test_a_late_settle_after_recovery_changes_nothing(
    rt: Runtime, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    """The sender was only slow, not dead: its outcome arrives after recovery."""
    start = clock.now()
    number = declare(rt, "P1")
    [outgoing] = rt.engine.claim()
    assert rt.engine.begin_send(outgoing)
    clock.set(start + LEASE + timedelta(seconds=1))
    rt.engine.recover_stale_sends()
    rt.engine._settle(outgoing.id, None)
    [row] = messages(rt, number)
    assert row.status == "possibly_sent"
    assert events(rt, number, "page_sent") == []


def test_a_leased_message_never_tried_is_sent_after_the_lease_not_lost(
    rt: Runtime, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    """The engine died after leasing a batch but before trying this message: nobody was
    paged, so after the lease the message goes back to pending and is sent, once."""
    start = clock.now()
    number = declare(rt, "P1")
    [_leased] = rt.engine.claim()  # leased ... and the process dies before the send
    [row] = messages(rt, number)
    assert row.status == "sending" and row.send_started_at is None and row.attempts == 0

    clock.set(start + LEASE)
    assert rt.engine.recover_stale_sends() == 0
    clock.set(start + LEASE + timedelta(seconds=1))
    rt.engine.run_once()
    [row] = messages(rt, number)
    assert row.status == "sent" and row.attempts == 1
    assert [h.message_id for h in receiver.paging_hits()] == [row.id]
    assert events(rt, number, "page_possibly_sent") == []
    assert len(events(rt, number, "page_sent")) == 1


def test_a_stale_lease_cannot_start_a_send(
    rt: Runtime, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    """A slow engine whose lease was recovered (and re-claimed elsewhere) must not send."""
    start = clock.now()
    number = declare(rt, "P1")
    [stale] = rt.engine.claim()
    clock.set(start + LEASE + timedelta(seconds=1))
    rt.engine.recover_stale_sends()
    rt.engine.deliver(stale)  # its lease is gone: nothing is sent, nothing recorded
    assert receiver.paging_hits() == []
    [row] = messages(rt, number)
    assert row.status == "pending" and row.attempts == 0
    rt.engine.run_once()
    assert [h.message_id for h in receiver.paging_hits()] == [row.id]


# --- 12. two engines on PostgreSQL ---------------------------------------------------------


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_engines_never_deliver_a_message_twice(
    database_url: str, tmp_path: Path, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    doc = playbook_document(receiver.url)
    engines = [make_runtime(tmp_path / f"e{i}", database_url, clock, doc) for i in range(2)]
    stop = threading.Event()
    threads = []
    try:
        for rt in engines:
            rt.engine.batch = 3  # small batches: the two engines interleave row by row
        numbers = [declare(engines[0], "P1", title=f"incident {i}") for i in range(50)]
        for rt in engines:
            thread = threading.Thread(target=rt.engine.run, args=(stop, 0.01), daemon=True)
            thread.start()
            threads.append(thread)
        receiver.wait_for(lambda hits: len(hits) >= 50)
        start = clock.now()
        clock.set(start + timedelta(minutes=5))
        receiver.wait_for(lambda hits: len(hits) >= 100)
        time.sleep(0.5)  # room for any duplicate to show up
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        for rt in engines:
            rt.close()

    check = make_runtime(tmp_path / "check", database_url, clock, doc)
    try:
        per_message = Counter(h.message_id for h in receiver.paging_hits())
        assert len(per_message) == 100 and set(per_message.values()) == {1}
        rows = messages(check)
        assert len(rows) == 100 and {m.status for m in rows} == {"sent"}
        assert {m.id for m in rows} == set(per_message)
        for number in numbers:
            assert [lv for _, lv, _ in paged_levels(check, number)] == [1, 2]
            assert len(events(check, number, "page_sent")) == 2
    finally:
        check.close()


# --- a slow batch must not outlive its lease ---------------------------------------------------


def test_a_slow_batch_is_not_taken_for_a_crash_by_another_engine(
    database_url: str, tmp_path: Path, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    """Eight pages claimed in one batch to receivers that take 9 s each: sending them one
    after another outlasts the 60 s lease taken at claim time. A second engine recovering
    stale sends meanwhile must find nothing to recover: no crash happened."""
    crowd = [
        "primary-engineer-1", "primary-engineer-2", "secondary-engineer-1",
        "secondary-engineer-3", "team-lead-2", "devops-lead", "dba", "cto",
    ]  # fmt: skip
    doc = playbook_document(receiver.url)
    service = add_policy(doc, "crowd", [level("everyone", "0m", *crowd)])
    first = make_runtime(tmp_path / "a", database_url, clock, doc)
    second = make_runtime(tmp_path / "b", database_url, clock, doc)

    def slow(_path: str) -> None:
        clock.advance(timedelta(seconds=9))  # the receiver takes 9 s to answer ...
        second.engine.recover_stale_sends()  # ... while the other engine keeps running

    receiver.on_request = slow
    try:
        number = declare(first, "P1", service=service)
        for _ in range(5):
            first.engine.deliver_due()
        assert sorted(receiver.people()) == sorted(crowd)
        assert events(first, number, "page_possibly_sent") == []
        rows = messages(first, number)
        assert {m.status for m in rows} == {"sent"} and {m.attempts for m in rows} == {1}
        assert len(events(first, number, "page_sent")) == len(crowd)
    finally:
        receiver.on_request = None
        first.close()
        second.close()
