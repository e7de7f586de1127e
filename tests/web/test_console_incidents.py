"""Console pages for incidents and schedules through the real app (SQLite and PostgreSQL):
the same services and checks as the API, errors shown next to the field."""

from __future__ import annotations

import re
from html import unescape

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from firebell.auth.principal import Principal
from firebell.incidents.service import Declaration
from firebell.runtime import Runtime
from firebell.store.models import Incident, ScheduleOverride, Task, TimelineEvent
from firebell.web.console import console_of
from firebell.web.sessions import SignedIn
from firebell.web.views.incidents import _live_batch

from .support import csrf_of, first_person, make_user, sign_in


def _responder(client: TestClient, runtime: Runtime) -> str:
    make_user(runtime, "alice", "responder", first_person(runtime))
    sign_in(client, "alice")
    return csrf_of(client.get("/console/incidents").text)


def _kinds(runtime: Runtime, number: int) -> list[str]:
    with runtime.sessions() as session:
        rows = session.scalars(
            select(TimelineEvent.kind)
            .where(TimelineEvent.incident_id == number)
            .order_by(TimelineEvent.id)
        )
        return list(rows)


def test_declare_act_and_resolve_through_forms(app_client: TestClient, runtime: Runtime) -> None:
    token = _responder(app_client, runtime)
    form = app_client.get("/console/declare").text
    for sid, severity in runtime.playbook.playbook.severities.items():
        assert sid in form and unescape(form).count(severity.name) >= 1
    created = app_client.post(
        "/console/declare",
        data={"csrf": token, "title": "Checkout is down", "severity": "P1", "service": ""},
        follow_redirects=False,
    )
    assert created.status_code == 303
    number = int(created.headers["location"].rsplit("/", 1)[1])
    page = app_client.get(f"/console/incidents/{number}").text
    assert "Checkout is down" in page and "unacknowledged" in page and "Response" in page

    def post(action: str, **data: str) -> int:
        return app_client.post(
            f"/console/incidents/{number}/{action}",
            data={"csrf": token, **data},
            follow_redirects=False,
        ).status_code

    assert post("acknowledge") == 303
    assert post("escalate", level="") == 303
    assert post("note", text="rolled back the deploy") == 303
    assert post("severity", severity="P0", reason="all regions") == 303
    assert post("task", assignee="bob", text="check the database") == 303
    with runtime.sessions() as session:
        task = session.scalars(select(Task).where(Task.incident_id == number)).one()
    moved = app_client.post(
        f"/console/incidents/{number}/tasks/{task.id}",
        data={"csrf": token, "step": "done"},
        follow_redirects=False,
    )
    assert moved.status_code == 303
    assert post("status", status="monitoring") == 303
    assert post("resolve", summary="rollback fixed it") == 303
    kinds = _kinds(runtime, number)
    for kind in (
        "declared",
        "acknowledged",
        "note",
        "severity_changed",
        "task_assigned",
        "task_done",
        "status_changed",
        "resolved",
    ):
        assert kind in kinds
    with runtime.sessions() as session:
        incident = session.get(Incident, number)
        assert incident is not None
        assert (incident.status, incident.severity, incident.acknowledged_by) == (
            "resolved",
            "P0",
            "alice",
        )
    page = app_client.get(f"/console/incidents/{number}").text
    assert "rollback fixed it" in page and "check the database" in page


def test_errors_are_shown_next_to_the_field_and_values_kept(
    app_client: TestClient, runtime: Runtime
) -> None:
    token = _responder(app_client, runtime)
    bad = app_client.post(
        "/console/declare",
        data={"csrf": token, "title": "   ", "severity": "P1", "summary": "kept text"},
    )
    assert bad.status_code == 422
    assert 'id="title-error"' in bad.text and "kept text" in bad.text
    incident = runtime.incidents.declare(
        Declaration("Slow API", "P2"), Principal("alice", "responder")
    )
    no_reason = app_client.post(
        f"/console/incidents/{incident.id}/severity",
        data={"csrf": token, "severity": "P1", "reason": ""},
    )
    assert no_reason.status_code == 422
    assert 'id="reason-error"' in no_reason.text
    assert "<details open>" in no_reason.text  # the form with the error stays open
    app_client.post(f"/console/incidents/{incident.id}/resolve", data={"csrf": token})
    again = app_client.post(f"/console/incidents/{incident.id}/acknowledge", data={"csrf": token})
    assert again.status_code == 409
    with runtime.sessions() as session:
        assert session.scalar(select(Incident).where(Incident.title == "")) is None


def test_list_filters_are_links_and_show_sla_clocks(
    app_client: TestClient, runtime: Runtime
) -> None:
    _responder(app_client, runtime)
    alice = Principal("alice", "responder")
    runtime.incidents.declare(Declaration("Database on fire", "P0"), alice)
    runtime.incidents.declare(Declaration("Typo on the about page", "P3"), alice)
    everything = app_client.get("/console/incidents").text
    assert "Database on fire" in everything and "Typo on the about page" in everything
    assert "data-due=" in everything and "Response" in everything
    p0 = app_client.get("/console/incidents?severity=P0").text
    assert "Database on fire" in p0 and "Typo on the about page" not in p0
    assert 'href="/console/incidents?status=open&amp;severity=P0"' in p0 or "severity=P0" in p0


def test_private_incidents_are_hidden_from_those_not_allowed(
    app_client: TestClient, runtime: Runtime
) -> None:
    _responder(app_client, runtime)
    secret = runtime.incidents.declare(
        Declaration("Credential leak", "P1", private=True), Principal("root", "admin")
    )
    assert "Credential leak" not in app_client.get("/console/incidents?status=all").text
    page = app_client.get(f"/console/incidents/{secret.id}")
    assert page.status_code == 404 and "Credential leak" not in page.text
    live = app_client.get(f"/console/incidents/{secret.id}/live")
    assert live.status_code == 404
    who = SignedIn(_user_view(runtime, "alice"), 0, "x")
    console = console_of(app_client)
    try:
        _live_batch(console, who, secret.id, 0)
        raise AssertionError("the live stream must refuse a private incident")
    except Exception as exc:
        assert type(exc).__name__ == "NotFound"


def _user_view(runtime: Runtime, name: str):  # type: ignore[no-untyped-def]
    from .support import accounts

    return next(u for u in accounts(runtime).list() if u.name == name)


def test_live_batch_carries_new_events_only(app_client: TestClient, runtime: Runtime) -> None:
    _responder(app_client, runtime)
    alice = Principal("alice", "responder")
    incident = runtime.incidents.declare(Declaration("Checkout slow", "P2"), alice)
    who = SignedIn(_user_view(runtime, "alice"), 0, "tok")
    console = console_of(app_client)
    first = _live_batch(console, who, incident.id, 0)
    assert first is not None
    assert _live_batch(console, who, incident.id, first["last"]) is None
    runtime.incidents.add_note(incident.id, "<b>looking</b>", alice)
    batch = _live_batch(console, who, incident.id, first["last"])
    assert batch is not None and len(batch["events"]) == 1
    assert "&lt;b&gt;looking&lt;/b&gt;" in batch["events"][0]  # escaped, not markup
    assert "acknowledge" in batch["actions"].lower()


def test_override_changes_the_schedule(app_client: TestClient, runtime: Runtime) -> None:
    token = _responder(app_client, runtime)
    pb = runtime.playbook.playbook
    schedule = pb.on_call.schedules[0].id
    person = pb.people[-1]
    page = app_client.get(f"/console/schedules/{schedule}")
    assert page.status_code == 200 and "<svg" in page.text
    created = app_client.post(
        f"/console/schedules/{schedule}/overrides",
        data={
            "csrf": token,
            "person": person.id,
            "start": "2026-11-27T00:00",
            "end": "2026-11-27T08:00",
            "reason": "swap",
        },
        follow_redirects=False,
    )
    assert created.status_code == 303
    with runtime.sessions() as session:
        row = session.scalars(select(ScheduleOverride)).one()
    assert row.start_at.isoformat() == "2026-11-27T00:00:00+00:00"
    final = runtime.schedules.final(schedule, row.start_at, row.end_at)
    assert [e.user for e in final.entries] == [person.id]
    shown = app_client.get(f"/console/schedules/{schedule}").text
    assert "swap" in shown
    backwards = app_client.post(
        f"/console/schedules/{schedule}/overrides",
        data={
            "csrf": token,
            "person": person.id,
            "start": "2026-11-28T08:00",
            "end": "2026-11-28T00:00",
        },
    )
    assert backwards.status_code == 422 and 'id="end-error"' in backwards.text
    deleted = app_client.post(
        f"/console/schedules/{schedule}/overrides/{row.id}/delete",
        data={"csrf": token},
        follow_redirects=False,
    )
    assert deleted.status_code == 303
    with runtime.sessions() as session:
        assert session.scalars(select(ScheduleOverride)).first() is None


def test_every_page_renders_for_a_viewer(app_client: TestClient, runtime: Runtime) -> None:
    make_user(runtime, "val", "viewer")
    sign_in(app_client, "val")
    incident = runtime.incidents.declare(
        Declaration("Checkout slow", "P2"), Principal("alice", "responder")
    )
    schedule = runtime.playbook.playbook.on_call.schedules[0].id
    for path in (
        "/console/",
        "/console/incidents?status=all",
        f"/console/incidents/{incident.id}",
        "/console/oncall",
        "/console/schedules",
        f"/console/schedules/{schedule}",
        "/console/profile",
    ):
        response = app_client.get(path)
        assert response.status_code == 200, path
        assert "Content-Security-Policy" in response.headers
    assert "Acknowledge</button>" not in app_client.get(f"/console/incidents/{incident.id}").text


def test_open_incidents_come_in_pages(
    app_client: TestClient, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    from firebell.web.views import incidents as view

    monkeypatch.setattr(view, "OPEN_PAGE", 2)
    _responder(app_client, runtime)
    alice = Principal("alice", "responder")
    for n in range(5):
        runtime.incidents.declare(Declaration(f"Outage number {n}", "P2"), alice)
    first = unescape(app_client.get("/console/incidents").text)
    assert "Outage number 4" in first and "Outage number 3" in first
    assert "Outage number 2" not in first and "5 open incidents match" in first
    older = re.search(r'href="([^"]*before=[^"]*)"', first)
    assert older is not None
    second = unescape(app_client.get(older.group(1)).text)
    assert "Outage number 2" in second and "Outage number 1" in second
    assert "Outage number 4" not in second


def test_catalog_pages_and_admin_only_pages(app_client: TestClient, runtime: Runtime) -> None:
    _responder(app_client, runtime)
    pb = runtime.playbook.playbook
    policies = unescape(app_client.get("/console/policies").text)
    assert all(p.name in policies for p in pb.escalation_policies)
    services = unescape(app_client.get("/console/services").text)
    assert all(s.name in services for s in pb.services)
    for path in ("/console/integrations", "/console/admin"):
        refused = app_client.get(path)
        assert refused.status_code == 403 and "needs the 'admin' role" in unescape(refused.text)
    make_user(runtime, "root", "admin")
    admin = TestClient(app_client.app)
    sign_in(admin, "root")
    integrations = admin.get("/console/integrations").text
    first = runtime.integrations.all()[0]
    assert first.key in integrations and "never" in integrations
    page = unescape(admin.get("/console/admin").text)
    assert runtime.playbook.version in page and "alice" in page and "root" in page


def test_preview_and_send_an_update(app_client: TestClient, runtime: Runtime) -> None:
    token = _responder(app_client, runtime)
    incident = runtime.incidents.declare(
        Declaration("Checkout is down", "P1", commander="alice"), Principal("alice", "responder")
    )
    page = app_client.get(f"/console/incidents/{incident.id}/comms")
    assert page.status_code == 200
    # unknown values show as visible placeholders, each named
    assert "[incident.impact: not known yet]" in unescape(page.text)
    saved = app_client.post(
        f"/console/incidents/{incident.id}/facts",
        data={"csrf": token, "impact": "Checkout fails", "actions": "rollback", "summary": "500s"},
        follow_redirects=False,
    )
    assert saved.status_code == 303
    families = [
        fid
        for fid, fam in runtime.playbook.playbook.communications.templates.items()
        if not fam.applies_to or "P1" in fam.applies_to
    ]
    url = f"/console/incidents/{incident.id}/comms?template={families[0]}"
    preview = unescape(app_client.get(url).text)
    for _ in range(20):  # fill in what the template asks for, as a person would
        missing = re.search(r"needs '([^']+)', which is not set", preview)
        if missing is None:
            break
        name = missing.group(1).removeprefix("incident.")
        app_client.post(
            f"/console/incidents/{incident.id}/facts",
            data={"csrf": token, "more": f"{name}: some {name}", "template": families[0]},
        )
        preview = unescape(app_client.get(url).text)
    assert "Preview of" in preview and "Checkout is down" in preview
    bad = app_client.post(
        f"/console/incidents/{incident.id}/comms",
        data={"csrf": token, "template": families[0], "audience": "martians"},
    )
    assert bad.status_code == 422 and 'id="audience-error"' in bad.text
    assert "update_sent" not in _kinds(runtime, incident.id)
    sent = app_client.post(
        f"/console/incidents/{incident.id}/comms",
        data={"csrf": token, "template": families[0], "audience": "all"},
        follow_redirects=False,
    )
    assert sent.status_code == 303, sent.text
    assert "update_sent" in _kinds(runtime, incident.id)
