"""A real Prometheus Alertmanager delivers to firebell through both of its receivers.

One receiver has a `webhook_configs` entry pointing at firebell's Alertmanager intake and a
`pagerduty_configs` entry pointing at firebell's PagerDuty Events v2 endpoint, so every group
notification reaches firebell twice, through two integrations. Both carry the same sender
group key, so both land on the group's one incident; another group opens its own incident,
linked to the open one; re-posting an alert changes nothing; resolving every alert of a
group that nobody acknowledged resolves its incident (the default playbook's choice).

A second Alertmanager, routing by label, sends two unrelated groups for two services: two
incidents, each on its own service, and `firebell alerts` lists them.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from ._support import Alertmanager, Firebell, wait_for

pytestmark = pytest.mark.slow

DISK = "FbDiskFull"
LATENCY = "FbHighLatency"
ATTACH_KINDS = ("classified", "alert_attached")


@dataclass
class Stack:
    firebell: Firebell
    alertmanager: Alertmanager
    api: httpx.Client

    def log(self) -> str:
        return (
            f"--- firebell ---\n{self.firebell.log()[-4000:]}\n"
            f"--- alertmanager ---\n{self.alertmanager.log()[-4000:]}"
        )


def alertmanager_config(group_by: list[str], receiver: dict[str, Any]) -> dict[str, Any]:
    return {
        "route": {
            "receiver": "firebell",
            "group_by": group_by,
            "group_wait": "1s",
            "group_interval": "2s",
            "repeat_interval": "1h",
        },
        "receivers": [{"name": "firebell", **receiver}],
    }


def running_stack(
    tmp_path: Path, configure: Callable[[Firebell, dict[str, dict[str, str]]], dict[str, Any]]
) -> Iterator[Stack]:
    """`firebell serve` and an Alertmanager configured by `configure(firebell, integrations)`."""
    firebell = Firebell(tmp_path / "home")
    alertmanager: Alertmanager | None = None
    try:
        integrations = firebell.integrations_cli()
        assert integrations == firebell.integrations()
        alertmanager = Alertmanager(tmp_path / "alertmanager", configure(firebell, integrations))
        with firebell.api() as api:
            yield Stack(firebell, alertmanager, api)
    finally:
        if alertmanager is not None:
            alertmanager.stop()
        firebell.stop()


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """Both receivers: webhook and PagerDuty."""

    def configure(firebell: Firebell, integrations: dict[str, dict[str, str]]) -> dict[str, Any]:
        assert integrations["alertmanager"]["format"] == "alertmanager"
        assert integrations["pagerduty"]["format"] == "pagerduty"
        receiver = {
            "webhook_configs": [
                {"url": integrations["alertmanager"]["url"], "send_resolved": True}
            ],
            "pagerduty_configs": [
                {
                    "routing_key": integrations["pagerduty"]["key"],
                    "url": f"http://127.0.0.1:{firebell.port}/v2/enqueue",
                    "send_resolved": True,
                }
            ],
        }
        return alertmanager_config(["alertname"], receiver)

    yield from running_stack(tmp_path, configure)


def group_key(alertname: str) -> str:
    """Alertmanager's groupKey for the root route grouped by alertname."""
    return "{}:{alertname=" + f'"{alertname}"' + "}"


def dedup_key(alertname: str) -> str:
    """Both Alertmanager's PagerDuty receiver and firebell use sha256(groupKey)."""
    return hashlib.sha256(group_key(alertname).encode()).hexdigest()


def alert(
    alertname: str, starts: datetime, ends: datetime | None = None, service: str = "checkout"
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "labels": {"alertname": alertname, "service": service, "severity": "critical"},
        "annotations": {"summary": f"{alertname} on checkout"},
        "startsAt": starts.isoformat(),
        "generatorURL": f"http://prometheus.example/graph?g0.expr={alertname}",
    }
    if ends is not None:
        body["endsAt"] = ends.isoformat()
    return body


def incidents(stack: Stack) -> list[dict[str, Any]]:
    response = stack.api.get("/api/v1/incidents")
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["incidents"])
    found: list[dict[str, Any]] = body["incidents"]
    return found


def timeline(stack: Stack, incident_id: int) -> list[dict[str, Any]]:
    response = stack.api.get(f"/api/v1/incidents/{incident_id}/timeline")
    assert response.status_code == 200, response.text
    events: list[dict[str, Any]] = response.json()["events"]
    return events


def attachments(events: list[dict[str, Any]], key: str) -> set[str]:
    """The integrations through which an alert of group `key` reached the incident."""
    return {
        e["details"]["integration"]
        for e in events
        if e["kind"] in ATTACH_KINDS and e["details"]["dedup_key"] == key
    }


def alert_rows(stack: Stack) -> list[tuple[Any, ...]]:
    return stack.firebell.query(
        "SELECT integration, dedup_key, fingerprint, status, incident_id, events "
        "FROM alerts ORDER BY id"
    )


def flushes(stack: Stack, alertname: str) -> int:
    """How many times Alertmanager flushed the group (its debug log, one line per flush)."""
    escaped = group_key(alertname).replace('"', '\\"')
    return stack.alertmanager.log().count(f'aggrGroup="{escaped}" msg=flushing')


def received(stack: Stack) -> int:
    return stack.alertmanager.log().count('msg="Received alert"')


def test_alertmanager_webhook_and_pagerduty_receivers_end_to_end(stack: Stack) -> None:
    starts = datetime.now(UTC) - timedelta(minutes=1)

    # 1. One alert: both receivers deliver its group, one incident gets both alerts.
    stack.alertmanager.post_alerts([alert(DISK, starts)])

    def delivered_twice(key: str) -> list[dict[str, Any]] | None:
        found = incidents(stack)
        if not found:
            return None
        events = timeline(stack, found[0]["id"])
        return events if attachments(events, key) == {"alertmanager", "pagerduty"} else None

    events = wait_for(
        lambda: delivered_twice(dedup_key(DISK)), f"{DISK} from both receivers", log=stack.log
    )
    [incident] = incidents(stack)
    assert incident["service"] == "platform"  # 'checkout' is no service of the playbook
    assert incident["status"] == "investigating"
    kinds = [e["kind"] for e in events]
    # Counted, not ordered: the order of simultaneous deliveries is
    # test_intake_concurrency's subject.
    assert kinds.count("declared") == 1, kinds
    assert kinds.count("classified") == 1, kinds
    assert kinds.count("alert_attached") == 1, kinds
    rows = alert_rows(stack)
    assert sorted((r[0], r[1], r[3], r[4]) for r in rows) == [
        ("alertmanager", dedup_key(DISK), "triggered", incident["id"]),
        ("pagerduty", dedup_key(DISK), "triggered", incident["id"]),
    ]
    by_integration = {r[0]: r for r in rows}
    assert by_integration["pagerduty"][2] == ""  # PD events carry no fingerprint
    assert re.fullmatch(r"[0-9a-f]{16}", by_integration["alertmanager"][2])

    # 2. Another alertname is another group: its own incident, linked to the open one.
    stack.alertmanager.post_alerts([alert(LATENCY, starts)])

    def second_incident() -> list[dict[str, Any]] | None:
        found = incidents(stack)
        if len(found) < 2:
            return None
        events = timeline(stack, found[0]["id"])  # newest first
        return (
            events
            if attachments(events, dedup_key(LATENCY)) == {"alertmanager", "pagerduty"}
            else None
        )

    events = wait_for(second_incident, f"{LATENCY} from both receivers", log=stack.log)
    latency, disk = incidents(stack)
    assert disk["id"] == incident["id"] and latency["id"] != disk["id"]
    kinds = [e["kind"] for e in events]
    assert kinds.count("classified") == 1 and kinds.count("alert_attached") == 1, kinds
    [link] = [e for e in events if e["kind"] == "incident_linked"]
    assert link["details"] == {"to": disk["id"], "reason": "same_service"}
    assert [e["details"]["value"] for e in events if e["kind"] == "service_unknown"] == ["checkout"]
    rows = alert_rows(stack)
    assert len(rows) == 4
    assert {r[4] for r in rows if r[1] == dedup_key(DISK)} == {disk["id"]}
    assert {r[4] for r in rows if r[1] == dedup_key(LATENCY)} == {latency["id"]}
    assert {r[3] for r in rows} == {"triggered"}

    # 3. Re-posting the same alert: Alertmanager flushes the group again, nothing new appears.
    before_received = received(stack)
    stack.alertmanager.post_alerts([alert(DISK, starts)])
    wait_for(lambda: received(stack) > before_received, "the re-post to be dispatched")
    before_flushes = flushes(stack, DISK)
    # The flush after the re-post has finished notifying once the next flush starts.
    wait_for(lambda: flushes(stack, DISK) >= before_flushes + 2, "two more flushes of the group")
    assert len(incidents(stack)) == 2
    assert alert_rows(stack) == rows

    # 4. Resolve one group: its two alerts resolve; nobody acknowledged, so its incident
    # resolves; the other stays open.
    ended = datetime.now(UTC) - timedelta(seconds=1)
    stack.alertmanager.post_alerts([alert(DISK, starts, ended)])

    def statuses() -> dict[tuple[str, str], str]:
        return {(r[0], r[1]): r[3] for r in alert_rows(stack)}

    def status_of(number: int) -> str:
        return next(i["status"] for i in incidents(stack) if i["id"] == number)

    wait_for(
        lambda: (
            statuses()[("alertmanager", dedup_key(DISK))] == "resolved"
            and statuses()[("pagerduty", dedup_key(DISK))] == "resolved"
        ),
        f"{DISK} resolved through both receivers",
        log=stack.log,
    )
    assert statuses()[("alertmanager", dedup_key(LATENCY))] == "triggered"
    assert statuses()[("pagerduty", dedup_key(LATENCY))] == "triggered"
    assert status_of(disk["id"]) == "resolved"
    assert status_of(latency["id"]) == "investigating"
    events = timeline(stack, disk["id"])
    resolved = [e["details"] for e in sorted(events, key=lambda e: e["id"])]
    flags = [d["open_alerts_left"] for d in resolved if "open_alerts_left" in d]
    assert flags == [True, False]  # the first receiver's resolve left the other's alert open
    [change] = [e["details"] for e in events if e["kind"] == "resolved"]
    assert change["cause"] == "every alert resolved"

    # 5. Acknowledge the other, then resolve it: someone is working on it -> monitoring.
    acked = stack.api.post(f"/api/v1/incidents/{latency['id']}/acknowledge")
    assert acked.status_code == 200, acked.text
    stack.alertmanager.post_alerts([alert(LATENCY, starts, ended)])
    wait_for(
        lambda: status_of(latency["id"]) == "monitoring",
        "the acknowledged incident to move to monitoring",
        log=stack.log,
    )
    assert set(statuses().values()) == {"resolved"}
    events = timeline(stack, latency["id"])
    changes = [e["details"] for e in events if e["kind"] == "status_changed"]
    assert changes == [
        {"from": "investigating", "to": "monitoring", "cause": "every alert resolved"}
    ]


@pytest.fixture
def by_service(tmp_path: Path) -> Iterator[Stack]:
    """The webhook receiver alone, grouping by alertname and service."""

    def configure(_firebell: Firebell, integrations: dict[str, dict[str, str]]) -> dict[str, Any]:
        webhook = {"url": integrations["alertmanager"]["url"], "send_resolved": True}
        return alertmanager_config(["alertname", "service"], {"webhook_configs": [webhook]})

    yield from running_stack(tmp_path, configure)


def test_two_unrelated_groups_for_two_services_open_two_incidents(by_service: Stack) -> None:
    stack = by_service
    starts = datetime.now(UTC) - timedelta(minutes=1)
    stack.alertmanager.post_alerts(
        [alert(DISK, starts, service="database"), alert(LATENCY, starts, service="api")]
    )
    found = wait_for(
        lambda: (lambda i: i if len(i) == 2 else None)(incidents(stack)),
        "two incidents",
        log=stack.log,
    )
    assert {(i["title"], i["service"]) for i in found} == {
        (f"{DISK} on checkout", "database"),
        (f"{LATENCY} on checkout", "api"),
    }
    for incident in found:
        events = timeline(stack, incident["id"])
        assert [e["kind"] for e in events if e["kind"] == "incident_linked"] == []
        [classified] = [e for e in events if e["kind"] == "classified"]
        assert classified["details"]["routing"] == f"label service={incident['service']}"
    # The CLI shows the alerts, with their labels and status history.
    env = dict(
        stack.firebell.env, FIREBELL_URL=stack.firebell.url, FIREBELL_TOKEN=stack.firebell.token
    )
    done = subprocess.run(
        [sys.executable, "-m", "firebell", "alerts", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    listed = json.loads(done.stdout)["alerts"]
    assert {(a["service"], a["labels"]["alertname"]) for a in listed} == {
        ("database", DISK),
        ("api", LATENCY),
    }
    assert all([s["status"] for s in a["history"]] == ["triggered"] for a in listed)
    table = subprocess.run(
        [sys.executable, "-m", "firebell", "alerts", "--service", "database"],
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert table.returncode == 0 and DISK in table.stdout and LATENCY not in table.stdout
