"""The initial notification can go out at declaration: the declarer commands, unknown
facts show as placeholders, only what the playbook requires blocks a send."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from ruamel.yaml import YAML
from sqlalchemy import select

from firebell.api.app import create_app
from firebell.auth.principal import Principal
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.incidents.service import Declaration
from firebell.playbook.loader import default_playbook_text
from firebell.runtime import Runtime, build_runtime
from firebell.store.db import transaction
from firebell.store.models import Message
from tests.conftest import make_token

H = dict[str, str]


def declare(client: TestClient, headers: H, severity: str = "P1") -> int:
    r = client.post(
        "/api/v1/incidents", headers=headers, json={"title": "API down", "severity": severity}
    )
    assert r.status_code == 201, r.text
    number: int = r.json()["id"]
    assert r.json()["commander"] == "alice"  # the declarer
    return number


def test_initial_notification_goes_out_with_placeholders(
    app_client: TestClient, responder: H, runtime: Runtime
) -> None:
    number = declare(app_client, responder, "P0")
    sent = app_client.post(
        f"/api/v1/incidents/{number}/notify",
        headers=responder,
        json={"template": "initial", "audience": "all-stakeholders"},
    )
    assert sent.status_code == 202, sent.text
    [rendered] = sent.json()["rendered"][:1]
    assert "Incident Commander: @alice" in rendered["body"]
    assert "Impact: [incident.impact: not known yet]" in rendered["body"]
    assert rendered["missing"] == ["incident.impact", "actions"]
    with runtime.sessions() as s:
        bodies = [m.body for m in s.scalars(select(Message).where(Message.purpose == "notify"))]
    assert bodies and all("[incident.impact: not known yet]" in b for b in bodies)


def test_customer_messages_list_every_missing_value_and_are_refused(
    app_client: TestClient, responder: H
) -> None:
    number = declare(app_client, responder)
    refused = app_client.post(
        f"/api/v1/incidents/{number}/notify",
        headers=responder,
        json={"template": "initial", "audience": "customers"},
    )
    assert refused.status_code == 422, refused.text
    detail = refused.json()["detail"]
    assert "incident.summary" in detail and "incident.impact" in detail
    preview = app_client.post(
        f"/api/v1/incidents/{number}/comms/preview",
        headers=responder,
        json={"template": "initial", "variant": "customer_email"},
    )
    [item] = preview.json()["rendered"]
    assert (
        item["blocking"]
        == item["missing"]
        == [
            "incident.summary",
            "incident.impact",
            "current_status",
        ]
    )


@pytest.fixture
def strict_runtime(database_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[Runtime]:
    """The default playbook, where the internal initial message requires the impact."""
    yaml = YAML()
    doc = yaml.load(default_playbook_text())
    doc["communications"]["templates"]["initial"]["variants"]["internal"]["required"] = [
        "incident.impact"
    ]
    buffer = io.StringIO()
    yaml.dump(doc, buffer)
    path = tmp_path / "playbook.yaml"
    path.write_text(buffer.getvalue())
    rt = build_runtime(
        Settings(home=tmp_path, database_url=database_url, playbook_path=path), clock, migrate=False
    )
    yield rt
    rt.close()


def test_notify_refuses_only_what_the_playbook_requires(strict_runtime: Runtime) -> None:
    headers = {"Authorization": f"Bearer {make_token(strict_runtime, 'responder', 'alice')}"}
    with TestClient(create_app(strict_runtime)) as client:
        number = declare(client, headers)
        body = {"template": "initial", "audience": "affected-teams"}
        refused = client.post(f"/api/v1/incidents/{number}/notify", headers=headers, json=body)
        assert refused.status_code == 422
        assert refused.json()["errors"][0]["field"] == "fields"
        assert "needs incident.impact (marked required" in refused.json()["detail"]
        assert "actions" not in refused.json()["detail"]  # not required: a placeholder
        client.post(
            f"/api/v1/incidents/{number}/facts",
            headers=headers,
            json={"facts": {"impact": "checkout fails"}},
        )
        sent = client.post(f"/api/v1/incidents/{number}/notify", headers=headers, json=body)
        assert sent.status_code == 202, sent.text
        assert "- [actions: not known yet]" in sent.json()["rendered"][0]["body"]


def test_resolve_summary_fills_the_resolution_summary(app_client: TestClient, responder: H) -> None:
    number = declare(app_client, responder)
    done = app_client.post(
        f"/api/v1/incidents/{number}/resolve",
        headers=responder,
        json={"summary": "Rolled back release 42"},
    )
    assert done.status_code == 200, done.text
    preview = app_client.post(
        f"/api/v1/incidents/{number}/comms/preview",
        headers=responder,
        json={"template": "resolution", "variant": "internal"},
    )
    assert preview.status_code == 200, preview.text
    [item] = preview.json()["rendered"]
    assert "Rolled back release 42" in item["body"]
    assert "resolution_summary" not in item["missing"]


def test_an_incident_opened_without_a_commander_gets_the_acknowledger(
    app_client: TestClient, responder: H, runtime: Runtime
) -> None:
    with transaction(runtime.sessions) as session:
        incident = runtime.incidents.declare_in(
            session, Declaration("disk full", "P2"), "alertmanager", runtime.clock.now()
        )
        number = incident.id
    assert runtime.incidents.get(number, Principal("alice", "responder")).commander is None
    acked = app_client.post(f"/api/v1/incidents/{number}/acknowledge", headers=responder)
    assert acked.json()["commander"] == "alice"
