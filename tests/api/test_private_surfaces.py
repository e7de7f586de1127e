"""A private incident on the surfaces beyond the incident itself (status-page component
overrides, action items, metrics, the monthly review, alert links, Prometheus, the
post-mortem export): its member who is no admin sees it, a non-member gets a 404 or does
not find it (not even in a count), an admin sees it. On SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from firebell.runtime import Runtime
from firebell.store.db import transaction
from firebell.store.models import IncidentLink
from tests.conftest import make_token

H = dict[str, str]


@dataclass(frozen=True)
class Readers:
    member: H  # 'carol', a responder given a role on the private incident
    outsider: H  # 'bob', a responder with no part in it
    admin: H

    def each(self) -> list[tuple[str, H]]:
        return [("member", self.member), ("outsider", self.outsider), ("admin", self.admin)]


@pytest.fixture
def readers(runtime: Runtime, admin: H) -> Readers:
    def bearer(role: str, name: str) -> H:
        return {"Authorization": f"Bearer {make_token(runtime, role, name)}"}

    return Readers(bearer("responder", "carol"), bearer("responder", "bob"), admin)


def declare_private(client: TestClient, readers: Readers, title: str = "Credential leak") -> int:
    r = client.post(
        "/api/v1/incidents",
        headers=readers.admin,
        json={"title": title, "severity": "P2", "private": True, "service": "api"},
    )
    assert r.status_code == 201, r.text
    number: int = r.json()["id"]
    r = client.post(
        f"/api/v1/incidents/{number}/roles",
        headers=readers.admin,
        json={"role": "scribe", "person": "carol"},
    )
    assert r.status_code == 201, r.text
    return number


def codes(client: TestClient, readers: Readers, method: str, url: str, **kw: Any) -> list[int]:
    return [client.request(method, url, headers=h, **kw).status_code for _, h in readers.each()]


def test_component_overrides_follow_membership(app_client: TestClient, readers: Readers) -> None:
    number = declare_private(app_client, readers)
    url = f"/api/v1/incidents/{number}/components"
    body = {"component": "api-gateway", "status": "degraded_performance"}
    assert codes(app_client, readers, "POST", url, json=body) == [200, 404, 200]
    refused = app_client.post(url, headers=readers.outsider, json=body)
    assert "does not exist" in refused.text and "Credential leak" not in refused.text


def test_action_items_follow_membership(app_client: TestClient, readers: Readers) -> None:
    number = declare_private(app_client, readers)
    r = app_client.post(
        f"/api/v1/incidents/{number}/action-items",
        headers=readers.admin,
        json={"category": "prevent", "title": "Rotate the signing key", "owner": "dba"},
    )
    assert r.status_code == 201, r.text
    item = r.json()["id"]
    listed = [
        "Rotate the signing key" in app_client.get("/api/v1/action-items", headers=h).text
        for _, h in readers.each()
    ]
    assert listed == [True, False, True]
    url = f"/api/v1/incidents/{number}/action-items"
    assert codes(app_client, readers, "GET", url) == [200, 404, 200]
    patch = {"priority": "P1"}
    assert codes(app_client, readers, "PATCH", f"/api/v1/action-items/{item}", json=patch) == [
        200,
        404,
        200,
    ]


def test_metrics_leave_out_what_the_reader_may_not_see(
    app_client: TestClient, runtime: Runtime, readers: Readers
) -> None:
    start = runtime.clock.now()
    public = app_client.post(
        "/api/v1/incidents", headers=readers.admin, json={"title": "Slow", "severity": "P3"}
    )
    assert public.status_code == 201
    number = declare_private(app_client, readers)
    app_client.post(
        f"/api/v1/incidents/{number}/action-items",
        headers=readers.admin,
        json={"category": "detect", "title": "Alert on odd logins", "owner": "dba"},
    )
    params = {
        "since": (start - timedelta(days=1)).isoformat(),
        "until": (start + timedelta(days=1)).isoformat(),
    }
    seen = {}
    for who, h in readers.each():
        r = app_client.get("/api/v1/metrics", headers=h, params=params)
        assert r.status_code == 200, r.text
        data = r.json()
        seen[who] = (
            data["incidents_by_severity"].get("P2", 0),
            data["incidents_by_severity"].get("P3", 0),
            data["groups"][0]["count"],
            data["action_items_open"],
        )
    assert seen == {
        "member": (1, 1, 2, 1),
        "outsider": (0, 1, 1, 0),  # absent, not counted anonymously
        "admin": (1, 1, 2, 1),
    }


def test_the_monthly_review_follows_membership(
    app_client: TestClient, runtime: Runtime, readers: Readers
) -> None:
    number = declare_private(app_client, readers, title="Hush hush")
    overdue = (runtime.clock.now() - timedelta(hours=1)).isoformat()
    r = app_client.post(
        f"/api/v1/incidents/{number}/action-items",
        headers=readers.admin,
        json={
            "category": "respond",
            "title": "Practise key rotation",
            "owner": "dba",
            "due_at": overdue,
        },
    )
    assert r.status_code == 201, r.text
    month = f"{runtime.clock.now():%Y-%m}"
    texts = [
        app_client.get(
            "/api/v1/reports/monthly", headers=h, params={"month": month, "format": "md"}
        ).text
        for _, h in readers.each()
    ]
    assert ["Practise key rotation" in t for t in texts] == [True, False, True]
    assert ["| P2 | 1 |" in t for t in texts] == [True, False, True]
    assert ["Open now: 1, of which overdue: 1" in t for t in texts] == [True, False, True]
    assert "Open now: 0" in texts[1] and f"| {runtime.clock.now():%b %Y} | 0 |" in texts[1]
    # What is mailed to the management audience: as anyone may see it.
    mailed = runtime.reports.monthly_for_everyone(month)
    assert mailed.open_items == [] and mailed.metrics.by_severity.get("P2", 0) == 0


def test_alert_links_to_a_private_incident_follow_membership(
    app_client: TestClient, runtime: Runtime, readers: Readers
) -> None:
    public = app_client.post(
        "/api/v1/incidents", headers=readers.admin, json={"title": "Slow", "severity": "P3"}
    ).json()["id"]
    private = declare_private(app_client, readers)
    with transaction(runtime.sessions) as session:
        session.add(
            IncidentLink(
                incident_id=private,
                linked_id=public,
                reason="same_service",
                created_at=runtime.clock.now(),
            )
        )
    links = []
    for _, h in readers.each():
        r = app_client.get(f"/api/v1/incidents/{public}/alerts", headers=h)
        assert r.status_code == 200, r.text
        links.append([link["incident"] for link in r.json()["links"]])
    assert links == [[private], [], [private]]


def test_prometheus_counts_no_private_incident(
    app_client: TestClient, readers: Readers, viewer: H
) -> None:
    app_client.post(
        "/api/v1/incidents", headers=readers.admin, json={"title": "Slow", "severity": "P3"}
    )
    declare_private(app_client, readers)
    for h in (viewer, readers.admin):
        text = app_client.get("/metrics", headers=h).text
        assert 'firebell_incidents_declared_total{severity="P3"} 1.0' in text
        assert 'firebell_incidents_declared_total{severity="P2"} 0.0' in text
        assert 'firebell_open_incidents{severity="P2"} 0.0' in text


def test_the_postmortem_export_follows_membership(app_client: TestClient, readers: Readers) -> None:
    number = declare_private(app_client, readers)
    r = app_client.post(f"/api/v1/incidents/{number}/postmortem", headers=readers.admin)
    assert r.status_code == 201, r.text
    url = f"/api/v1/incidents/{number}/postmortem/export"
    for fmt in ("md", "html"):
        assert codes(app_client, readers, "GET", url, params={"format": fmt}) == [200, 404, 200]
    assert codes(app_client, readers, "GET", f"/api/v1/incidents/{number}/postmortem") == [
        200,
        404,
        200,
    ]
    refused = app_client.get(url, headers=readers.outsider, params={"format": "html"})
    assert "Credential leak" not in refused.text
