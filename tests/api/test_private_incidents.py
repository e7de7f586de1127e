"""Private (security) incidents: visible to their members and admins on every surface."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from firebell.auth.principal import Principal
from firebell.incidents import visibility
from firebell.playbook.loader import load_playbook
from firebell.runtime import Runtime
from tests.conftest import make_token

H = dict[str, str]


def bearer(runtime: Runtime, role: str, name: str) -> H:
    return {"Authorization": f"Bearer {make_token(runtime, role, name)}"}


def declare(client: TestClient, headers: H, **body: Any) -> int:
    r = client.post(
        "/api/v1/incidents",
        headers=headers,
        json={"title": "Credential leak", "severity": "P2", "private": True, **body},
    )
    assert r.status_code == 201, r.text
    number: int = r.json()["id"]
    return number


SURFACES = (
    "",
    "/timeline",
    "/roles",
    "/tasks",
    "/public-updates",
)


def visible_everywhere(client: TestClient, headers: H, number: int) -> list[int]:
    codes = [
        client.get(f"/api/v1/incidents/{number}{s}", headers=headers).status_code for s in SURFACES
    ]
    listed = client.get("/api/v1/incidents", headers=headers).json()
    in_list = number in [i["id"] for i in listed["incidents"]]
    codes.append(200 if in_list and listed["total"] >= 1 else 404)
    return codes


def test_the_declarer_is_a_member_and_others_are_not(
    app_client: TestClient, runtime: Runtime, responder: H, admin: H
) -> None:
    number = declare(app_client, responder)  # declared by 'alice'
    assert visible_everywhere(app_client, responder, number) == [200] * 6
    assert (
        app_client.post(f"/api/v1/incidents/{number}/acknowledge", headers=responder).status_code
        == 200
    )
    bob = bearer(runtime, "responder", "bob")
    assert visible_everywhere(app_client, bob, number) == [404] * 6
    assert (
        app_client.post(
            f"/api/v1/incidents/{number}/notes", headers=bob, json={"text": "x"}
        ).status_code
        == 404
    )
    assert app_client.get("/api/v1/incidents", headers=bob).json()["total"] == 0
    assert visible_everywhere(app_client, admin, number) == [200] * 6


def test_role_and_task_assignment_make_members(
    app_client: TestClient, runtime: Runtime, admin: H
) -> None:
    number = declare(app_client, admin)
    carol, dave = bearer(runtime, "responder", "carol"), bearer(runtime, "viewer", "dave")
    assert visible_everywhere(app_client, carol, number) == [404] * 6
    assert visible_everywhere(app_client, dave, number) == [404] * 6
    r = app_client.post(
        f"/api/v1/incidents/{number}/roles",
        headers=admin,
        json={"role": "scribe", "person": "carol"},
    )
    assert r.status_code == 201, r.text
    r = app_client.post(
        f"/api/v1/incidents/{number}/tasks",
        headers=admin,
        json={"assignee": "dave", "text": "rotate keys"},
    )
    assert r.status_code == 201, r.text
    assert visible_everywhere(app_client, carol, number) == [200] * 6
    assert visible_everywhere(app_client, dave, number) == [200] * 6


def test_the_security_role_sees_private_incidents(
    app_client: TestClient, runtime: Runtime, admin: H
) -> None:
    number = declare(app_client, admin)
    security = visibility.security_people(runtime.playbook.playbook)
    assert "security-lead" in security
    lead = bearer(runtime, "responder", "security-lead")
    assert visible_everywhere(app_client, lead, number) == [200] * 6
    counts = app_client.get("/api/v1/incidents", headers=lead).json()
    assert counts["total"] == 1


def test_public_incidents_stay_visible_to_all(
    app_client: TestClient, runtime: Runtime, admin: H
) -> None:
    r = app_client.post(
        "/api/v1/incidents", headers=admin, json={"title": "Slow", "severity": "P3"}
    )
    number = r.json()["id"]
    private = declare(app_client, admin)
    viewer = bearer(runtime, "viewer", "eve")
    listed = app_client.get("/api/v1/incidents", headers=viewer).json()
    assert [i["id"] for i in listed["incidents"]] == [number] and listed["total"] == 1
    assert app_client.get(f"/api/v1/incidents/{private}", headers=viewer).status_code == 404


def test_can_see_is_a_pure_decision() -> None:
    class Row:
        private = True
        created_by = "alice"
        commander: str | None = "ic"
        acknowledged_by: str | None = None

    row = Row()
    mem = visibility.members(row, ["scribe"], ["tasked"], ["ciso"])
    assert mem == {"alice", "ic", "scribe", "tasked", "ciso"}
    for name in mem:
        assert visibility.can_see(Principal(name, "viewer"), row, mem)
    assert not visibility.can_see(Principal("mallory", "responder"), row, mem)
    assert visibility.can_see(Principal("root", "admin"), row, mem)
    row.private = False
    assert visibility.can_see(Principal("mallory", "viewer"), row, set())


def test_security_people_come_from_the_security_policy() -> None:
    playbook = load_playbook(None).playbook
    people = visibility.security_people(playbook)
    assert {"security-lead"} <= people
    without = playbook.model_copy(
        update={"escalation": playbook.escalation.model_copy(update={"security_policy": None})}
    )
    assert visibility.security_people(without) == frozenset()
