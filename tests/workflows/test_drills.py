"""Drills: real pages and messages that reach the participants only, and scores computed
from known timings. Real SMTP (aiosmtpd) and HTTP receivers on loopback; SQLite and
PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from paging._support import (
    ALICE,
    HttpReceiver,
    SmtpReceiver,
    http_receiver,
    make_runtime,
    playbook_document,
    smtp_receiver,
)

from firebell.auth.tokens import create_token
from firebell.clock import FrozenClock
from firebell.errors import Forbidden, Invalid
from firebell.incidents.service import Declaration
from firebell.playbook.loader import default_playbook_text, parse_playbook
from firebell.runtime import Runtime
from firebell.store.db import transaction
from firebell.workflows.drills import TimelineItem, score

PARTICIPANTS = ["primary-engineer-1", "secondary-engineer-1"]


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    yield from http_receiver()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    yield from smtp_receiver()


@pytest.fixture
def rt(
    tmp_path: Path,
    database_url: str,
    clock: FrozenClock,
    receiver: HttpReceiver,
    smtp: SmtpReceiver,
) -> Iterator[Runtime]:
    runtime = make_runtime(
        tmp_path, database_url, clock, playbook_document(receiver.url), smtp.settings
    )
    yield runtime
    runtime.close()


def test_a_drill_pages_and_tells_its_participants_only(
    rt: Runtime, receiver: HttpReceiver, smtp: SmtpReceiver, clock: FrozenClock
) -> None:
    incident = rt.drills.start("complete-outage", PARTICIPANTS, ALICE)
    assert incident.drill and incident.title == "[DRILL] Complete service outage"
    # The same scenario for real would page the on-call and the secondary and tell
    # management and the status page; the drill tells only its participants.
    rt.comms.set_facts(
        incident.id,
        {
            "impact": "nobody can transact",
            "summary": "a full outage",
            "actions": "rolling back",
            "eta": "30 minutes",
            "current_status": "investigating",
        },
        ALICE,
    )
    rt.incidents.assign_commander(incident.id, PARTICIPANTS[0], ALICE)
    sent = rt.comms.notify(incident.id, "initial", "all", {}, ALICE)
    assert sent.public_updates == 0  # never the status page
    with pytest.raises(Forbidden):
        rt.comms.notify(incident.id, "initial", "customers", {}, ALICE)
    for _ in range(4):
        clock.advance(timedelta(minutes=6))  # past any delay
        rt.engine.run_once()
    receiver.wait_for(lambda hits: len(hits) >= 2)
    assert sorted({hit.person for hit in receiver.delivered()}) == sorted(PARTICIPANTS)
    for hit in receiver.delivered():
        assert hit.json["subject"].startswith("[DRILL] ")
    assert smtp.messages, "the participants get the initial message by e-mail"
    recipients = {r for m in smtp.messages for r in m["X-Test-Rcpt"].split(",")}
    assert recipients == {f"{p}@example.test" for p in PARTICIPANTS}
    assert all(str(m["Subject"]).startswith("[DRILL] ") for m in smtp.messages)
    # Nobody acknowledged, and still nobody else was paged: the drill's policy is its
    # participants, once.
    kinds = [e.kind for e in rt.incidents.timeline(incident.id, ALICE)]
    assert "paging_exhausted" in kinds


def test_a_drill_needs_known_participants(rt: Runtime) -> None:
    with pytest.raises(Invalid) as caught:
        rt.drills.start("complete-outage", ["ghost"], ALICE)
    assert caught.value.problems[0].field == "participants"
    with pytest.raises(Invalid):
        rt.drills.start("no-such-scenario", PARTICIPANTS, ALICE)


def test_score_from_known_timings() -> None:
    playbook = parse_playbook(default_playbook_text()).playbook
    start = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)

    def at(minutes: float) -> datetime:
        return start + timedelta(minutes=minutes)

    events = [
        TimelineItem("declared", at(0), {}),
        TimelineItem("acknowledged", at(3), {}),  # P0 response 5m: met
        TimelineItem("commander_assigned", at(7), {}),  # 5m: missed
        TimelineItem("war_room_opened", at(4), {}),  # 15m: met
        TimelineItem("update_sent", at(12), {}),  # P0 first update within 10m: missed
        TimelineItem("checkpoint", at(19), {}),
        TimelineItem("checkpoint", at(34), {}),
        TimelineItem("runbook_started", at(5), {"run": 1}),
        TimelineItem("runbook_step", at(6), {"run": 1}),
        TimelineItem("runbook_finished", at(40), {"run": 1}),
        TimelineItem("resolved", at(50), {}),  # 1h: met
    ]
    result = score(
        playbook,
        incident=7,
        scenario="complete-outage",
        severity="P0",
        participants=PARTICIPANTS,
        declared_at=start,
        ended_at=at(50),
        events=events,
    )
    by_name = {m.name: m for m in result.measures}
    assert (by_name["acknowledged"].actual, by_name["acknowledged"].met) == ("3m", True)
    assert (by_name["commander assigned"].actual, by_name["commander assigned"].met) == (
        "7m",
        False,
    )
    assert by_name["war room opened"].met is True
    assert (by_name["first update sent"].target, by_name["first update sent"].met) == (
        "10m",
        False,
    )
    # The war room was open 46 minutes: 3 checkpoints were due every 15 minutes, 2 kept.
    assert (by_name["checkpoints kept"].target, by_name["checkpoints kept"].actual) == (
        "3 (every 15m)",
        "2",
    )
    assert by_name["checkpoints kept"].met is False
    assert by_name["resolved"].met is True
    assert by_name["runbook"].met is True
    assert (result.met, result.scored) == (4, 7)


def test_drill_api_and_report(app_client: TestClient, runtime: Runtime) -> None:
    with transaction(runtime.sessions) as session:
        _, secret = create_token(session, runtime.clock, name="rita", role="responder")
    headers = {"Authorization": f"Bearer {secret}"}
    started = app_client.post(
        "/api/v1/drills",
        json={"scenario": "database-failover", "participants": ["dba", "dba-backup"]},
        headers=headers,
    )
    assert started.status_code == 201, started.text
    number = started.json()["incident_id"]
    ack = app_client.post(f"/api/v1/incidents/{number}/acknowledge", headers=headers)
    assert ack.status_code == 200
    report = app_client.get(f"/api/v1/drills/{number}/report", headers=headers).json()
    assert report["scenario"] == "database-failover"
    assert next(m for m in report["measures"] if m["name"] == "acknowledged")["met"] is True
    text = app_client.get(
        f"/api/v1/drills/{number}/report", params={"format": "markdown"}, headers=headers
    ).text
    assert text.startswith("# Drill report: Database failover")
    assert "| acknowledged | 15m | 0m | yes |" in text
    history = app_client.get("/api/v1/drills", headers=headers).json()["drills"]
    assert [d["incident_id"] for d in history] == [number]
    # A real incident is not a drill report.
    real = runtime.incidents.declare(Declaration("Real one", "P2"), ALICE)
    assert app_client.get(f"/api/v1/drills/{real.id}/report", headers=headers).status_code == 404
    bad = app_client.post(
        "/api/v1/drills", json={"scenario": "nope", "participants": ["dba"]}, headers=headers
    )
    assert bad.status_code == 422
    assert app_client.get("/api/v1/drills/scenarios", headers=headers).json()["scenarios"]
