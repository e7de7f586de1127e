"""The incident API through the real app, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from firebell.channels.base import Outgoing
from firebell.clock import FrozenClock
from firebell.runtime import Runtime
from firebell.store.models import Incident, TimelineEvent

H = dict[str, str]


class Outbox:
    """An email channel for tests that never run the engine: pages to the default
    playbook's people (who have email addresses) are queued, so a level counts as paged.
    Without any channel, no level reaches anyone and paging moves through all of them."""

    method = "email"

    def send(self, message: Outgoing) -> None:
        raise AssertionError("the engine does not run in these tests")


def declare(client: TestClient, headers: H, **body: object) -> dict[str, object]:
    payload = {"title": "Checkout is down", "severity": "P1", **body}
    response = client.post("/api/v1/incidents", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    data: dict[str, object] = response.json()
    return data


def test_full_story(
    app_client: TestClient, responder: H, clock: FrozenClock, runtime: Runtime
) -> None:
    runtime.channels["email"] = Outbox()
    incident = declare(app_client, responder, service="platform", summary="500s on /pay")
    number = incident["id"]
    assert incident["number"] == f"#{number}"
    assert incident["status"] == "investigating"
    assert incident["playbook_version"] == runtime.playbook.version
    assert incident["declared_at"] == incident["detected_at"]

    clock.advance(timedelta(minutes=3))
    ack = app_client.post(f"/api/v1/incidents/{number}/acknowledge", headers=responder).json()
    assert ack["acknowledged_by"] == "alice"
    assert ack["acknowledged_at"].startswith("2026-11-26T12:03")

    clock.advance(timedelta(minutes=1))
    r = app_client.post(
        f"/api/v1/incidents/{number}/severity",
        json={"severity": "P0", "reason": "all regions"},
        headers=responder,
    )
    assert r.json()["severity"] == "P0"
    app_client.post(
        f"/api/v1/incidents/{number}/notes", json={"text": "rolled back"}, headers=responder
    )
    app_client.post(
        f"/api/v1/incidents/{number}/status", json={"status": "monitoring"}, headers=responder
    )
    clock.advance(timedelta(minutes=10))
    done = app_client.post(
        f"/api/v1/incidents/{number}/resolve", json={"summary": "rollback"}, headers=responder
    ).json()
    assert done["status"] == "resolved"
    assert done["mitigated_at"].startswith("2026-11-26T12:04")
    assert done["resolved_at"].startswith("2026-11-26T12:14")

    events = app_client.get(f"/api/v1/incidents/{number}/timeline", headers=responder).json()
    people_events = [e for e in events["events"] if e["actor"] == "alice"]
    assert [e["kind"] for e in people_events] == [
        "declared",
        "commander_assigned",  # the declarer commands until someone else is named
        "acknowledged",
        "severity_changed",
        "note",
        "status_changed",
        "resolved",
    ]
    assert people_events[1]["details"] == {"from": None, "to": "alice"}
    assert people_events[3]["details"]["direction"] == "escalated"
    # The P1 paged the on-call; the ack stopped paging, in the same transactions.
    kinds = [e["kind"] for e in events["events"]]
    assert kinds.index("paging_started") < kinds.index("acknowledged")
    assert kinds.index("paging_stopped") == kinds.index("acknowledged") + 1


def test_invalid_transitions_are_409_and_write_nothing(
    app_client: TestClient, responder: H, runtime: Runtime
) -> None:
    runtime.channels["email"] = Outbox()
    number = declare(app_client, responder)["id"]
    assert (
        app_client.post(f"/api/v1/incidents/{number}/acknowledge", headers=responder).status_code
        == 200
    )
    second = app_client.post(f"/api/v1/incidents/{number}/acknowledge", headers=responder)
    assert second.status_code == 409
    assert second.headers["content-type"] == "application/problem+json"
    assert "already acknowledged" in second.json()["detail"]
    app_client.post(f"/api/v1/incidents/{number}/resolve", headers=responder)
    app_client.post(
        f"/api/v1/incidents/{number}/status", json={"status": "closed"}, headers=responder
    )
    again = app_client.post(f"/api/v1/incidents/{number}/resolve", headers=responder)
    assert again.status_code == 409
    with runtime.sessions() as s:
        count = s.scalar(
            select(func.count())
            .select_from(TimelineEvent)
            .where(TimelineEvent.incident_id == number)
        )
    # declared, commander_assigned, acknowledged, resolved, closed (+ paging events, one of
    # them the page to an example contact recorded as not sent, + the P1's post-mortem
    # started on resolve): the refusals left no trace
    assert count == 5 + 4 + 1


def test_bad_bodies_name_the_field(app_client: TestClient, responder: H, runtime: Runtime) -> None:
    r = app_client.post(
        "/api/v1/incidents", json={"title": "x", "severity": "P9"}, headers=responder
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"][0]["field"] == "severity"
    r = app_client.post("/api/v1/incidents", json={"severity": "P1"}, headers=responder)
    assert r.json()["errors"][0] == {"field": "title", "reason": "Field required"}
    r = app_client.post(
        "/api/v1/incidents",
        content=b"{not json",
        headers={**responder, "content-type": "application/json"},
    )
    assert r.status_code == 422 and "not valid JSON" in r.json()["errors"][0]["reason"]
    r = app_client.post(
        "/api/v1/incidents",
        json={"title": "x", "severity": "P1", "service": "nope"},
        headers=responder,
    )
    assert r.status_code == 422
    assert r.json()["errors"][0]["field"] == "service"
    assert "unknown service 'nope'" in r.json()["errors"][0]["reason"]
    r = app_client.post(
        "/api/v1/incidents", json={"title": "x", "severity": "P1", "extra": 1}, headers=responder
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "extra"
    r = app_client.post(
        "/api/v1/incidents",
        json={"title": "x", "severity": "P1", "impact_started_at": "2026-11-26T10:00:00"},
        headers=responder,
    )
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "impact_started_at"
    big = app_client.post(
        "/api/v1/incidents",
        content=b"x" * (1024 * 1024 + 1),
        headers={**responder, "content-type": "application/json"},
    )
    assert big.status_code == 413
    with runtime.sessions() as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 0


def test_unknown_incident_is_404(app_client: TestClient, responder: H) -> None:
    r = app_client.post("/api/v1/incidents/99/acknowledge", headers=responder)
    assert r.status_code == 404 and "#99" in r.json()["detail"]


def test_list_filters_and_pagination(
    app_client: TestClient, responder: H, clock: FrozenClock
) -> None:
    numbers = []
    for i, sev in enumerate(["P0", "P1", "P2", "P1", "P3"]):
        clock.advance(timedelta(hours=1))
        numbers.append(
            declare(
                app_client,
                responder,
                title=f"inc {i}",
                severity=sev,
                service="platform" if i % 2 else None,
            )["id"]
        )
    app_client.post(f"/api/v1/incidents/{numbers[0]}/resolve", headers=responder)

    def get(**params: object) -> dict[str, object]:
        r = app_client.get("/api/v1/incidents", params=params, headers=responder)
        assert r.status_code == 200, r.text
        data: dict[str, object] = r.json()
        return data

    def ids(data: dict[str, object]) -> list[int]:
        return [i["id"] for i in data["incidents"]]  # type: ignore[attr-defined]

    assert ids(get()) == list(reversed(numbers))
    assert ids(get(severity="P1")) == [numbers[3], numbers[1]]
    assert ids(get(status="resolved")) == [numbers[0]]
    assert ids(get(service="platform")) == [numbers[3], numbers[1]]
    assert ids(get(since="2026-11-26T14:00:00Z", until="2026-11-26T16:00:00Z")) == [
        numbers[2],
        numbers[1],
    ]
    page1 = get(limit=2)
    assert ids(page1) == [numbers[4], numbers[3]] and page1["total"] == 5
    page2 = get(limit=2, cursor=page1["next_cursor"])
    assert ids(page2) == [numbers[2], numbers[1]]
    page3 = get(limit=2, cursor=page2["next_cursor"])
    assert ids(page3) == [numbers[0]] and page3["next_cursor"] is None
    assert ids(get(limit=2, offset=4)) == [numbers[0]]
    bad = app_client.get("/api/v1/incidents", params={"severity": "P7"}, headers=responder)
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"].startswith("severity")


def test_numbers_are_sequential(app_client: TestClient, responder: H) -> None:
    first = declare(app_client, responder)["id"]
    second = declare(app_client, responder)["id"]
    assert second == first + 1  # type: ignore[operator]


def test_timeline_rows_cannot_be_changed_or_deleted(
    app_client: TestClient, responder: H, runtime: Runtime
) -> None:
    import pytest
    from sqlalchemy import delete, update
    from sqlalchemy.exc import DBAPIError

    number = declare(app_client, responder)["id"]
    for statement in (update(TimelineEvent).values(kind="forged"), delete(TimelineEvent)):
        with pytest.raises(DBAPIError, match="append-only"), runtime.sessions() as s, s.begin():
            s.execute(statement)
    events = app_client.get(f"/api/v1/incidents/{number}/timeline", headers=responder).json()
    assert events["events"][0]["kind"] == "declared"
