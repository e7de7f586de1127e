"""GET /api/v1/alerts and /api/v1/incidents/{n}/alerts; silences starting in the future.
SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from paging._support import HttpReceiver

from firebell.clock import FrozenClock
from firebell.store.db import transaction
from firebell.store.models import Incident

from ._support import Flow, am_alert, am_group, flow


@pytest.fixture
def f(
    tmp_path: Path, database_url: str, clock: FrozenClock, receiver: HttpReceiver
) -> Iterator[Flow]:
    yield from flow(tmp_path, database_url, clock, receiver)


def alerts(f: Flow, headers: dict[str, str] | None = None, **params: Any) -> list[dict[str, Any]]:
    r = f.client.get("/api/v1/alerts", params=params, headers=headers or f.auth)
    assert r.status_code == 200, r.text
    found: list[dict[str, Any]] = r.json()["alerts"]
    return found


def viewer(f: Flow) -> dict[str, str]:
    from conftest import make_token

    return {"Authorization": f"Bearer {make_token(f.rt, 'viewer', 'val')}"}


def test_alerts_with_labels_history_and_filters(f: Flow, clock: FrozenClock) -> None:
    [db] = f.alertmanager(am_group("db", [am_alert("Disk", "db-1", {"service": "database"})]))[
        "incidents"
    ]
    f.pagerduty("trigger", "pd-1")
    clock.advance(timedelta(minutes=1))
    f.pagerduty("acknowledge", "pd-1")
    clock.advance(timedelta(minutes=1))
    f.pagerduty("resolve", "pd-1")
    everything = alerts(f)
    assert [a["integration"] for a in everything] == ["pagerduty", "alertmanager"]  # newest first
    pd, am = everything
    assert am["labels"]["service"] == "database" and am["service"] == "database"
    assert am["incident_id"] == db and am["held_back_by"] is None
    assert [s["status"] for s in am["history"]] == ["triggered"]
    assert [s["status"] for s in pd["history"]] == ["triggered", "acknowledged", "resolved"]
    stamps = [s["at"] for s in pd["history"]]
    assert stamps == sorted(stamps) and len(set(stamps)) == 3
    assert [a["id"] for a in alerts(f, state="resolved")] == [pd["id"]]
    assert [a["id"] for a in alerts(f, state=["triggered", "acknowledged"])] == [am["id"]]
    assert [a["id"] for a in alerts(f, integration="alertmanager")] == [am["id"]]
    assert [a["id"] for a in alerts(f, service="database")] == [am["id"]]
    assert alerts(f, silenced="true") == []
    page = f.client.get("/api/v1/alerts", params={"limit": 1}, headers=f.auth).json()
    assert len(page["alerts"]) == 1 and page["next_cursor"] == pd["id"]
    rest = alerts(f, limit=1, cursor=page["next_cursor"])
    assert [a["id"] for a in rest] == [am["id"]]
    bad = f.client.get("/api/v1/alerts", params={"state": "firing"}, headers=f.auth)
    assert bad.status_code == 422 and "state" in bad.text
    assert f.client.get("/api/v1/alerts").status_code == 401


def test_silenced_alerts_show_what_held_them_back(f: Flow, clock: FrozenClock) -> None:
    later = (clock.now() + timedelta(hours=1)).isoformat()
    until = (clock.now() + timedelta(hours=3)).isoformat()
    r = f.client.post(
        "/api/v1/silences",
        json={
            "kind": "maintenance",
            "service": "database",
            "starts_at": later,
            "ends_at": until,
            "comment": "disk swap",
        },
        headers=f.auth,
    )
    assert r.status_code == 201, r.text
    future = r.json()
    listed = f.client.get("/api/v1/silences", headers=f.auth).json()["silences"]
    assert [(s["id"], s["active"]) for s in listed] == [(future["id"], False)]
    # Before it starts, the window holds nothing back.
    f.alertmanager(am_group("a", [am_alert("Disk", "db-1", {"service": "database"})]))
    assert alerts(f, silenced="true") == []
    clock.advance(timedelta(hours=1, minutes=1))
    done = f.alertmanager(am_group("b", [am_alert("Disk", "db-2", {"service": "database"})]))
    assert done["silenced"] == 1 and done["incidents"] == []
    [held] = alerts(f, silenced="true")
    assert held["incident_id"] is None
    assert held["held_back_by"]["id"] == future["id"]
    assert held["held_back_by"]["kind"] == "maintenance"
    assert held["held_back_by"]["comment"] == "disk swap"
    assert held["held_back_by"]["service"] == "database"
    assert len(alerts(f, silenced="false")) == 1
    # Deleting ends it: the next alert pages again.
    assert f.client.delete(f"/api/v1/silences/{future['id']}", headers=f.auth).status_code == 204
    assert f.client.get("/api/v1/silences", headers=f.auth).json()["silences"] == []
    again = f.alertmanager(am_group("c", [am_alert("Disk", "db-3", {"service": "database"})]))
    assert again["silenced"] == 0 and len(again["incidents"]) == 1


def test_incident_alerts_and_links_respect_private_incidents(f: Flow) -> None:
    [first] = f.alertmanager(am_group("g1", [am_alert("A", "h1"), am_alert("A", "h2")]))[
        "incidents"
    ]
    [second] = f.alertmanager(am_group("g2", [am_alert("B", "h3")]))["incidents"]
    body = f.client.get(f"/api/v1/incidents/{first}/alerts", headers=f.auth).json()
    assert body["incident_id"] == first
    assert [a["labels"]["instance"] for a in body["alerts"]] == ["h1", "h2"]
    assert [(x["incident"], x["reason"], x["direction"]) for x in body["links"]] == [
        (second, "same_service", "from")
    ]
    other = f.client.get(f"/api/v1/incidents/{second}/alerts", headers=f.auth).json()
    assert [(x["incident"], x["direction"]) for x in other["links"]] == [(first, "to")]
    # The first incident turns out to be a security matter: made private.
    with transaction(f.rt.sessions) as session:
        row = session.get(Incident, first)
        assert row is not None
        row.private = True
    val = viewer(f)
    assert f.client.get(f"/api/v1/incidents/{first}/alerts", headers=val).status_code == 404
    seen = f.client.get(f"/api/v1/incidents/{second}/alerts", headers=val).json()
    assert seen["links"] == []  # the link would reveal it
    assert {a["incident_id"] for a in alerts(f, val)} == {second}
    assert {a["incident_id"] for a in alerts(f)} == {first, second}  # admin sees all
    assert f.client.get("/api/v1/incidents/999/alerts", headers=f.auth).status_code == 404
