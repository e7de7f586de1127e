"""The escalation engine end to end: a controlled clock, a real database (SQLite and
PostgreSQL) and pages leaving through the real webhook channel to a real HTTP receiver."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from firebell.channels.webhook import signature
from firebell.clock import FrozenClock
from firebell.runtime import Runtime
from firebell.store.db import transaction
from firebell.store.models import Escalation, Timer
from paging._support import (
    ALICE,
    PRIMARY,
    SECONDARY,
    TEAM_LEAD,
    HttpReceiver,
    add_policy,
    declare,
    events,
    kinds,
    level,
    make_runtime,
    messages,
    paged_levels,
    playbook_document,
    timers,
)

Build = Callable[..., Runtime]


@pytest.fixture
def build(
    database_url: str, tmp_path: Path, clock: FrozenClock, receiver: HttpReceiver
) -> Iterator[Build]:
    """build(doc=None, smtp=None) -> a Runtime on this test's database and clock."""
    made: list[Runtime] = []

    def _build(doc: dict[str, Any] | None = None, **kw: Any) -> Runtime:
        rt = make_runtime(
            tmp_path, database_url, clock, doc or playbook_document(receiver.url), **kw
        )
        made.append(rt)
        return rt

    yield _build
    for rt in made:
        rt.close()


# --- 1. the default matrix for a P1 -------------------------------------------------------


def test_p1_pages_primary_then_secondary_then_team_lead(
    build: Build, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    rt = build()
    start = clock.now()
    number = declare(rt, "P1", title="Checkout is down")

    # The decision is in the outbox before anything is sent.
    [first] = messages(rt, number)
    assert (first.person, first.method, first.status) == (PRIMARY, "webhook", "pending")
    assert receiver.paging_hits() == []

    rt.engine.run_once()
    [hit] = receiver.paging_hits()
    assert hit.person == PRIMARY and hit.status == 200
    assert hit.message_id == first.id
    timestamp = hit.headers["x-firebell-timestamp"]
    assert hit.headers["x-firebell-signature"] == signature(rt.webhook_secret, timestamp, hit.body)
    assert hit.headers["x-firebell-signature"] != signature("wrong", timestamp, hit.body)
    assert hit.json["incident_id"] == number
    assert hit.json["subject"] == f"[firebell] P1 #{number}: Checkout is down"
    assert hit.json["level"] == 1

    # Nothing more until T+5 exactly.
    clock.set(start + timedelta(minutes=4, seconds=59))
    rt.engine.run_once()
    assert receiver.people() == [PRIMARY]
    clock.set(start + timedelta(minutes=5))
    rt.engine.run_once()
    assert receiver.people() == [PRIMARY, SECONDARY]

    clock.set(start + timedelta(minutes=14, seconds=59))
    rt.engine.run_once()
    assert receiver.people() == [PRIMARY, SECONDARY]
    clock.set(start + timedelta(minutes=15))
    rt.engine.run_once()
    assert receiver.people() == [PRIMARY, SECONDARY, TEAM_LEAD]

    for minute, who in ((30, "vp-engineering"), (60, "cto")):
        clock.set(start + timedelta(minutes=minute) - timedelta(seconds=1))
        rt.engine.run_once()
        assert receiver.people()[-1] != who
        clock.set(start + timedelta(minutes=minute))
        rt.engine.run_once()
        assert receiver.people()[-1] == who
    clock.advance(timedelta(days=2))
    rt.engine.run_once()
    assert receiver.people() == [PRIMARY, SECONDARY, TEAM_LEAD, "vp-engineering", "cto"]

    assert [lv for _, lv, _ in paged_levels(rt, number)] == [1, 2, 3, 4, 5]
    paging = kinds(rt, number, "paging_started", "level_paged", "page_sent", "paging_exhausted")
    assert paging[:4] == ["paging_started", "level_paged", "page_sent", "level_paged"]
    # The last level is decided together with "nothing more to do", then its page goes out.
    tail = ["level_paged", "paging_exhausted", "page_sent"]
    assert paging == ["paging_started"] + ["level_paged", "page_sent"] * 4 + tail
    at_times = [e.at for e in rt.incidents.timeline(number, ALICE) if e.kind == "level_paged"]
    assert [round((t - start).total_seconds() / 60) for t in at_times] == [0, 5, 15, 30, 60]


# --- 2. severities ------------------------------------------------------------------------


def test_p0_pages_levels_one_and_two_at_once(
    build: Build, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    rt = build()
    start = clock.now()
    number = declare(rt, "P0")
    rt.engine.run_once()
    assert sorted(receiver.people()) == sorted([PRIMARY, SECONDARY])
    assert [lv for _, lv, _ in paged_levels(rt, number)] == [1, 2]
    # The team lead comes at the matrix's T+15 (not earlier because levels 1 and 2 were
    # paged together); level 2 is not paged a second time when its own delay comes round.
    for minute in range(1, 15):
        clock.set(start + timedelta(minutes=minute))
        rt.engine.run_once()
    assert sorted(receiver.people()) == sorted([PRIMARY, SECONDARY])
    clock.set(start + timedelta(minutes=15))
    rt.engine.run_once()
    assert sorted(receiver.people()) == sorted([PRIMARY, SECONDARY, TEAM_LEAD])
    assert [lv for _, lv, _ in paged_levels(rt, number)] == [1, 2, 3]


def test_p2_notifies_level_one_once_and_never_escalates(
    build: Build, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    rt = build()
    number = declare(rt, "P2")
    rt.engine.run_once()
    assert receiver.people() == [PRIMARY]
    started = events(rt, number, "paging_started")
    assert started[0][1]["mode"] == "notify" and started[0][1]["urgency"] == "low"
    assert all(t.status != "pending" for t in timers(rt, number))
    for _ in range(10):
        clock.advance(timedelta(minutes=30))
        rt.engine.run_once()
    assert receiver.people() == [PRIMARY]
    assert len(paged_levels(rt, number)) == 1


def test_p3_pages_nobody(build: Build, clock: FrozenClock, receiver: HttpReceiver) -> None:
    rt = build()
    number = declare(rt, "P3")
    for _ in range(5):
        rt.engine.run_once()
        clock.advance(timedelta(hours=1))
    assert receiver.paging_hits() == []
    assert messages(rt, number) == [] and timers(rt, number) == []
    assert kinds(rt, number, "paging_started", "level_paged") == []


# --- 3. acknowledge and resolve ------------------------------------------------------------


def test_ack_stops_escalation_and_cancels_pending_messages(
    build: Build, clock: FrozenClock, receiver: HttpReceiver, smtp: Any
) -> None:
    doc = playbook_document(receiver.url)
    # Webhook at once, and a follow-up by email 3 minutes later (the role the default
    # playbook gives the voice call: reach the primary again before level 2 at 5m).
    doc["on_call"]["default_notification_rules"] = [
        {"method": "webhook", "delay": "0m", "urgency": "any"},
        {"method": "email", "delay": "3m", "urgency": "high"},
    ]
    rt = build(doc, smtp=smtp.settings)
    start = clock.now()
    number = declare(rt, "P1")
    rt.engine.run_once()
    assert receiver.people() == [PRIMARY]
    follow_up = next(m for m in messages(rt, number) if m.method == "email")
    assert follow_up.status == "pending" and follow_up.not_before == start + timedelta(minutes=3)

    clock.set(start + timedelta(minutes=2))
    rt.incidents.acknowledge(number, ALICE)
    assert {m.id: m.status for m in messages(rt, number)}[follow_up.id] == "cancelled"
    [(_, stopped)] = events(rt, number, "paging_stopped")
    assert stopped == {"reason": "acknowledged", "cancelled_messages": 1}

    # (up to just before the P1 resolution target, whose breach rightly tells a level)
    for minute in (3, 5, 15, 30, 60, 239):
        clock.set(start + timedelta(minutes=minute))
        rt.engine.run_once()
    assert receiver.people() == [PRIMARY]
    assert smtp.messages == []
    assert len(paged_levels(rt, number)) == 1
    assert {t.status for t in timers(rt, number)} == {"cancelled"}


def test_resolve_stops_everything(build: Build, clock: FrozenClock, receiver: HttpReceiver) -> None:
    rt = build()
    start = clock.now()
    number = declare(rt, "P1")
    clock.set(start + timedelta(minutes=5))
    rt.engine.run_once()  # late engine: level 1 and level 2 both go out now
    assert receiver.people() == [PRIMARY, SECONDARY]
    clock.set(start + timedelta(minutes=6))
    rt.incidents.resolve(number, ALICE)
    for minute in (15, 30, 60, 1000):
        clock.set(start + timedelta(minutes=minute))
        rt.engine.run_once()
    assert receiver.people() == [PRIMARY, SECONDARY]
    assert events(rt, number, "paging_stopped")[0][1]["reason"] == "resolved"
    assert not [m for m in messages(rt, number) if m.status == "pending"]


# --- 4. ack racing the next level --------------------------------------------------------


def test_ack_during_a_delay(build: Build, clock: FrozenClock, receiver: HttpReceiver) -> None:
    rt = build()
    start = clock.now()
    number = declare(rt, "P1")
    rt.engine.run_once()
    clock.set(start + timedelta(minutes=4))
    rt.incidents.acknowledge(number, ALICE)
    for minute in range(5, 120, 5):
        clock.set(start + timedelta(minutes=minute))
        rt.engine.run_once()
    assert receiver.people() == [PRIMARY]
    assert [lv for _, lv, _ in paged_levels(rt, number)] == [1]


@pytest.mark.parametrize("order", ["ack_then_engine", "engine_then_ack", "fire_then_ack"])
def test_ack_in_the_instant_a_level_is_due(
    build: Build, clock: FrozenClock, receiver: HttpReceiver, order: str
) -> None:
    rt = build()
    start = clock.now()
    number = declare(rt, "P1")
    rt.engine.run_once()
    clock.set(start + timedelta(minutes=5))  # level 2's timer is due this instant
    if order == "ack_then_engine":
        rt.incidents.acknowledge(number, ALICE)
        rt.engine.run_once()
        expected = [PRIMARY]
    elif order == "engine_then_ack":
        rt.engine.run_once()  # level 2 decided and delivered
        rt.incidents.acknowledge(number, ALICE)
        expected = [PRIMARY, SECONDARY]
    else:
        rt.engine.fire_due_timers()  # level 2 decided, not yet delivered
        rt.incidents.acknowledge(number, ALICE)  # ... and its page is cancelled
        expected = [PRIMARY]
    # (up to just before the P1 resolution target: a breach there rightly tells the
    # next level, which incident command's tests cover)
    for minute in (5, 6, 15, 30, 60, 239):
        clock.set(start + timedelta(minutes=minute))
        rt.engine.run_once()
    assert receiver.people() == expected
    per_level = [lv for _, lv, _ in paged_levels(rt, number)]
    assert len(per_level) == len(set(per_level)) and max(per_level) <= 2
    assert len(receiver.paging_hits()) == len(
        {(h.person, h.json["level"]) for h in receiver.paging_hits()}
    )


# --- 5. generation fencing ------------------------------------------------------------------


def _revive(rt: Runtime, timer_id: int) -> None:
    """Put a cancelled timer back to pending: what an engine that selected it just before
    the ack committed would hold. Only the generation can stop it now."""
    with transaction(rt.sessions) as session:
        session.execute(update(Timer).where(Timer.id == timer_id).values(status="pending"))


def test_stale_timer_never_fires_even_after_manual_reescalation(
    build: Build, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    rt = build()
    start = clock.now()
    number = declare(rt, "P1")
    rt.engine.run_once()
    [stale] = timers(rt, number)  # level 2 at T+5, generation 0
    assert stale.generation == 0 and stale.payload == {"level": 1, "pass": 0}

    clock.set(start + timedelta(minutes=1))
    rt.incidents.acknowledge(number, ALICE)
    _revive(rt, stale.id)
    clock.set(start + timedelta(minutes=5))
    rt.engine.run_once()
    assert receiver.people() == [PRIMARY]
    assert {t.id: t.status for t in timers(rt, number)}[stale.id] == "fired"  # as a no-op
    assert [lv for _, lv, _ in paged_levels(rt, number)] == [1]

    # A responder asks for more help: the next level is paged now, a new generation runs.
    clock.set(start + timedelta(minutes=6))
    assert rt.incidents.escalate(number, None, ALICE, rt.pager.escalate) == 2
    rt.engine.run_once()
    assert receiver.people() == [PRIMARY, SECONDARY]

    # Both old timers come back from the dead; neither may page anyone.
    _revive(rt, stale.id)
    with transaction(rt.sessions) as session:
        escalation = session.get(Escalation, number)
        assert escalation is not None and escalation.generation >= 2
        for gen in range(escalation.generation):
            session.add(
                Timer(
                    kind="escalate",
                    due_at=clock.now(),
                    status="pending",
                    incident_id=number,
                    generation=gen,
                    payload={"level": 3, "pass": 0},
                    created_at=clock.now(),
                )
            )
    clock.set(start + timedelta(minutes=7))
    rt.engine.run_once()
    assert receiver.people() == [PRIMARY, SECONDARY]

    # The live generation goes on by the policy: team lead 10 minutes after level 2.
    clock.set(start + timedelta(minutes=16))
    rt.engine.run_once()
    assert receiver.people() == [PRIMARY, SECONDARY, TEAM_LEAD]
    rt.incidents.resolve(number, ALICE)
    for minute in (30, 60, 600):
        clock.set(start + timedelta(minutes=minute))
        rt.engine.run_once()
    assert receiver.people() == [PRIMARY, SECONDARY, TEAM_LEAD]


# --- 6. repeats -------------------------------------------------------------------------


def test_three_levels_repeat_two_is_nine_activations_then_exhausted(
    build: Build, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    doc = playbook_document(receiver.url)
    service = add_policy(
        doc,
        "triple",
        [level("one", "0m", "dba"), level("two", "1m", "devops-lead"), level("three", "1m", "cto")],
        repeat=2,
        repeat_after="5m",
    )
    rt = build(doc)
    start = clock.now()
    number = declare(rt, "P1", service=service)
    for minute in range(0, 60):
        clock.set(start + timedelta(minutes=minute))
        rt.engine.run_once()
    assert paged_levels(rt, number) == [
        (p, lv, [who])
        for p in (1, 2, 3)
        for lv, who in ((1, "dba"), (2, "devops-lead"), (3, "cto"))
    ]
    at_times = [e.at for e in rt.incidents.timeline(number, ALICE) if e.kind == "level_paged"]
    assert [int((t - start).total_seconds() // 60) for t in at_times] == [
        0, 1, 2, 7, 8, 9, 14, 15, 16,
    ]  # fmt: skip
    assert kinds(rt, number, "level_paged", "paging_exhausted")[-1] == "paging_exhausted"
    assert len(receiver.delivered()) == 9
    clock.advance(timedelta(days=30))
    rt.engine.run_once()
    assert len(paged_levels(rt, number)) == 9 and len(receiver.delivered()) == 9
    assert kinds(rt, number, "paging_exhausted") == ["paging_exhausted"]
    assert not [t for t in timers(rt, number) if t.status == "pending"]


# --- 7. round robin -----------------------------------------------------------------------


def test_round_robin_position_survives_a_restart(
    build: Build, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    doc = playbook_document(receiver.url)
    trio = ("primary-engineer-1", "primary-engineer-2", "primary-engineer-3")
    service = add_policy(doc, "rr", [level("turns", "0m", *trio, strategy="round_robin")])
    first = build(doc)
    for _ in range(2):
        declare(first, "P1", service=service)
    first.engine.run_once()
    first.close()

    second = build(doc)  # a new process on the same database
    for _ in range(3):
        declare(second, "P1", service=service)
    second.engine.run_once()
    assert receiver.people() == [*trio, trio[0], trio[1]]


# --- 8. nobody on call ----------------------------------------------------------------------


def test_nobody_on_call_moves_on_at_once_and_tells_the_admins(
    build: Build, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    doc = playbook_document(receiver.url)
    doc["on_call"]["rotations"].append(
        {
            "id": "future",
            "name": "Starts next year",
            "members": ["primary-engineer-1"],
            "shift": {"unit": "weekly"},
            "timezone": "America/New_York",
            "start": "2027-06-01T09:00:00",
        }
    )
    doc["on_call"]["schedules"].append(
        {"id": "future-sched", "name": "Future", "layers": [{"rotation": "future"}]}
    )
    doc["on_call"]["admins"] = ["cto"]
    service = add_policy(
        doc,
        "gap",
        [
            {
                "name": "empty",
                "delay": "0m",
                "targets": [{"type": "schedule", "id": "future-sched"}],
            },
            level("backstop", "5m", "secondary-engineer-1"),
            level("lead", "5m", "team-lead-2"),
        ],
    )
    rt = build(doc)
    start = clock.now()
    number = declare(rt, "P1", service=service)
    rt.engine.run_once()
    assert sorted(receiver.people()) == ["cto", "secondary-engineer-1"]
    admin = next(h for h in receiver.delivered() if h.person == "cto")
    assert admin.json["purpose"] == "admin" and "nobody on call" in admin.json["subject"]
    assert kinds(rt, number, "nobody_on_call", "level_paged") == ["nobody_on_call", "level_paged"]
    [(_, nobody)] = events(rt, number, "nobody_on_call")
    assert nobody["level"] == 1 and nobody["targets"] == [["schedule", "future-sched"]]
    assert [lv for _, lv, _ in paged_levels(rt, number)] == [2]

    clock.set(start + timedelta(minutes=4, seconds=59))
    rt.engine.run_once()
    assert len(receiver.delivered()) == 2
    clock.set(start + timedelta(minutes=5))
    rt.engine.run_once()
    assert receiver.people()[-1] == "team-lead-2"


# --- 4b. ack while the engine is firing that very timer (PostgreSQL row locks) -------------


@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_ack_while_the_engine_holds_the_due_timer(
    build: Build, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    rt = build()
    start = clock.now()
    number = declare(rt, "P1")
    rt.engine.run_once()
    clock.set(start + timedelta(minutes=5))

    fire = rt.engine.handlers["escalate"]
    holding = threading.Event()

    def busy_fire(session: Any, timer: Timer, now: Any) -> None:
        holding.set()  # the engine has claimed (row-locked) level 2's timer ...
        time.sleep(0.3)  # ... and the ack arrives before it gets further
        fire(session, timer, now)

    rt.engine.handlers["escalate"] = busy_fire
    engine = threading.Thread(target=rt.engine.fire_due_timers)
    engine.start()
    assert holding.wait(10)
    rt.incidents.acknowledge(number, ALICE)  # must succeed: no deadlock with the engine
    engine.join(10)
    rt.engine.handlers["escalate"] = fire
    for minute in (5, 15, 30, 60):
        clock.set(start + timedelta(minutes=minute))
        rt.engine.run_once()
    assert receiver.people() == [PRIMARY]
    assert [lv for _, lv, _ in paged_levels(rt, number)] == [1]
    assert {t.error for t in timers(rt, number)} == {None}


def test_reassign_stops_the_policy_and_pages_one_person(
    build: Build, clock: FrozenClock, receiver: HttpReceiver
) -> None:
    rt = build()
    start = clock.now()
    number = declare(rt, "P1")
    rt.engine.run_once()
    assert receiver.people() == [PRIMARY]
    clock.set(start + timedelta(minutes=2))
    rt.incidents.reassign(number, "dba", ALICE, rt.pager.reassign)
    rt.engine.run_once()
    assert receiver.people() == [PRIMARY, "dba"]
    for minute in (5, 15, 30, 60):  # the policy does not go on after a reassignment
        clock.set(start + timedelta(minutes=minute))
        rt.engine.run_once()
    assert receiver.people() == [PRIMARY, "dba"]
    [(_, stopped)] = events(rt, number, "paging_stopped")
    assert stopped["reason"] == "reassigned"
    [(_, moved)] = events(rt, number, "reassigned")
    assert moved["to"] == "dba" and moved["deliveries"] == ["dba/webhook"]
    with pytest.raises(Exception, match="not in the playbook"):
        rt.incidents.reassign(number, "nobody", ALICE, rt.pager.reassign)
