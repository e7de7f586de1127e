"""Releasing a role over the API: the holder gives it back, the timeline says so, the
role is missing again; the commander is handed over, never released to nobody."""

from __future__ import annotations

from fastapi.testclient import TestClient

from firebell.runtime import Runtime
from tests.conftest import make_token


def test_release_a_role_over_the_api(app_client: TestClient, runtime: Runtime) -> None:
    headers = {"Authorization": f"Bearer {make_token(runtime, 'responder', 'alice')}"}
    viewer = {"Authorization": f"Bearer {make_token(runtime, 'viewer', 'val')}"}
    number = app_client.post(
        "/api/v1/incidents", json={"title": "Payments down", "severity": "P1"}, headers=headers
    ).json()["id"]
    url = f"/api/v1/incidents/{number}/roles"
    given = app_client.post(url, json={"role": "tech_lead", "person": "bob"}, headers=headers)
    assert given.status_code == 201 and given.json()["holders"]["tech_lead"] == ["bob"]

    assert app_client.delete(f"{url}/tech_lead/bob", headers=viewer).status_code == 403
    released = app_client.delete(f"{url}/tech_lead/bob", headers=headers)
    assert released.status_code == 200, released.text
    assert "tech_lead" not in released.json()["holders"]
    assert "tech_lead" in released.json()["missing"]
    again = app_client.delete(f"{url}/tech_lead/bob", headers=headers)
    assert again.status_code == 409
    commander = app_client.delete(f"{url}/ic/alice", headers=headers)
    assert commander.status_code == 422 and commander.json()["errors"][0]["field"] == "role"
    timeline = app_client.get(f"/api/v1/incidents/{number}/timeline", headers=headers).json()
    items = timeline["events"] if isinstance(timeline, dict) else timeline
    released_events = [e for e in items if e["kind"] == "role_released"]
    assert [e["details"]["person"] for e in released_events] == ["bob"]
