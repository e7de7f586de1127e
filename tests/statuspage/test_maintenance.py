"""Planned maintenance with a controlled clock: notices 7 days and 24 hours ahead (or at
once when the lead time is shorter), in_progress and under_maintenance at the start,
completed or verifying at the end, alerts recorded and paging nobody during the window."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.clock import FrozenClock
from firebell.playbook.loader import LoadedPlaybook
from firebell.runtime import Runtime
from firebell.statuspage.maintenance import plan
from firebell.statuspage.schema import MaintenancePolicy
from firebell.store.models import Alert, Incident, Message, Silence
from statuspage._support import H
from tests.conftest import START


def schedule(client: TestClient, headers: H, starts_in: timedelta, **extra: Any) -> Any:
    body = {
        "title": "Database upgrade",
        "components": ["database"],
        "starts_at": (START + starts_in).isoformat(),
        "ends_at": (START + starts_in + timedelta(hours=2)).isoformat(),
        "description": "Upgrading PostgreSQL to a new minor version.",
        "impact": "Writes may be delayed for up to 5 minutes.",
        "reason": "Security patches.",
        **extra,
    }
    r = client.post("/api/v1/maintenances", json=body, headers=headers)
    assert r.status_code == 201, r.text
    return r.json()


def notices(runtime: Runtime) -> list[Message]:
    with runtime.sessions() as s:
        return list(
            s.scalars(select(Message).where(Message.purpose == "maintenance").order_by(Message.id))
        )


def summary(client: TestClient) -> Any:
    return client.get("/api/v2/summary.json").json()


def test_plan_follows_the_seed_lead_times() -> None:
    policy = MaintenancePolicy()
    start, end = START + timedelta(days=10), START + timedelta(days=10, hours=2)
    steps = {s.name: s.due_at for s in plan(policy, START, start, end)}
    assert steps == {
        "advance_notice": start - timedelta(days=7),
        "reminder": start - timedelta(hours=24),
        "start": start,
        "end": end,
    }
    short = {s.name: s.due_at for s in plan(policy, START, START + timedelta(days=3), end)}
    assert short["advance_notice"] == START  # what still applies goes at once
    assert short["reminder"] == START + timedelta(days=2)
    shorter = {s.name for s in plan(policy, START, START + timedelta(hours=5), end)}
    assert shorter == {"advance_notice", "start", "end"}  # no reminder "in 24 hours"
    started = {s.name for s in plan(policy, START, START - timedelta(minutes=1), end)}
    assert started == {"start", "end"}


def test_full_window_lifecycle(
    status_client: TestClient, responder: H, runtime: Runtime, clock: FrozenClock
) -> None:
    created = schedule(status_client, responder, timedelta(days=10))
    assert created["status"] == "scheduled" and created["notices_sent"] == []
    assert notices(runtime) == []
    [upcoming] = status_client.get("/api/v2/scheduled-maintenances/upcoming.json").json()[
        "scheduled_maintenances"
    ]
    assert upcoming["status"] == "scheduled" and upcoming["impact"] == "maintenance"
    assert upcoming["scheduled_for"].startswith("2026-12-06T12:00:00")
    assert "scheduled_until" in upcoming and upcoming["id"] == f"m{created['id']}"

    clock.advance(timedelta(days=3))  # 7 days before
    runtime.engine.fire_due_timers()
    sent = notices(runtime)
    assert {m.address for m in sent} == {"#ops-team", "ops@example.com"}  # internal audience
    assert all("Scheduled Maintenance - 2026-12-06" in m.subject for m in sent)
    assert "Writes may be delayed for up to 5 minutes." in sent[0].body
    runtime.engine.fire_due_timers()
    assert len(notices(runtime)) == 2  # fired once only

    clock.advance(timedelta(days=6))  # 24 hours before
    runtime.engine.fire_due_timers()
    reminders = [m for m in notices(runtime) if "Reminder" in m.subject]
    assert len(reminders) == 2
    assert "begin in 24 hours" in reminders[0].body

    clock.advance(timedelta(days=1))  # the start
    runtime.engine.fire_due_timers()
    s = summary(status_client)
    by_id = {c["id"]: c["status"] for c in s["components"]}
    assert by_id["database"] == "under_maintenance"
    assert s["status"]["description"] == "Service Under Maintenance"
    [active] = status_client.get("/api/v2/scheduled-maintenances/active.json").json()[
        "scheduled_maintenances"
    ]
    assert active["status"] == "in_progress"
    assert [u["status"] for u in active["incident_updates"]] == ["in_progress", "scheduled"]
    assert "Database upgrade" in status_client.get("/status").text

    clock.advance(timedelta(hours=2))  # the end
    runtime.engine.fire_due_timers()
    [done] = status_client.get("/api/v2/scheduled-maintenances.json").json()[
        "scheduled_maintenances"
    ]
    assert done["status"] == "completed"
    assert {c["id"]: c["status"] for c in summary(status_client)["components"]}[
        "database"
    ] == "operational"


def test_short_notice_sends_what_still_applies_at_once(
    status_client: TestClient, responder: H, runtime: Runtime, clock: FrozenClock
) -> None:
    created = schedule(status_client, responder, timedelta(hours=5))
    assert created["notices_sent"] == ["advance_notice"]
    assert len(notices(runtime)) == 2
    clock.advance(timedelta(hours=5))
    runtime.engine.fire_due_timers()
    assert not [m for m in notices(runtime) if "Reminder" in m.subject]


def test_verify_policy_ends_in_verifying_until_completed(
    status_client: TestClient, responder: H, runtime: Runtime, clock: FrozenClock
) -> None:
    loaded = runtime.playbook
    page = loaded.playbook.status_page
    page = page.model_copy(
        update={"maintenance": page.maintenance.model_copy(update={"verify": True})}
    )
    runtime.playbook = LoadedPlaybook(
        **{**loaded.__dict__, "playbook": loaded.playbook.model_copy(update={"status_page": page})}
    )
    created = schedule(status_client, responder, timedelta(hours=1))
    clock.advance(timedelta(hours=3))
    runtime.engine.fire_due_timers()
    r = status_client.get("/api/v1/maintenances", headers=responder).json()["maintenances"]
    assert r[0]["status"] == "verifying"
    done = status_client.post(f"/api/v1/maintenances/{created['id']}/complete", headers=responder)
    assert done.status_code == 200 and done.json()["status"] == "completed"
    again = status_client.post(f"/api/v1/maintenances/{created['id']}/complete", headers=responder)
    assert again.status_code == 409


def test_alerts_during_the_window_are_recorded_and_page_nobody(
    status_client: TestClient, responder: H, runtime: Runtime, clock: FrozenClock
) -> None:
    created = schedule(status_client, responder, timedelta(hours=1))
    with runtime.sessions() as s:
        silences = list(s.scalars(select(Silence).where(Silence.id.in_(created["silences"]))))
    # the database component is tied to the database and platform services
    assert {x.service for x in silences} == {"database", "platform"}
    assert all(x.kind == "maintenance" for x in silences)

    def alert(dedup: str) -> None:
        pd = {
            "routing_key": runtime.integrations.by_id["pagerduty"].key,
            "event_action": "trigger",
            "dedup_key": dedup,
            "payload": {"summary": "db restarting", "source": "db-1", "severity": "critical"},
        }
        assert status_client.post("/v2/enqueue", json=pd).status_code == 202

    clock.advance(timedelta(hours=1, minutes=5))
    runtime.engine.fire_due_timers()
    alert("during-maintenance")
    with runtime.sessions() as s:
        [recorded] = s.scalars(select(Alert)).all()
        assert (recorded.silenced_by or "").startswith("maintenance #")
        assert s.scalars(select(Incident)).all() == []
        assert s.scalars(select(Message).where(Message.purpose == "page")).all() == []
    clock.advance(timedelta(hours=2))  # the window is over: alerts page again
    alert("after-maintenance")
    with runtime.sessions() as s:
        assert len(s.scalars(select(Incident)).all()) == 1


def test_cancel_ends_silences_and_timers(
    status_client: TestClient, responder: H, runtime: Runtime, clock: FrozenClock
) -> None:
    created = schedule(status_client, responder, timedelta(days=10))
    r = status_client.post(f"/api/v1/maintenances/{created['id']}/cancel", headers=responder)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    clock.advance(timedelta(days=11))
    runtime.engine.fire_due_timers()
    assert notices(runtime) == []
    with runtime.sessions() as s:
        for silence in s.scalars(select(Silence).where(Silence.id.in_(created["silences"]))):
            assert silence.ends_at <= START
    assert (
        status_client.get("/api/v2/scheduled-maintenances.json").json()["scheduled_maintenances"]
        == []
    )


def test_bad_windows_are_refused_with_the_field(status_client: TestClient, responder: H) -> None:
    base = {"title": "x", "components": ["database"], "starts_at": START.isoformat()}
    cases = [
        ({**base, "ends_at": START.isoformat()}, "ends_at"),
        (
            {**base, "components": ["nope"], "ends_at": (START + timedelta(hours=1)).isoformat()},
            "components",
        ),
        (
            {
                **base,
                "ends_at": (START + timedelta(hours=1)).isoformat(),
                "impact": "db-7.prod.internal restarts",
            },
            "description",
        ),
        (
            {
                **base,
                "ends_at": (START + timedelta(hours=1)).isoformat(),
                "description": "we restart 10.1.2.3 first",
            },
            "description",
        ),
    ]
    for body, field in cases:
        r = status_client.post("/api/v1/maintenances", json=body, headers=responder)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        assert r.json()["errors"][0]["field"] == field
