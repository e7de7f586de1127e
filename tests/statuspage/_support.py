"""Helpers for the status page tests: declare an incident, publish its updates."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

H = dict[str, str]
FACTS = {
    "impact": "failed API requests",
    "summary": "elevated API errors",
    "actions": ["Rolling back"],
}


def declare(client: TestClient, headers: H, **body: Any) -> int:
    payload = {"title": "API returning 503s", "severity": "P1", "service": "api", **body}
    r = client.post("/api/v1/incidents", json=payload, headers=headers)
    assert r.status_code == 201, r.text
    number: int = r.json()["id"]
    r = client.post(f"/api/v1/incidents/{number}/facts", json={"facts": FACTS}, headers=headers)
    assert r.status_code == 200, r.text
    return number


def publish(client: TestClient, headers: H, number: int, template: str = "initial") -> Any:
    fields = {
        "root_cause": "a bad deployment",
        "current_action": "rolling back",
        "expected_progress": "recovery within the hour",
        "resolution_summary": "Rolled back.",
        "preventive_actions": ["Canary releases"],
        "postmortem_url": "https://status.example.com/pm/1",
        "responders": ["@alice"],
        "current_status": "Fix in progress",
    }
    r = client.post(
        f"/api/v1/incidents/{number}/notify",
        headers=headers,
        json={"template": template, "audience": "customers", "fields": fields},
    )
    assert r.status_code == 202, r.text
    return r.json()
