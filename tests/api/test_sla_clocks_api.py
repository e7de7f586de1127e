"""SLA clocks in the incident API (show and list), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta

from fastapi.testclient import TestClient

from firebell.clock import FrozenClock
from firebell.runtime import Runtime

H = dict[str, str]


def clocks(incident: dict[str, object]) -> dict[str, dict[str, object]]:
    sla = incident["sla"]
    assert isinstance(sla, list)
    return {c["name"]: c for c in sla}


def test_clocks_count_down_and_breach(
    app_client: TestClient, responder: H, clock: FrozenClock, runtime: Runtime
) -> None:
    created = app_client.post(
        "/api/v1/incidents", json={"title": "Checkout down", "severity": "P1"}, headers=responder
    ).json()
    number = created["id"]
    row = next(r for r in runtime.playbook.playbook.sla if r.severity == "P1")
    declared = datetime.fromisoformat(created["declared_at"])

    clock.advance(timedelta(minutes=4))
    shown = clocks(app_client.get(f"/api/v1/incidents/{number}", headers=responder).json())
    response_due = row.response_time.after(declared)
    assert datetime.fromisoformat(shown["response"]["due_at"]) == response_due
    assert shown["response"]["remaining_seconds"] == int(
        (response_due - clock.now()).total_seconds()
    )
    assert shown["response"]["breached"] is False
    assert set(shown) == {"response", "resolution", "next_update"}

    clock.set(response_due + timedelta(seconds=30))
    listed = app_client.get("/api/v1/incidents", headers=responder).json()["incidents"]
    late = clocks(next(i for i in listed if i["id"] == number))
    assert late["response"]["breached"] is True
    assert late["response"]["remaining_seconds"] == -30

    app_client.post(f"/api/v1/incidents/{number}/acknowledge", headers=responder)
    acked = clocks(app_client.get(f"/api/v1/incidents/{number}", headers=responder).json())
    assert acked["response"]["remaining_seconds"] is None
    assert acked["response"]["breached"] is True  # acknowledged after the deadline
    assert acked["resolution"]["breached"] is False
