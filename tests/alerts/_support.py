"""Helpers for the alert-flow tests: a runtime on the default playbook (every person
reachable by webhook at a real loopback receiver), the app, and sender payloads."""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from paging._support import ROOT, HttpReceiver, make_runtime, playbook_document
from sqlalchemy import func, select

from firebell.api.app import create_app
from firebell.clock import FrozenClock
from firebell.runtime import Runtime
from firebell.store.models import Message

Edit = Callable[[dict[str, Any]], None]


@dataclass
class Flow:
    rt: Runtime
    client: TestClient
    clock: FrozenClock
    receiver: HttpReceiver
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def key(self, integration: str) -> str:
        return self.rt.integrations.by_id[integration].key

    def alertmanager(self, payload: dict[str, Any]) -> dict[str, Any]:
        r = self.client.post(
            f"/api/v1/intake/alertmanager/{self.key('alertmanager')}", json=payload
        )
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def pagerduty(self, action: str, dedup_key: str, severity: str = "critical") -> dict[str, Any]:
        event = {
            "routing_key": self.key("pagerduty"),
            "event_action": action,
            "dedup_key": dedup_key,
            "payload": {"summary": f"{dedup_key} broke", "source": "test", "severity": severity},
        }
        r = self.client.post("/v2/enqueue", json=event)
        assert r.status_code == 202, r.text
        body: dict[str, Any] = r.json()
        return body

    def incident(self, number: int) -> dict[str, Any]:
        r = self.client.get(f"/api/v1/incidents/{number}", headers=self.auth)
        assert r.status_code == 200, r.text
        body: dict[str, Any] = r.json()
        return body

    def incidents(self) -> list[dict[str, Any]]:
        r = self.client.get("/api/v1/incidents", headers=self.auth, params={"limit": 200})
        found: list[dict[str, Any]] = r.json()["incidents"]
        return sorted(found, key=lambda i: i["id"])

    def timeline(self, number: int, *kinds: str) -> list[dict[str, Any]]:
        r = self.client.get(f"/api/v1/incidents/{number}/timeline", headers=self.auth)
        events: list[dict[str, Any]] = r.json()["events"]
        return [e for e in events if not kinds or e["kind"] in kinds]

    def pending_pages(self, number: int) -> int:
        with self.rt.sessions() as session:
            return int(
                session.scalar(
                    select(func.count())
                    .select_from(Message)
                    .where(
                        Message.incident_id == number,
                        Message.purpose == "page",
                        Message.status == "pending",
                    )
                )
                or 0
            )

    def run_engine_for(self, minutes: int) -> None:
        """Move time on a minute at a time, running the engine at each step."""
        for _ in range(minutes):
            self.clock.advance(timedelta(minutes=1))
            self.rt.engine.run_once()


def flow(
    tmp_path: Path,
    database_url: str,
    clock: FrozenClock,
    receiver: HttpReceiver,
    edit: Edit | None = None,
) -> Iterator[Flow]:
    from conftest import make_token

    doc = playbook_document(receiver.url)
    if edit is not None:
        edit(doc)
    rt = make_runtime(tmp_path, database_url, clock, doc)
    try:
        with TestClient(create_app(rt)) as client:
            yield Flow(rt, client, clock, receiver, make_token(rt, "admin", ROOT.name))
    finally:
        rt.close()


def am_alert(
    alertname: str, instance: str, labels: dict[str, str] | None = None, resolved: bool = False
) -> dict[str, Any]:
    all_labels = {"alertname": alertname, "instance": instance, "severity": "critical"}
    all_labels.update(labels or {})
    return {
        "status": "resolved" if resolved else "firing",
        "labels": all_labels,
        "annotations": {"summary": f"{alertname} on {instance}"},
        "startsAt": "2026-11-26T11:55:00Z",
        "endsAt": "2026-11-26T12:30:00Z" if resolved else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.invalid/graph",
        "fingerprint": hashlib.sha256(f"{alertname}/{instance}".encode()).hexdigest()[:16],
    }


def am_group(group: str, alerts: list[dict[str, Any]]) -> dict[str, Any]:
    """An Alertmanager webhook for the group named `group` (its groupKey)."""
    alerts = copy.deepcopy(alerts)
    common = dict(alerts[0]["labels"]) if alerts else {}
    for alert in alerts[1:]:
        common = {k: v for k, v in common.items() if alert["labels"].get(k) == v}
    firing = any(a["status"] == "firing" for a in alerts)
    return {
        "version": "4",
        "groupKey": '{}:{group="' + group + '"}',
        "status": "firing" if firing else "resolved",
        "receiver": "firebell",
        "groupLabels": {},
        "commonLabels": common,
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.invalid",
        "truncatedAlerts": 0,
        "alerts": alerts,
    }
