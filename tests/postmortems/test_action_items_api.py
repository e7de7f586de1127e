"""Action items through the API: validation, per person and team, reminders and overdue
events as timers, private incidents' items hidden."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.clock import FrozenClock
from firebell.runtime import Runtime
from firebell.store.models import Message, TimelineEvent

H = dict[str, str]


def _incident(client: TestClient, headers: H, **extra: object) -> int:
    body = {"title": "DB pool", "severity": "P1", "service": "platform", **extra}
    number: int = client.post("/api/v1/incidents", json=body, headers=headers).json()["id"]
    return number


def test_action_items_lifecycle(
    app_client: TestClient, responder: H, admin: H, clock: FrozenClock, runtime: Runtime
) -> None:
    number = _incident(app_client, responder)
    url = f"/api/v1/incidents/{number}/action-items"
    bad = app_client.post(
        url, json={"category": "blame", "title": "x", "owner": "y"}, headers=responder
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"].endswith("category")

    due = (clock.now() + timedelta(days=5)).isoformat()
    r = app_client.post(
        url,
        json={
            "category": "prevent",
            "title": "Raise pool size",
            "owner": "primary-engineer-1",
            "due_at": due,
            "priority": "P0",
        },
        headers=responder,
    )
    assert r.status_code == 201, r.text
    item = r.json()
    assert item["team"] == "platform"  # from the owner's team
    assert item["status"] == "open"
    app_client.post(
        url, json={"category": "respond", "title": "Runbook", "owner": "dba"}, headers=responder
    )
    secret = _incident(app_client, admin, private=True)
    app_client.post(
        f"/api/v1/incidents/{secret}/action-items",
        json={"category": "detect", "title": "hidden", "owner": "dba"},
        headers=admin,
    )

    mine = app_client.get(
        "/api/v1/action-items", params={"owner": "primary-engineer-1"}, headers=responder
    ).json()["items"]
    assert [i["title"] for i in mine] == ["Raise pool size"]
    team = app_client.get(
        "/api/v1/action-items", params={"team": "database"}, headers=responder
    ).json()["items"]
    assert [i["title"] for i in team] == ["Runbook"]  # the private one is hidden
    team_admin = app_client.get(
        "/api/v1/action-items", params={"team": "database"}, headers=admin
    ).json()["items"]
    assert len(team_admin) == 2

    # Reminder two days before the due date, overdue after it.
    clock.advance(timedelta(days=3, minutes=1))
    runtime.engine.fire_due_timers()
    clock.advance(timedelta(days=2))
    runtime.engine.fire_due_timers()
    with runtime.sessions() as s:
        kinds = list(
            s.scalars(
                select(TimelineEvent.kind)
                .where(TimelineEvent.incident_id == number, TimelineEvent.kind.like("action_item%"))
                .order_by(TimelineEvent.id)
            )
        )
        told = list(s.scalars(select(Message.person).where(Message.purpose == "reminder")))
    assert kinds == [
        "action_item_added",
        "action_item_added",
        "action_item_reminder",
        "action_item_overdue",
    ]
    assert "primary-engineer-1" in told

    done = app_client.patch(
        f"/api/v1/action-items/{item['id']}", json={"status": "done"}, headers=responder
    )
    assert done.json()["done_at"] is not None
    moved = app_client.patch(
        f"/api/v1/action-items/{item['id']}", json={"status": "sideways"}, headers=responder
    )
    assert moved.status_code == 422
    open_only = app_client.get(
        "/api/v1/action-items", params={"open_only": True}, headers=responder
    ).json()["items"]
    assert [i["title"] for i in open_only] == ["Runbook"]
    assert (
        app_client.patch(
            "/api/v1/action-items/999", json={"status": "done"}, headers=responder
        ).status_code
        == 404
    )


def test_edit_rearms_timers(
    app_client: TestClient, responder: H, clock: FrozenClock, runtime: Runtime
) -> None:
    number = _incident(app_client, responder)
    due = (clock.now() + timedelta(days=1)).isoformat()
    item = app_client.post(
        f"/api/v1/incidents/{number}/action-items",
        json={"category": "detect", "title": "Alert", "owner": "dba", "due_at": due},
        headers=responder,
    ).json()
    later = (clock.now() + timedelta(days=10)).isoformat()
    app_client.patch(
        f"/api/v1/action-items/{item['id']}", json={"due_at": later}, headers=responder
    )
    clock.advance(timedelta(days=2))
    runtime.engine.fire_due_timers()
    with runtime.sessions() as s:
        overdue = s.scalars(
            select(TimelineEvent).where(TimelineEvent.kind == "action_item_overdue")
        ).all()
    assert overdue == []  # the old deadline's timer was cancelled
