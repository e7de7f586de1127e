"""On-call over HTTP: /oncalls in PagerDuty's shape, overrides, calendars, hand-offs, pay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from icalendar import Calendar
from sqlalchemy import select

from firebell.clock import FrozenClock
from firebell.runtime import Runtime
from firebell.store.models import Message, Timer

H = dict[str, str]
# 2026-11-26 12:00 UTC is Thursday 07:00 in New York: primary week started Mon 2026-11-23.
NOW = "2026-11-26T12:00:00Z"


def oncalls(client: TestClient, headers: H, **params: str) -> dict:  # type: ignore[type-arg]
    r = client.get("/api/v1/oncalls", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()  # type: ignore[no-any-return]


def test_oncalls_now_in_pagerduty_shape(app_client: TestClient, viewer: H) -> None:
    data = oncalls(app_client, viewer, schedule="aurigraph-primary")
    assert data["total"] == 2  # the primary schedule is level 1 of both policies
    first = data["oncalls"][0]
    assert first["user"]["type"] == "user_reference"
    assert first["schedule"] == {
        "id": "aurigraph-primary",
        "type": "schedule_reference",
        "summary": first["schedule"]["summary"],
    }
    assert first["escalation_level"] == 1
    assert first["escalation_policy"]["type"] == "escalation_policy_reference"
    # the shift is the week from Monday 09:00 New York time
    assert first["start"] == "2026-11-23T14:00:00+00:00"
    assert first["end"] == "2026-11-30T14:00:00+00:00"
    everyone = oncalls(app_client, viewer)
    vp = [o for o in everyone["oncalls"] if o["user"]["id"] == "vp-engineering"]
    assert vp and vp[0]["start"] is None and vp[0]["schedule"] is None


def test_primary_and_secondary_are_different_people(app_client: TestClient, viewer: H) -> None:
    for hours in range(0, 24 * 21, 7):
        at = (datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=hours)).isoformat()
        p = oncalls(app_client, viewer, schedule="aurigraph-primary", since=at, until=at)
        s = oncalls(app_client, viewer, schedule="aurigraph-secondary", since=at, until=at)
        assert p["oncalls"][0]["user"]["id"] != s["oncalls"][0]["user"]["id"]


def test_override_latest_wins_on_overlap_only(
    app_client: TestClient, responder: H, viewer: H
) -> None:
    url = "/api/v1/schedules/aurigraph-primary/overrides"
    a = app_client.post(
        url,
        headers=responder,
        json={"person": "dba", "start": "2026-11-26T10:00:00Z", "end": "2026-11-26T14:00:00Z"},
    )
    assert a.status_code == 201
    b = app_client.post(
        url,
        headers=responder,
        json={
            "person": "devops-lead",
            "start": "2026-11-26T12:00:00Z",
            "end": "2026-11-26T13:00:00Z",
        },
    )
    assert b.status_code == 201

    def who(at: str) -> str:
        data = oncalls(app_client, viewer, schedule="aurigraph-primary", since=at, until=at)
        return str(data["oncalls"][0]["user"]["id"])

    assert who("2026-11-26T11:00:00Z") == "dba"
    assert who("2026-11-26T12:30:00Z") == "devops-lead"
    assert who("2026-11-26T13:30:00Z") == "dba"
    assert who("2026-11-26T15:00:00Z").startswith("primary-engineer")
    bad = app_client.post(
        url,
        headers=responder,
        json={"person": "nobody", "start": NOW, "end": "2026-11-26T13:00:00Z"},
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "person"
    final = app_client.get(
        "/api/v1/schedules/aurigraph-primary/final",
        headers=viewer,
        params={"since": "2026-11-26T00:00:00Z", "until": "2026-11-27T00:00:00Z"},
    ).json()
    assert [e["user"] for e in final["entries"]][1:4] == ["dba", "devops-lead", "dba"]
    assert final["gaps"] == []


def test_calendar_urls_need_their_secret(app_client: TestClient, viewer: H) -> None:
    listing = app_client.get("/api/v1/schedules", headers=viewer).json()
    url = next(s["ical_url"] for s in listing["schedules"] if s["id"] == "aurigraph-primary")
    path = url.split("testserver", 1)[1]
    r = app_client.get(path)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/calendar")
    events = [c for c in Calendar.from_ical(r.content).walk("VEVENT")]
    assert len(events) >= 14  # ~97 days of weekly shifts
    assert app_client.get(path.split("?")[0] + "?token=wrong").status_code == 404
    person = next(p["ical_url"] for p in listing["people"] if p["id"] == "primary-engineer-1")
    mine = Calendar.from_ical(app_client.get(person.split("testserver", 1)[1]).content)
    assert all("primary-engineer-1" in str(e["description"]) for e in mine.walk("VEVENT"))


def test_handoff_note_lists_open_incidents(app_client: TestClient, responder: H) -> None:
    app_client.post(
        "/api/v1/incidents", headers=responder, json={"title": "Slow checkout", "severity": "P2"}
    )
    r = app_client.post(
        "/api/v1/schedules/aurigraph-primary/handoffs",
        headers=responder,
        json={"status": "Ongoing: slow checkout", "known_issues": "cache warm"},
    )
    assert r.status_code == 201
    data = r.json()
    assert data["shift_start"] == "2026-11-23T14:00:00+00:00"
    assert data["incoming"].startswith("primary-engineer")
    assert data["notes"]["open_incidents"][0].endswith("P2 Slow checkout (investigating)")


def test_handoff_notifications_at_shift_change(runtime: Runtime, clock: FrozenClock) -> None:
    assert runtime.handoffs.ensure_timers() == 3
    assert runtime.handoffs.ensure_timers() == 0  # idempotent
    with runtime.sessions() as s:
        due = {
            t.payload["schedule"]: t.due_at
            for t in s.scalars(select(Timer).where(Timer.kind == "handoff"))
        }
    # next primary hand-off: Monday 2026-11-30 09:00 New York
    assert due["aurigraph-primary"] == datetime(2026, 11, 30, 14, tzinfo=UTC)
    clock.set(datetime(2026, 11, 30, 14, tzinfo=UTC))
    runtime.engine.fire_due_timers()
    with runtime.sessions() as s:
        timers = list(
            s.scalars(select(Timer).where(Timer.kind == "handoff", Timer.status == "pending"))
        )
        messages = list(s.scalars(select(Message).where(Message.purpose == "handoff")))
    # re-armed for the following week; messages only for methods that are configured
    assert datetime(2026, 12, 7, 14, tzinfo=UTC) in {t.due_at for t in timers}
    assert all(m.method in runtime.channels for m in messages)


def test_oncall_pay_report(app_client: TestClient, admin: H, responder: H) -> None:
    assert (
        app_client.get(
            "/api/v1/reports/oncall-pay", params={"month": "2026-11"}, headers=responder
        ).status_code
        == 403
    )
    data = app_client.get(
        "/api/v1/reports/oncall-pay", params={"month": "2026-11"}, headers=admin
    ).json()
    rows = {r["user"]: r for r in data["rows"]}
    # three primaries and three secondaries rotate weekly; leads monthly
    assert {"primary-engineer-1", "secondary-engineer-1", "team-lead-1"} <= set(rows)
    total_days = sum(
        r["weekday_days"] + r["weekend_days"] + r["holiday_days"]
        for u, r in rows.items()
        if u.startswith("primary")
    )
    assert total_days >= 30  # every day of November has a primary (hand-off days count twice)
    assert any(r["holiday_days"] >= 1 for u, r in rows.items() if u.startswith("primary"))
    csv = app_client.get(
        "/api/v1/reports/oncall-pay", params={"month": "2026-11", "format": "csv"}, headers=admin
    )
    assert csv.headers["content-type"].startswith("text/csv") and "primary-engineer-1" in csv.text
    bad = app_client.get("/api/v1/reports/oncall-pay", params={"month": "Nov"}, headers=admin)
    assert bad.status_code == 422
