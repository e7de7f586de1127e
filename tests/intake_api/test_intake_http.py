"""Intake over HTTP with the real captured payloads, on SQLite and PostgreSQL."""

from __future__ import annotations

import copy
import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from firebell.clock import FrozenClock
from firebell.runtime import Runtime
from firebell.store.models import Alert, Incident, TimelineEvent

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager"


def fixture(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def key(runtime: Runtime, integration: str) -> str:
    return runtime.integrations.by_id[integration].key


def am_url(runtime: Runtime) -> str:
    return f"/api/v1/intake/alertmanager/{key(runtime, 'alertmanager')}"


def count(runtime: Runtime, model: type) -> int:
    with runtime.sessions() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def test_alertmanager_firing_then_resolved(
    app_client: TestClient, runtime: Runtime, clock: FrozenClock, admin: dict[str, str]
) -> None:
    r = app_client.post(am_url(runtime), json=fixture("webhook-firing.json"))
    assert r.status_code == 200, r.text
    [number] = r.json()["incidents"]
    incident = app_client.get(f"/api/v1/incidents/{number}", headers=admin).json()
    assert incident["title"] == "Checkout 5xx rate above 5%"
    assert incident["severity"] == "P1"  # label severity=critical through the severity map
    assert incident["service"] == "platform"
    # the same group again folds into the same alert, no new incident
    again = app_client.post(am_url(runtime), json=fixture("webhook-firing.json")).json()
    assert again["updated"] == 1 and again["created"] == 0 and again["incidents"] == [number]
    assert count(runtime, Incident) == 1 and count(runtime, Alert) == 1
    clock.advance(timedelta(minutes=4))
    done = app_client.post(am_url(runtime), json=fixture("webhook-resolved.json")).json()
    assert done["resolved"] == 1
    incident = app_client.get(f"/api/v1/incidents/{number}", headers=admin).json()
    assert incident["status"] == "resolved"  # nobody acknowledged: it cleared itself
    kinds = [
        e["kind"]
        for e in app_client.get(f"/api/v1/incidents/{number}/timeline", headers=admin).json()[
            "events"
        ]
    ]
    assert "classified" in kinds and "alert_resolved" in kinds
    classified = next(
        e
        for e in app_client.get(f"/api/v1/incidents/{number}/timeline", headers=admin).json()[
            "events"
        ]
        if e["kind"] == "classified"
    )
    assert classified["details"]["why"].startswith("decision tree:")


def test_two_groups_with_the_same_summary_are_two_alerts(
    app_client: TestClient, runtime: Runtime
) -> None:
    first = fixture("webhook-firing.json")
    second = copy.deepcopy(first)
    second["groupKey"] = '{}:{alertname="HighErrorRateEU"}'
    app_client.post(am_url(runtime), json=first)
    app_client.post(am_url(runtime), json=second)
    with runtime.sessions() as s:
        keys = set(s.scalars(select(Alert.dedup_key)))
    assert len(keys) == 2


def test_partial_group_resolution_keeps_the_incident_open(
    app_client: TestClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    payload = fixture("webhook-firing.json")
    other = copy.deepcopy(payload["alerts"][0])
    other["fingerprint"] = "00000000000000aa"
    other["labels"]["instance"] = "web-2:8080"
    payload["alerts"].append(other)
    number = app_client.post(am_url(runtime), json=payload).json()["incidents"][0]
    assert count(runtime, Alert) == 2
    partial = copy.deepcopy(payload)
    partial["alerts"][0]["status"] = "resolved"
    partial["alerts"][0]["endsAt"] = "2026-11-26T20:10:00Z"
    assert app_client.post(am_url(runtime), json=partial).json()["resolved"] == 1
    incident = app_client.get(f"/api/v1/incidents/{number}", headers=admin).json()
    assert incident["status"] == "investigating"


def test_resolve_for_unknown_group_is_ignored(app_client: TestClient, runtime: Runtime) -> None:
    r = app_client.post(am_url(runtime), json=fixture("webhook-resolved.json"))
    assert r.status_code == 200 and r.json()["dropped"] == 1
    assert count(runtime, Alert) == 0 and count(runtime, Incident) == 0


def test_bad_alertmanager_input(app_client: TestClient, runtime: Runtime) -> None:
    bad = app_client.post(
        am_url(runtime), content=b"{nope", headers={"content-type": "application/json"}
    )
    assert bad.status_code == 422 and "not valid JSON" in bad.json()["detail"]
    payload = fixture("webhook-firing.json")
    payload["alerts"][0]["labels"] = "oops"
    wrong = app_client.post(am_url(runtime), json=payload)
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "alerts[0].labels"
    unknown = app_client.post(
        "/api/v1/intake/alertmanager/notakey", json=fixture("webhook-firing.json")
    )
    assert unknown.status_code == 404
    assert count(runtime, Alert) == 0 and count(runtime, TimelineEvent) == 0


def test_pagerduty_events_v2(
    app_client: TestClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    trigger = fixture("pagerduty-trigger.json")
    trigger["routing_key"] = key(runtime, "pagerduty")
    r = app_client.post("/v2/enqueue", json=trigger)
    assert r.status_code == 202
    assert r.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": trigger["dedup_key"],
    }
    resolve = fixture("pagerduty-resolve.json")
    resolve["routing_key"] = key(runtime, "pagerduty")
    assert app_client.post("/v2/enqueue", json=resolve).status_code == 202
    # after a resolve, the same key opens a new alert
    assert app_client.post("/v2/enqueue", json=trigger).status_code == 202
    with runtime.sessions() as s:
        statuses = sorted(s.scalars(select(Alert.status)))
    assert statuses == ["resolved", "triggered"]
    # trigger without a key gets one
    nokey = {
        "routing_key": key(runtime, "pagerduty"),
        "event_action": "trigger",
        "payload": {"summary": "disk full", "source": "db-1", "severity": "warning"},
    }
    generated = app_client.post("/v2/enqueue", json=nokey).json()["dedup_key"]
    assert generated and generated != trigger["dedup_key"]
    # ack of an unknown key is dropped but accepted
    ack = {
        "routing_key": key(runtime, "pagerduty"),
        "event_action": "acknowledge",
        "dedup_key": "never-seen",
    }
    assert app_client.post("/v2/enqueue", json=ack).status_code == 202


def test_pagerduty_errors_in_its_own_shape(app_client: TestClient, runtime: Runtime) -> None:
    bad = {
        "routing_key": key(runtime, "pagerduty"),
        "event_action": "trigger",
        "payload": {"summary": "x", "source": "y", "severity": "apocalyptic"},
    }
    r = app_client.post("/v2/enqueue", json=bad)
    assert r.status_code == 400
    body = r.json()
    assert body["status"] == "invalid event" and body["message"] == "Event object is invalid"
    assert any("payload.severity" in e for e in body["errors"])
    wrong_key = app_client.post(
        "/v2/enqueue",
        json={**bad, "routing_key": "0" * 32, "payload": {**bad["payload"], "severity": "info"}},
    )
    assert wrong_key.status_code == 400 and "routing_key" in wrong_key.json()["errors"][0]
    huge = app_client.post(
        "/v2/enqueue",
        content=b"{" + b" " * (600 * 1024) + b"}",
        headers={"content-type": "application/json"},
    )
    assert huge.status_code == 413
    assert count(runtime, Alert) == 0


def test_opsgenie_create_ack_close(
    app_client: TestClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    auth = {"Authorization": f"GenieKey {key(runtime, 'opsgenie')}"}
    r = app_client.post(
        "/v2/alerts",
        json={"message": "API latency high", "alias": "lat-1", "priority": "P1"},
        headers=auth,
    )
    assert r.status_code == 202
    assert r.json()["result"] == "Request will be processed" and r.json()["requestId"]
    number = app_client.get("/api/v1/incidents", headers=admin).json()["incidents"][0]["id"]
    ack = app_client.post(
        "/v2/alerts/lat-1/acknowledge?identifierType=alias", json={}, headers=auth
    )
    assert ack.status_code == 202
    assert (
        app_client.get(f"/api/v1/incidents/{number}", headers=admin).json()["acknowledged_at"]
        is not None
    )
    close = app_client.post("/v2/alerts/lat-1/close?identifierType=alias", json={}, headers=auth)
    assert close.status_code == 202
    assert (
        app_client.get(f"/api/v1/incidents/{number}", headers=admin).json()["status"]
        == "monitoring"
    )
    no_auth = app_client.post("/v2/alerts", json={"message": "x"})
    assert no_auth.status_code == 401 and "GenieKey" in no_auth.json()["message"]


def test_generic_and_grafana(app_client: TestClient, runtime: Runtime) -> None:
    url = f"/api/v1/intake/generic/{key(runtime, 'generic')}"
    r = app_client.post(url, json={"title": "Queue backlog", "id": "q1", "severity": "warning"})
    assert r.status_code == 200 and r.json()["created"] == 1
    missing = app_client.post(url, json={"id": "q2"})
    assert missing.status_code == 422 and missing.json()["errors"][0]["field"] == "title"
    resolved = app_client.post(
        url, json={"title": "Queue backlog", "id": "q1", "status": "resolved"}
    )
    assert resolved.json()["resolved"] == 1
    grafana = f"/api/v1/intake/grafana/{key(runtime, 'grafana')}"
    g = app_client.post(
        grafana,
        json={"alert_uid": "u1", "title": "CPU high", "state": "alerting", "message": "cpu 95%"},
    )
    assert g.status_code == 200 and g.json()["created"] == 1
    ok = app_client.post(grafana, json={"alert_uid": "u1", "title": "CPU high", "state": "ok"})
    assert ok.json()["resolved"] == 1


def test_heartbeat_opens_once_and_next_ping_resolves(
    app_client: TestClient, runtime: Runtime, clock: FrozenClock
) -> None:
    url = f"/api/v1/intake/heartbeat/{key(runtime, 'heartbeat')}"
    assert app_client.get(url).status_code == 200
    clock.advance(timedelta(minutes=5))
    assert runtime.engine.run_once() == 0 or count(runtime, Alert) == 0
    clock.advance(timedelta(minutes=1, seconds=1))  # past interval 5m + grace 1m
    runtime.engine.fire_due_timers()
    for step in runtime.engine.steps:
        step()
    assert count(runtime, Alert) == 1
    clock.advance(timedelta(minutes=10))
    for step in runtime.engine.steps:
        step()
    assert count(runtime, Alert) == 1  # one alert for one silence
    assert app_client.post(url).json()["resolved"] == 1
    with runtime.sessions() as s:
        assert s.scalars(select(Alert.status)).one() == "resolved"


def test_silences_and_maintenance_record_but_page_nobody(
    app_client: TestClient, runtime: Runtime, clock: FrozenClock, responder: dict[str, str]
) -> None:
    r = app_client.post(
        "/api/v1/silences",
        headers=responder,
        json={
            "matchers": [{"field": "labels.alertname", "op": "=", "value": "HighErrorRate"}],
            "ends_at": "2026-11-26T13:00:00Z",
            "comment": "known, being fixed",
        },
    )
    assert r.status_code == 201, r.text
    silenced = app_client.post(am_url(runtime), json=fixture("webhook-firing.json")).json()
    assert silenced["silenced"] == 1 and silenced["incidents"] == []
    assert count(runtime, Incident) == 0 and count(runtime, Alert) == 1
    everything = app_client.post(
        "/api/v1/silences",
        headers=responder,
        json={"ends_at": "2026-11-26T13:00:00Z", "comment": "all"},
    )
    assert everything.status_code == 422
    bad = app_client.post(
        "/api/v1/silences",
        headers=responder,
        json={
            "matchers": [{"field": "labels.x", "op": "=~", "value": "("}],
            "ends_at": "2026-11-26T13:00:00Z",
            "comment": "x",
        },
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "matchers[0]"
    window = app_client.post(
        "/api/v1/silences",
        headers=responder,
        json={
            "kind": "maintenance",
            "service": "platform",
            "ends_at": "2026-11-26T12:30:00Z",
            "comment": "database upgrade",
        },
    )
    assert window.status_code == 201
    pd = {
        "routing_key": key(runtime, "pagerduty"),
        "event_action": "trigger",
        "dedup_key": "during-maintenance",
        "payload": {"summary": "db restarting", "source": "db-1", "severity": "critical"},
    }
    app_client.post("/v2/enqueue", json=pd)
    assert count(runtime, Incident) == 0
    clock.advance(timedelta(hours=2))  # both have expired: alerts page again
    pd["dedup_key"] = "after-maintenance"
    app_client.post("/v2/enqueue", json=pd)
    assert count(runtime, Incident) == 1


def test_rate_limit_answers_429_with_retry_after(app_client: TestClient, runtime: Runtime) -> None:
    from firebell.api.ratelimit import TokenBuckets

    # a frozen bucket clock: once the burst is used up, nothing refills during the test
    buckets = TokenBuckets(now=lambda: 1000.0)
    assert buckets.take("x", 60, 2) == 0 and buckets.take("x", 60, 2) == 0
    assert buckets.take("x", 60, 2) == 1.0  # one per second: wait a second
    runtime.rate_limits = buckets
    integration = runtime.integrations.by_id["pagerduty"]
    for _ in range(integration.spec.options.rate_limit_burst + 1):
        if buckets.take(
            integration.id,
            integration.spec.options.rate_limit_per_minute,
            integration.spec.options.rate_limit_burst,
        ):
            break
    pd = {
        "routing_key": integration.key,
        "event_action": "trigger",
        "payload": {"summary": "x", "source": "y", "severity": "info"},
    }
    r = app_client.post("/v2/enqueue", json=pd)
    assert r.status_code == 429 and int(r.headers["retry-after"]) >= 1
    assert count(runtime, Alert) == 0


def test_a_more_severe_alert_proposes_escalation(
    app_client: TestClient, runtime: Runtime, admin: dict[str, str]
) -> None:
    """A worse alert joining the group's incident proposes an escalation, never makes it."""
    payload = fixture("webhook-firing.json")
    mild = copy.deepcopy(payload["alerts"][0])
    mild["labels"]["severity"] = "warning"
    payload["commonLabels"]["severity"] = "warning"
    first = dict(payload, alerts=[mild])
    [number] = app_client.post(am_url(runtime), json=first).json()["incidents"]
    assert app_client.get(f"/api/v1/incidents/{number}", headers=admin).json()["severity"] in (
        "P2",
        "P3",
    )
    worse = copy.deepcopy(fixture("webhook-firing.json")["alerts"][0])
    worse["fingerprint"] = "0000000000000002"
    worse["labels"]["instance"] = "web-2:8080"
    second = dict(payload, alerts=[mild, worse])
    del second["commonLabels"]["severity"]
    assert app_client.post(am_url(runtime), json=second).json()["incidents"] == [number]
    events = app_client.get(f"/api/v1/incidents/{number}/timeline", headers=admin).json()
    [proposal] = [e for e in events["events"] if e["kind"] == "escalation_proposed"]
    assert proposal["details"]["to"] == "P1" and proposal["details"]["rule"] == "alert-more-severe"
    assert app_client.get(f"/api/v1/incidents/{number}", headers=admin).json()["severity"] != "P1"
