"""Communications through the real app: render, route, guard, approve, cadence."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.clock import FrozenClock
from firebell.comms.render import TemplateProblem, render
from firebell.runtime import Runtime
from firebell.store.models import Message, PublicUpdate

H = dict[str, str]
FACTS = {
    "impact": "failed API requests",
    "summary": "elevated API errors",
    "actions": ["Rolling back the 11:50 deployment", "Scaling the API pool"],
}


def declare(client: TestClient, headers: H, **body: Any) -> int:
    payload = {
        "title": "API returning 503s",
        "severity": "P0",
        "commander": "primary-engineer-1",
        **body,
    }
    r = client.post("/api/v1/incidents", json=payload, headers=headers)
    assert r.status_code == 201, r.text
    number: int = r.json()["id"]
    client.post(f"/api/v1/incidents/{number}/facts", json={"facts": FACTS}, headers=headers)
    return number


def test_initial_internal_matches_the_seed(app_client: TestClient, responder: H) -> None:
    number = declare(app_client, responder)
    r = app_client.post(
        f"/api/v1/incidents/{number}/comms/preview",
        headers=responder,
        json={"template": "initial", "variant": "internal"},
    )
    assert r.status_code == 200, r.text
    [item] = r.json()["rendered"]
    lines = item["body"].splitlines()
    assert lines[0] == "INCIDENT ALERT - [P0] API returning 503s"
    assert "Severity: P0" in lines and "Status: INVESTIGATING" in lines
    assert "Start Time: 2026-11-26 12:00 UTC" in lines
    assert any(line.startswith("Incident Commander: @") for line in lines)
    assert "Impact: failed API requests" in lines
    assert "- Rolling back the 11:50 deployment" in lines
    assert "Incident Channel: #incident-20261126-1200-p0" in lines
    # the next update is quoted from the P0 cadence (15 minutes)
    assert "Next Update: 12:15 UTC" in lines


def test_every_variant_renders_for_a_full_incident(
    app_client: TestClient, responder: H, admin: H
) -> None:
    number = declare(app_client, responder)
    fields = {
        "updates": ["Rollback started"],
        "current_status": "Fix in progress",
        "root_cause": "a bad config push",
        "current_action": "implementing a fix",
        "expected_progress": "recovery in 15 minutes",
        "resolution_summary": "Rolled back.",
        "preventive_actions": ["Add canaries"],
        "postmortem_url": "https://wiki.example.com/pm/1",
        "responders": ["@alice"],
        "maintenance": {
            "date": "2026-12-01",
            "start": "2026-12-01 02:00 UTC",
            "end": "2026-12-01 04:00 UTC",
            "start_time": "02:00",
            "end_time": "04:00",
            "duration": "2 hours",
            "impact": "The API may be unavailable",
            "reason": "Database upgrade",
        },
        "security": {
            "classification": "Unauthorized Access",
            "lead": "@ciso",
            "occurred_on": "2026-11-26",
            "discovered_on": "2026-11-26",
            "what_happened": "A token leaked",
            "affected_data": "emails",
            "response": "Tokens revoked",
            "remediation": "Rotation",
            "user_actions": "Reset your password",
        },
        "war_room_url": "https://meet.example.com/room",
    }
    families = {"initial": 3, "update": 2, "resolution": 3, "maintenance": 2, "security": 2}
    for family, expected in families.items():
        r = app_client.post(
            f"/api/v1/incidents/{number}/comms/preview",
            headers=responder,
            json={"template": family, "fields": fields},
        )
        assert r.status_code == 200, (family, r.text)
        rendered = r.json()["rendered"]
        assert len(rendered) == expected
        for item in rendered:
            assert item["body"].strip() and "{{" not in item["body"], item
            assert item["problems"] == [], item


def test_missing_variable_and_sandbox_escape_fail_clearly() -> None:
    with pytest.raises(TemplateProblem, match=r"needs 'incident\.commander'"):
        render("initial.internal", "IC: {{ incident.commander }}", {"incident": {"title": "x"}})
    with pytest.raises(TemplateProblem, match="refused by the sandbox"):
        render("evil", "{{ ''.__class__.__mro__[1].__subclasses__() }}", {})
    with pytest.raises(TemplateProblem, match="refused by the sandbox"):
        render("evil", "{{ cycler.__init__.__globals__.os }}", {})


def test_preview_shows_every_missing_value_at_once(app_client: TestClient, responder: H) -> None:
    r = app_client.post(
        "/api/v1/incidents", headers=responder, json={"title": "Nothing known", "severity": "P1"}
    )
    number = r.json()["id"]
    shown = app_client.post(
        f"/api/v1/incidents/{number}/comms/preview",
        headers=responder,
        json={"template": "initial", "variant": "internal"},
    )
    assert shown.status_code == 200, shown.text
    [item] = shown.json()["rendered"]
    # the declarer commands by default; impact and actions are not known yet
    assert "Incident Commander: @alice" in item["body"]
    assert "Impact: [incident.impact: not known yet]" in item["body"]
    assert "- [actions: not known yet]" in item["body"]
    assert item["missing"] == ["incident.impact", "actions"]
    assert item["blocking"] == []  # internal: nothing is required unless the playbook says


def test_notify_all_routes_by_severity_and_keeps_status_page_updates(
    app_client: TestClient, responder: H, runtime: Runtime
) -> None:
    number = declare(app_client, responder)
    r = app_client.post(
        f"/api/v1/incidents/{number}/notify",
        headers=responder,
        json={"template": "initial", "audience": "all"},
    )
    assert r.status_code == 202, r.text
    with runtime.sessions() as s:
        messages = list(s.scalars(select(Message).where(Message.purpose == "notify")))
    addresses = {m.address for m in messages}
    # P0 goes to all stakeholders: the all-hands channel and the listed addresses
    assert {"#incident-all-hands", "ops@example.com", "cto@example.com"} <= addresses
    customers = app_client.post(
        f"/api/v1/incidents/{number}/notify",
        headers=responder,
        # the customer e-mail is rendered now (it goes to status page subscribers)
        json={
            "template": "initial",
            "audience": "customers",
            "fields": {"current_status": "Investigating"},
        },
    )
    assert customers.status_code == 202, customers.text
    assert customers.json()["public_updates"] == 1
    # nobody has subscribed yet: nothing is queued, and the answer says so
    assert customers.json()["messages"] == 0
    assert any("customer_email: no active subscriber" in s for s in customers.json()["skipped"])
    updates = app_client.get(
        f"/api/v1/incidents/{number}/public-updates", headers=responder
    ).json()["updates"]
    assert updates[0]["status"] == "investigating" and updates[0]["impact"] == "critical"


def test_customer_message_with_internal_details_is_blocked(
    app_client: TestClient, responder: H, runtime: Runtime
) -> None:
    number = declare(app_client, responder)
    app_client.post(
        f"/api/v1/incidents/{number}/facts",
        headers=responder,
        json={"facts": {"summary": "errors from api-7.prod.internal (10.2.3.4)"}},
    )
    r = app_client.post(
        f"/api/v1/incidents/{number}/notify",
        headers=responder,
        json={"template": "initial", "audience": "customers"},
    )
    assert r.status_code == 409
    assert "must not reach customers" in r.json()["detail"] and "10.2.3.4" in r.json()["detail"]
    with runtime.sessions() as s:
        assert s.scalars(select(PublicUpdate)).first() is None


def test_security_incident_needs_recorded_approval(
    app_client: TestClient, admin: H, runtime: Runtime
) -> None:
    number = declare(app_client, admin, private=True, title="Credential leak")
    fields = {"security": {"classification": "Unauthorized Access", "lead": "@ciso"}}
    ok = app_client.post(
        f"/api/v1/incidents/{number}/notify",
        headers=admin,
        json={"template": "security", "audience": "security", "fields": fields},
    )
    assert ok.status_code == 202, ok.text
    with runtime.sessions() as s:
        sent = s.scalars(select(Message).where(Message.purpose == "notify")).one()
    assert sent.address == "security@example.com" and "CONFIDENTIAL" in sent.subject
    broad = app_client.post(
        f"/api/v1/incidents/{number}/notify",
        headers=admin,
        json={"template": "initial", "audience": "all-stakeholders"},
    )
    assert broad.status_code == 403 and "approval" in broad.json()["detail"]
    wrong = app_client.post(
        f"/api/v1/incidents/{number}/notify",
        headers=admin,
        json={"template": "security", "audience": "ops-team"},
    )
    assert wrong.status_code == 403
    app_client.post(
        f"/api/v1/incidents/{number}/disclosures",
        headers=admin,
        json={"audience": "all-stakeholders", "reason": "CISO approved at 12:30"},
    )
    after = app_client.post(
        f"/api/v1/incidents/{number}/notify",
        headers=admin,
        json={"template": "initial", "audience": "all-stakeholders"},
    )
    assert after.status_code == 202, after.text


def test_cadence_reminds_the_commander_and_records_breaches(
    app_client: TestClient, responder: H, runtime: Runtime, clock: FrozenClock
) -> None:
    p0 = declare(app_client, responder)
    p1 = declare(app_client, responder, severity="P1", title="Slow API")
    clock.advance(timedelta(minutes=15))
    runtime.engine.fire_due_timers()
    kinds = [
        e["kind"]
        for e in app_client.get(f"/api/v1/incidents/{p0}/timeline", headers=responder).json()[
            "events"
        ]
    ]
    # P0: no update for 15 minutes reminds the commander; status page due at 10 minutes
    assert "update_overdue" in kinds and "status_page_update_missed" in kinds
    with runtime.sessions() as s:
        reminders = list(
            s.scalars(
                select(Message).where(Message.purpose == "reminder", Message.incident_id == p0)
            )
        )
    assert reminders and all(r.person == "primary-engineer-1" for r in reminders)
    p1_kinds = [
        e["kind"]
        for e in app_client.get(f"/api/v1/incidents/{p1}/timeline", headers=responder).json()[
            "events"
        ]
    ]
    assert "status_page_update_missed" not in p1_kinds  # P1's first update is due at 30 min
    app_client.post(
        f"/api/v1/incidents/{p1}/notify",
        headers=responder,
        json={
            "template": "update",
            "audience": "affected-teams",
            "fields": {"updates": ["Investigating"]},
        },
    )
    clock.advance(timedelta(minutes=16))  # 31 minutes in
    runtime.engine.fire_due_timers()
    p1_kinds = [
        e["kind"]
        for e in app_client.get(f"/api/v1/incidents/{p1}/timeline", headers=responder).json()[
            "events"
        ]
    ]
    assert "status_page_update_missed" in p1_kinds
    # the internal update at 15 minutes re-armed its own deadline (30 minutes for P1)
    assert "update_overdue" not in p1_kinds
