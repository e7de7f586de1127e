"""Simultaneous deliveries: dedup, one open incident per group, and a causal timeline.

Real senders deliver concurrently: an Alertmanager receiver with both a webhook and a
PagerDuty config notifies both at the same instant (milliseconds apart in the end-to-end
test), and a sender that timed out retries while its first attempt is still being
processed. On PostgreSQL the requests are spread over two `firebell serve` processes on
the one database (the README's "several processes" deployment); on SQLite they all go to
the one process. Each test starts with no open incident.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from ._support import pagerduty_key, trigger
from .conftest import Served

pytestmark = pytest.mark.slow

SENDERS = 16
ORDER_ROUNDS = 2
OPEN = "('investigating', 'identified', 'monitoring')"


def no_open_incident(served: Served) -> None:
    """Start from "nothing open for the service", as when a new problem begins."""
    with served.firebell.api() as api:
        for status in ("investigating", "identified", "monitoring"):
            listing = api.get("/api/v1/incidents", params={"status": status, "limit": 500})
            for incident in listing.json()["incidents"]:
                done = api.post(f"/api/v1/incidents/{incident['id']}/resolve", json={})
                assert done.status_code == 200, done.text


def url_for(served: Served, n: int) -> str:
    """Request `n` goes to process `n mod processes`."""
    processes = served.processes
    return processes[n % len(processes)].url


def released_together(served: Served, path: str, bodies: list[dict[str, object]]) -> list[int]:
    """POST each body to `path`, all released at the same instant."""
    barrier = threading.Barrier(len(bodies))

    def send(n: int) -> int:
        with httpx.Client(base_url=url_for(served, n), timeout=30) as client:
            client.get("/healthz")  # the connection is open before the start line
            barrier.wait(timeout=30)
            return client.post(path, json=bodies[n]).status_code

    with ThreadPoolExecutor(len(bodies)) as pool:
        return list(pool.map(send, range(len(bodies))))


def simultaneously(served: Served, dedup_keys: list[str]) -> list[int]:
    """POST one PagerDuty trigger per key, all released at the same instant."""
    routing_key = pagerduty_key(served.firebell)
    return released_together(served, "/v2/enqueue", [trigger(routing_key, k) for k in dedup_keys])


def open_incidents(served: Served) -> list[object]:
    return served.scalars(
        f"SELECT id FROM incidents WHERE service = 'platform' AND status IN {OPEN} ORDER BY id"
    )


def group_notification(group: str, n: int) -> dict[str, object]:
    """Alertmanager's webhook for group `group` holding one alert of its own (`n`)."""
    labels = {"alertname": group, "instance": f"host-{n}"}
    return {
        "version": "4",
        "groupKey": '{}:{alertname="' + group + '"}',
        "status": "firing",
        "receiver": "firebell",
        "groupLabels": {"alertname": group},
        "commonLabels": labels,
        "commonAnnotations": {"summary": f"{group} firing"},
        "externalURL": "http://alertmanager.invalid",
        "truncatedAlerts": 0,
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": {"summary": f"{group} on host-{n}"},
                "startsAt": "2026-11-26T12:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus.invalid/graph",
                "fingerprint": f"{n:016x}",
            }
        ],
    }


def test_simultaneous_alerts_of_one_group_open_one_incident(served: Served) -> None:
    """Alerts of one sender group delivered at the same instant (to several processes on
    PostgreSQL) find each other: one incident, every alert attached to it."""
    no_open_incident(served)
    group = f"Concurrent{uuid.uuid4().hex[:8]}"
    url = served.firebell.integrations()["alertmanager"]["url"]
    path = "/" + url.split("/", 3)[3]
    bodies = [group_notification(group, n) for n in range(SENDERS)]
    assert released_together(served, path, bodies) == [200] * SENDERS
    incidents = open_incidents(served)
    assert len(incidents) == 1, (
        f"{SENDERS} simultaneous alerts of one group opened {len(incidents)} "
        f"incidents {incidents}; they must all attach to the group's one incident"
    )
    attached = served.scalars(
        "SELECT DISTINCT incident_id FROM alerts WHERE integration = 'alertmanager' "
        "AND status <> 'resolved' AND incident_id IN "
        f"(SELECT id FROM incidents WHERE status IN {OPEN})"
    )
    assert attached == incidents


def test_simultaneous_alerts_of_distinct_groups_open_one_incident_each(served: Served) -> None:
    """Another group on the same service opens its own incident, linked to an open one."""
    no_open_incident(served)
    run = uuid.uuid4().hex[:8]
    keys = [f"{run}-distinct-{n}" for n in range(SENDERS)]
    assert simultaneously(served, keys) == [202] * SENDERS
    incidents = open_incidents(served)
    assert len(incidents) == SENDERS, incidents
    linked = served.scalars(
        "SELECT COUNT(*) FROM incident_links WHERE reason = 'same_service' AND incident_id IN "
        f"(SELECT id FROM incidents WHERE status IN {OPEN})"
    )
    assert linked == [SENDERS - 1]  # every incident but the first points at an open one


def test_simultaneous_duplicates_store_one_alert(served: Served) -> None:
    no_open_incident(served)
    key = f"{uuid.uuid4().hex[:8]}-same"
    assert simultaneously(served, [key] * SENDERS) == [202] * SENDERS
    rows = served.scalars(
        "SELECT id FROM alerts WHERE integration = 'pagerduty' AND dedup_key = :key "
        "AND status <> 'resolved'",
        key=key,
    )
    assert len(rows) == 1, (
        f"{SENDERS} simultaneous deliveries of one dedup_key stored {len(rows)} open alerts "
        f"{rows}; (integration, dedup_key, fingerprint) must have at most one open alert"
    )


def test_alerts_queued_behind_a_writer_are_timelined_after_the_declaration(
    served: Served,
) -> None:
    """Requests that queue behind a slow writer get the lock in no particular order; the
    first to get it declares the incident, and the others' timeline events must not be
    dated before that declaration."""
    routing_key = pagerduty_key(served.firebell)
    for _round in range(ORDER_ROUNDS):
        no_open_incident(served)
        run = uuid.uuid4().hex[:8]

        def send(n: int, run: str = run) -> int:
            with httpx.Client(base_url=url_for(served, n), timeout=30) as client:
                event = trigger(routing_key, f"{run}-order-{n}")
                return client.post("/v2/enqueue", json=event).status_code

        with ThreadPoolExecutor(SENDERS) as pool:
            with served.writes_held():
                answers = [pool.submit(send, n) for n in range(SENDERS)]
                served.settle()
            assert [a.result() for a in answers] == [202] * SENDERS
        early = served.scalars(
            "SELECT e.kind || ' #' || e.id || ' on incident #' || i.id FROM timeline_events e "
            "JOIN incidents i ON i.id = e.incident_id "
            f"WHERE i.status IN {OPEN} AND e.at < i.declared_at ORDER BY e.id"
        )
        assert early == [], (
            f"timeline events dated before their incident's declared_at: {early}; "
            "an alert cannot be attached to an incident before the incident exists"
        )
        with served.firebell.api() as api:
            for incident_id in open_incidents(served):
                events = api.get(f"/api/v1/incidents/{incident_id}/timeline").json()["events"]
                assert events[0]["kind"] == "declared", [e["kind"] for e in events]
