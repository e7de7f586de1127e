"""Post-mortems through the real app on SQLite and PostgreSQL: created on resolve, edited,
reviewed, signed off, published; deadlines and reminders with a controlled clock."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.clock import FrozenClock
from firebell.runtime import Runtime
from firebell.store.models import Message, PublicUpdate, TimelineEvent, Timer

H = dict[str, str]


def declare(client: TestClient, headers: H, severity: str = "P1", **extra: object) -> int:
    body = {"title": "Checkout is down", "severity": severity, "service": "platform", **extra}
    r = client.post("/api/v1/incidents", json=body, headers=headers)
    assert r.status_code == 201, r.text
    number: int = r.json()["id"]
    return number


def resolve(client: TestClient, headers: H, number: int) -> None:
    r = client.post(f"/api/v1/incidents/{number}/resolve", json={}, headers=headers)
    assert r.status_code == 200, r.text


def kinds(runtime: Runtime, number: int) -> list[str]:
    with runtime.sessions() as s:
        return list(
            s.scalars(
                select(TimelineEvent.kind)
                .where(TimelineEvent.incident_id == number)
                .order_by(TimelineEvent.id)
            )
        )


def test_resolving_a_p0_creates_a_prefilled_draft(
    app_client: TestClient, responder: H, clock: FrozenClock, runtime: Runtime
) -> None:
    number = declare(app_client, responder, "P0", commander="alice")
    clock.advance(timedelta(minutes=4))
    app_client.post(f"/api/v1/incidents/{number}/acknowledge", headers=responder)
    app_client.post(
        f"/api/v1/incidents/{number}/decisions",
        json={"options": ["rollback", "hotfix"], "choice": "rollback"},
        headers=responder,
    )
    clock.advance(timedelta(minutes=50))
    resolve(app_client, responder, number)

    r = app_client.get(f"/api/v1/incidents/{number}/postmortem", headers=responder)
    assert r.status_code == 200, r.text
    pm = r.json()
    assert pm["state"] == "draft"
    assert pm["author"] == "alice"
    # The seed's reviewers, with VP Engineering for P0 only.
    assert pm["reviewers"] == ["Technical Lead", "Operations Manager", "VP Engineering"]
    assert pm["due_at"].startswith("2026-11-28T12:54")  # resolved 12:54 + 48 h
    body = pm["body"]
    assert "# Post-Mortem: Checkout is down" in body
    assert "**Total Duration:** 54 minutes" in body
    assert "| 2026-11-26 12:00 | Incident declared (P0) |" in body
    assert "| 2026-11-26 12:04 | Acknowledged |" in body
    assert "| 2026-11-26 12:54 | Incident resolved |" in body
    assert "rollback (options: rollback, hotfix)" in body
    assert "YYYY-MM-DD HH:MM | Alert fired" not in body  # the example rows are replaced
    assert "## Root Cause Analysis" in body  # the rest of the template stays
    assert "postmortem_created" in kinds(runtime, number)


def test_p2_gets_none_unless_asked(app_client: TestClient, responder: H) -> None:
    number = declare(app_client, responder, "P2")
    resolve(app_client, responder, number)
    assert (
        app_client.get(f"/api/v1/incidents/{number}/postmortem", headers=responder).status_code
        == 404
    )
    r = app_client.post(f"/api/v1/incidents/{number}/postmortem", headers=responder)
    assert r.status_code == 201
    assert r.json()["due_at"] is None  # P2 has no deadline
    again = app_client.post(f"/api/v1/incidents/{number}/postmortem", headers=responder)
    assert again.status_code == 409


def test_review_sign_off_and_publish(
    app_client: TestClient, responder: H, clock: FrozenClock, runtime: Runtime
) -> None:
    number = declare(app_client, responder, "P1")
    resolve(app_client, responder, number)
    url = f"/api/v1/incidents/{number}/postmortem"
    pm = app_client.get(url, headers=responder).json()
    assert pm["reviewers"] == ["Technical Lead", "Operations Manager"]

    # An edit from an old revision is refused rather than lost.
    r = app_client.put(url, json={"body": "# new", "revision": pm["revision"]}, headers=responder)
    assert r.status_code == 200
    stale = app_client.put(
        url, json={"body": "# other", "revision": pm["revision"]}, headers=responder
    )
    assert stale.status_code == 409

    # Sign-off only in review; publishing needs every reviewer.
    early = app_client.post(
        url + "/signoffs", json={"reviewer": "Technical Lead"}, headers=responder
    )
    assert early.status_code == 409
    r = app_client.put(
        url, json={"state": "in_review", "public_summary": "A bad deploy."}, headers=responder
    )
    assert r.json()["state"] == "in_review"
    app_client.post(url + "/signoffs", json={"reviewer": "Technical Lead"}, headers=responder)
    blocked = app_client.put(url, json={"state": "published"}, headers=responder)
    assert blocked.status_code == 409
    assert "Operations Manager" in blocked.json()["detail"]
    wrong = app_client.post(url + "/signoffs", json={"reviewer": "Janitor"}, headers=responder)
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "reviewer"
    signed = app_client.post(
        url + "/signoffs", json={"reviewer": "Operations Manager"}, headers=responder
    ).json()
    assert signed["missing_signoffs"] == []
    assert signed["signoffs"]["Operations Manager"]["by"] == "alice"
    done = app_client.put(url, json={"state": "published"}, headers=responder)
    assert done.status_code == 200, done.text
    assert done.json()["published_at"] is not None
    assert app_client.put(url, json={"body": "late"}, headers=responder).status_code == 409

    with runtime.sessions() as s:
        updates = list(s.scalars(select(PublicUpdate).where(PublicUpdate.incident_id == number)))
        events = list(s.scalars(select(TimelineEvent).where(TimelineEvent.incident_id == number)))
        timers = list(
            s.scalars(
                select(Timer).where(Timer.incident_id == number, Timer.kind == "postmortem_due")
            )
        )
    assert [(u.status, u.body) for u in updates if u.status == "postmortem"] == [
        ("postmortem", "A bad deploy.")
    ]
    signed_events = [e for e in events if e.kind == "postmortem_signed_off"]
    assert [(e.actor, e.details["reviewer"]) for e in signed_events] == [
        ("alice", "Technical Lead"),
        ("alice", "Operations Manager"),
    ]
    assert {e.kind for e in events} >= {"postmortem_edited", "postmortem_state"}
    assert timers and all(t.status == "cancelled" for t in timers)


def test_editing_in_review_clears_signoffs(app_client: TestClient, responder: H) -> None:
    number = declare(app_client, responder, "P1")
    resolve(app_client, responder, number)
    url = f"/api/v1/incidents/{number}/postmortem"
    app_client.put(url, json={"state": "in_review"}, headers=responder)
    app_client.post(url + "/signoffs", json={"reviewer": "Technical Lead"}, headers=responder)
    after = app_client.put(url, json={"body": "changed text"}, headers=responder).json()
    assert after["signoffs"] == {}


def test_deadline_reminders_and_overdue(
    app_client: TestClient, responder: H, clock: FrozenClock, runtime: Runtime
) -> None:
    # A playbook person commands (and so writes it); platform's team lead hears when late.
    number = declare(app_client, responder, "P0", commander="primary-engineer-1")
    resolve(app_client, responder, number)
    runtime.engine.fire_due_timers()
    assert "postmortem_reminder" not in kinds(runtime, number)

    clock.advance(timedelta(hours=24, minutes=1))  # halfway through 48 h
    runtime.engine.fire_due_timers()
    assert kinds(runtime, number).count("postmortem_reminder") == 1
    clock.advance(timedelta(hours=12))  # a quarter before the deadline
    runtime.engine.fire_due_timers()
    assert kinds(runtime, number).count("postmortem_reminder") == 2
    assert "postmortem_overdue" not in kinds(runtime, number)
    clock.advance(timedelta(hours=12))
    runtime.engine.fire_due_timers()
    assert kinds(runtime, number).count("postmortem_overdue") == 1
    with runtime.sessions() as s:
        overdue = s.scalars(
            select(TimelineEvent).where(
                TimelineEvent.incident_id == number, TimelineEvent.kind == "postmortem_overdue"
            )
        ).one()
        reminders = list(
            s.scalars(
                select(Message).where(Message.incident_id == number, Message.purpose == "reminder")
            )
        )
    assert overdue.details["told"] == ["primary-engineer-1", "team-lead-1"]
    assert {m.person for m in reminders} >= set(overdue.details["told"])


def test_private_postmortem_hidden(app_client: TestClient, responder: H, admin: H) -> None:
    number = declare(app_client, admin, "P1", private=True)
    resolve(app_client, admin, number)
    assert (
        app_client.get(f"/api/v1/incidents/{number}/postmortem", headers=admin).status_code == 200
    )
    assert (
        app_client.get(f"/api/v1/incidents/{number}/postmortem", headers=responder).status_code
        == 404
    )


def test_public_summary_is_checked_before_it_is_published(
    app_client: TestClient, responder: H, runtime: Runtime
) -> None:
    number = declare(app_client, responder, "P1")
    resolve(app_client, responder, number)
    url = f"/api/v1/incidents/{number}/postmortem"
    app_client.put(url, json={"state": "in_review"}, headers=responder)
    for reviewer in ("Technical Lead", "Operations Manager"):
        app_client.post(url + "/signoffs", json={"reviewer": reviewer}, headers=responder)
    leaky = app_client.put(
        url,
        json={"state": "published", "public_summary": "db-1.internal ran out of disk"},
        headers=responder,
    )
    assert leaky.status_code == 422
    assert leaky.json()["errors"][0]["field"] == "public_summary"
    pm = app_client.get(url, headers=responder).json()
    assert pm["state"] == "in_review" and pm["public_summary"] is None  # nothing half-written
    with runtime.sessions() as s:
        assert not list(s.scalars(select(PublicUpdate).where(PublicUpdate.incident_id == number)))
