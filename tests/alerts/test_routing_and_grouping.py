"""Routing by labels and grouping per integration, through the HTTP intake, on SQLite and
PostgreSQL, with the default playbook."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from paging._support import ROOT, HttpReceiver

from firebell.clock import FrozenClock
from firebell.incidents.service import Declaration
from firebell.store.db import transaction
from firebell.store.models import IncidentLink

from ._support import Edit, Flow, am_alert, am_group, flow


@pytest.fixture
def make(
    tmp_path: Path, database_url: str, clock: FrozenClock, receiver: HttpReceiver
) -> Iterator[Any]:
    flows: list[Iterator[Flow]] = []

    def build(edit: Edit | None = None) -> Flow:
        made = flow(tmp_path, database_url, clock, receiver, edit)
        flows.append(made)
        return next(made)

    yield build
    for made in flows:
        made.close()


def links(f: Flow) -> list[tuple[int, int, str]]:
    with f.rt.sessions() as session:
        rows = session.query(IncidentLink).order_by(IncidentLink.id).all()
        return [(r.incident_id, r.linked_id, r.reason) for r in rows]


def test_service_label_then_job_then_the_integration_default(make: Any) -> None:
    f = make()
    [db] = f.alertmanager(am_group("a", [am_alert("DiskFull", "db-1", {"service": "database"})]))[
        "incidents"
    ]
    [api] = f.alertmanager(am_group("b", [am_alert("Latency", "api-1", {"job": "api"})]))[
        "incidents"
    ]
    [unknown] = f.alertmanager(
        am_group("c", [am_alert("Errors", "web-1", {"service": "checkout", "job": "web"})])
    )["incidents"]
    [plain] = f.alertmanager(am_group("d", [am_alert("Cpu", "h-1")]))["incidents"]
    assert f.incident(db)["service"] == "database"
    assert f.incident(api)["service"] == "api"
    assert f.incident(unknown)["service"] == "platform"
    assert f.incident(plain)["service"] == "platform"
    [note] = f.timeline(unknown, "service_unknown")
    assert note["details"] == {"label": "service", "value": "checkout", "service": "platform"}
    assert f.timeline(plain, "service_unknown") == []
    [classified] = f.timeline(db, "classified")
    assert classified["details"]["routing"] == "label service=database"


def test_a_routing_rule_wins_over_labels(make: Any) -> None:
    def edit(doc: dict[str, Any]) -> None:
        am = next(i for i in doc["integrations"] if i["id"] == "alertmanager")
        am["options"]["routing"] = [
            {
                "name": "bridge",
                "match": [{"field": "labels.team", "value": "x"}],
                "service": "cross-chain-bridge",
            }
        ]

    f = make(edit)
    [n] = f.alertmanager(
        am_group("a", [am_alert("Down", "b-1", {"service": "database", "team": "x"})])
    )["incidents"]
    assert f.incident(n)["service"] == "cross-chain-bridge"


def test_two_groups_on_one_service_open_two_linked_incidents(make: Any) -> None:
    f = make()
    [first] = f.alertmanager(am_group("g1", [am_alert("A", "h1", {"service": "database"})]))[
        "incidents"
    ]
    [second] = f.alertmanager(am_group("g2", [am_alert("B", "h2", {"service": "database"})]))[
        "incidents"
    ]
    assert first != second
    assert links(f) == [(second, first, "same_service")]
    assert f.timeline(second, "incident_linked")[0]["details"] == {
        "to": first,
        "reason": "same_service",
    }
    assert f.timeline(first, "incident_linked")[0]["details"]["to"] == second
    # A new alert of the first group attaches to the first incident.
    again = f.alertmanager(
        am_group(
            "g1",
            [
                am_alert("A", "h1", {"service": "database"}),
                am_alert("A", "h3", {"service": "database"}),
            ],
        )
    )
    assert again["incidents"] == [first] and again["created"] == 1 and again["updated"] == 1
    # PagerDuty: each dedup_key is its own group.
    [pd1] = f.pagerduty("trigger", "k1")["dedup_key"] and [f.incidents()[-1]["id"]]
    f.pagerduty("trigger", "k1")
    assert f.incidents()[-1]["id"] == pd1
    f.pagerduty("trigger", "k2")
    assert f.incidents()[-1]["id"] == pd1 + 1


def test_grouping_by_labels(make: Any) -> None:
    def edit(doc: dict[str, Any]) -> None:
        am = next(i for i in doc["integrations"] if i["id"] == "alertmanager")
        am["options"]["grouping"] = {"by": "labels", "labels": ["cluster"]}

    f = make(edit)
    [one] = f.alertmanager(am_group("x", [am_alert("A", "h1", {"cluster": "eu"})]))["incidents"]
    [same] = f.alertmanager(am_group("y", [am_alert("B", "h2", {"cluster": "eu"})]))["incidents"]
    [other] = f.alertmanager(am_group("z", [am_alert("C", "h3", {"cluster": "us"})]))["incidents"]
    assert one == same and other != one


def test_grouping_by_service_within_a_window(make: Any, clock: FrozenClock) -> None:
    def edit(doc: dict[str, Any]) -> None:
        pd = next(i for i in doc["integrations"] if i["id"] == "pagerduty")
        pd["options"]["grouping"] = {"by": "service", "window": "30m"}

    f = make(edit)
    f.pagerduty("trigger", "k1")
    f.pagerduty("trigger", "k2")
    [first] = [i["id"] for i in f.incidents()]
    clock.advance(timedelta(minutes=31))
    f.pagerduty("trigger", "k3")
    ids = [i["id"] for i in f.incidents()]
    assert len(ids) == 2
    assert links(f) == [(ids[1], first, "same_service")]


def test_heartbeats_always_open_their_own_incident(make: Any, clock: FrozenClock) -> None:
    f = make()
    [open_one] = f.alertmanager(am_group("g", [am_alert("A", "h1")]))["incidents"]
    url = f"/api/v1/intake/heartbeat/{f.key('heartbeat')}"
    assert f.client.get(url).status_code == 200
    clock.advance(timedelta(minutes=6, seconds=1))  # past interval 5m + grace 1m
    for step in f.rt.engine.steps:
        step()
    incidents = f.incidents()
    assert len(incidents) == 2
    heartbeat = incidents[-1]
    assert heartbeat["title"] == "Platform heartbeat missed"
    assert links(f) == [(heartbeat["id"], open_one, "same_service")]


def test_private_incidents_are_never_attached_to_nor_linked(make: Any) -> None:
    f = make()
    secret = f.rt.incidents.declare(
        Declaration("Intrusion", "P1", service="database", private=True), ROOT
    ).id
    [n] = f.alertmanager(am_group("g", [am_alert("A", "h1", {"service": "database"})]))["incidents"]
    assert n != secret
    assert links(f) == []
    assert f.timeline(secret, "alert_attached", "incident_linked") == []
    # Even when the group's own incident has become private.
    with transaction(f.rt.sessions) as session:
        from firebell.store.models import Incident

        row = session.get(Incident, n)
        assert row is not None
        row.private = True
    [m] = f.alertmanager(am_group("g", [am_alert("A", "h2", {"service": "database"})]))["incidents"]
    assert m not in (n, secret)
    assert links(f) == []


def test_every_format_routes_by_its_own_labels(make: Any) -> None:
    f = make()
    pd = {
        "routing_key": f.key("pagerduty"),
        "event_action": "trigger",
        "dedup_key": "pd-1",
        "payload": {"summary": "s", "source": "x", "severity": "error", "component": "consensus"},
    }
    assert f.client.post("/v2/enqueue", json=pd).status_code == 202
    og = {"message": "bridge stuck", "alias": "og-1", "tags": ["service:cross-chain-bridge"]}
    r = f.client.post(
        "/v2/alerts", json=og, headers={"Authorization": f"GenieKey {f.key('opsgenie')}"}
    )
    assert r.status_code == 202, r.text
    generic = {"title": "db slow", "id": "g-1", "labels": {"service": "database"}}
    r = f.client.post(f"/api/v1/intake/generic/{f.key('generic')}", json=generic)
    assert r.status_code == 200, r.text
    by_title = {i["title"]: i["service"] for i in f.incidents()}
    assert by_title == {
        "s": "consensus",
        "bridge stuck": "cross-chain-bridge",
        "db slow": "database",
    }
