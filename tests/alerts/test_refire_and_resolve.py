"""Re-fires and auto-resolve: what an incident does when its alerts come back or all clear,
and that paging follows (pages leave through the real webhook channel to a loopback
receiver). SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from paging._support import PRIMARY, SECONDARY, TEAM_LEAD, HttpReceiver

from firebell.clock import FrozenClock
from firebell.intake.jobs import JOB_SIZE
from firebell.store.models import IncidentLink, Message

from ._support import Flow, am_alert, am_group, flow

DISK = am_alert("DiskFull", "db-1", {"service": "database"})  # critical → P1: pages


@pytest.fixture
def f(
    tmp_path: Path, database_url: str, clock: FrozenClock, receiver: HttpReceiver
) -> Iterator[Flow]:
    yield from flow(tmp_path, database_url, clock, receiver)


def fire(f: Flow, *alerts: dict[str, Any]) -> int:
    [number] = f.alertmanager(am_group("disk", list(alerts)))["incidents"]
    return number


def resolve(f: Flow, *alerts: dict[str, Any]) -> dict[str, Any]:
    return f.alertmanager(am_group("disk", [dict(a, status="resolved") for a in alerts]))


def levels_paged(f: Flow, number: int) -> list[int]:
    return [e["details"]["level"] for e in f.timeline(number, "level_paged")]


def test_all_alerts_resolved_before_acknowledgement_resolves_and_stops_paging(f: Flow) -> None:
    number = fire(f, DISK)
    f.rt.engine.run_once()
    assert f.receiver.people() == [PRIMARY]
    resolve(f, DISK)
    incident = f.incident(number)
    assert incident["status"] == "resolved"
    [change] = f.timeline(number, "resolved")
    assert change["details"]["cause"] == "every alert resolved"
    assert f.timeline(number, "paging_stopped")
    f.run_engine_for(90)  # the whole policy's time and more: nobody else is paged
    assert f.receiver.people() == [PRIMARY]
    assert f.pending_pages(number) == 0


def test_all_alerts_resolved_after_acknowledgement_goes_to_monitoring(f: Flow) -> None:
    other = am_alert("DiskFull", "db-2", {"service": "database"})
    number = fire(f, DISK, other)
    f.rt.engine.run_once()
    r = f.client.post(
        f"/api/v1/incidents/{number}/commander", json={"commander": TEAM_LEAD}, headers=f.auth
    )
    assert r.status_code == 200, r.text
    assert f.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=f.auth).is_success
    resolve(f, DISK)  # one of two: nothing changes yet
    assert f.incident(number)["status"] == "investigating"
    [partial] = f.timeline(number, "alert_resolved")
    assert partial["details"]["open_alerts_left"] is True
    resolve(f, other)
    incident = f.incident(number)
    assert incident["status"] == "monitoring"
    [change] = f.timeline(number, "status_changed")
    assert change["details"] == {
        "from": "investigating",
        "to": "monitoring",
        "cause": "every alert resolved",
    }
    [told] = f.timeline(number, "owner_told")
    assert told["details"]["to"] == TEAM_LEAD and told["details"]["queued"] >= 1
    with f.rt.sessions() as session:
        notes = session.query(Message).filter(Message.purpose == "alerts_resolved").all()
        assert {m.person for m in notes} == {TEAM_LEAD}
    f.run_engine_for(90)
    assert f.receiver.people() == [PRIMARY]  # no page after the alerts cleared
    assert f.pending_pages(number) == 0


def test_a_refire_in_monitoring_reopens_investigation_and_pages_level_one_again(
    f: Flow,
) -> None:
    number = fire(f, DISK)
    f.rt.engine.run_once()
    f.run_engine_for(6)  # level 2 (secondary) paged at T+5
    assert f.receiver.people() == [PRIMARY, SECONDARY]
    assert f.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=f.auth).is_success
    resolve(f, DISK)
    assert f.incident(number)["status"] == "monitoring"
    f.clock.advance(timedelta(minutes=10))
    assert fire(f, DISK) == number  # the problem came back: same incident
    incident = f.incident(number)
    assert incident["status"] == "investigating"
    assert incident["acknowledged_at"] is None
    [back] = [
        e for e in f.timeline(number, "status_changed") if e["details"]["to"] == "investigating"
    ]
    assert back["details"]["cause"] == "alert re-fired"
    assert levels_paged(f, number) == [1, 2, 1]
    f.rt.engine.run_once()
    assert f.receiver.people() == [PRIMARY, SECONDARY, PRIMARY]
    # and the policy runs on from there until acknowledged
    f.run_engine_for(5)
    assert f.receiver.people()[-1] == SECONDARY
    assert f.client.post(f"/api/v1/incidents/{number}/acknowledge", headers=f.auth).is_success
    count = len(f.receiver.people())
    f.run_engine_for(60)
    assert len(f.receiver.people()) == count


def test_a_refire_after_resolution_reopens_within_the_flapping_window(f: Flow) -> None:
    number = fire(f, DISK)
    resolve(f, DISK)
    assert f.incident(number)["status"] == "resolved"
    f.clock.advance(timedelta(minutes=29))
    assert fire(f, DISK) == number
    assert f.incident(number)["status"] == "investigating"
    assert f.timeline(number, "reopened")
    assert levels_paged(f, number) == [1, 1]


def test_a_refire_long_after_resolution_opens_a_new_linked_incident(f: Flow) -> None:
    number = fire(f, DISK)
    resolve(f, DISK)
    f.clock.advance(timedelta(minutes=31))
    again = fire(f, DISK)
    assert again != number
    assert f.incident(number)["status"] == "resolved"
    assert f.incident(again)["status"] == "investigating"
    with f.rt.sessions() as session:
        [link] = session.query(IncidentLink).all()
        assert (link.incident_id, link.linked_id, link.reason) == (again, number, "refire")


def test_resolving_thousands_of_alerts_in_one_payload(f: Flow) -> None:
    """Resolved in bounded transactions (JOB_SIZE events each), one timeline event for
    each, the incident resolved by the last."""
    n = 10 * JOB_SIZE
    alerts = [am_alert("Flood", f"h{i}", {"service": "api"}) for i in range(n)]
    [number] = f.alertmanager(am_group("flood", alerts))["incidents"]
    assert f.alertmanager(am_group("flood", alerts))["updated"] == n
    done = f.alertmanager(am_group("flood", [dict(a, status="resolved") for a in alerts]))
    assert (done["resolved"], done["dropped"], done["incidents"]) == (n, 0, [number])
    assert f.incident(number)["status"] == "resolved"
    # one event per bounded part of the payload, not one per alert
    resolved = f.timeline(number, "alert_resolved")
    assert [e["details"]["count"] for e in resolved] == [JOB_SIZE] * 10
    assert [e["details"]["open_alerts_left"] for e in resolved] == [True] * 9 + [False]
    again = f.alertmanager(am_group("flood", [dict(a, status="resolved") for a in alerts]))
    assert (again["resolved"], again["dropped"]) == (0, n)
