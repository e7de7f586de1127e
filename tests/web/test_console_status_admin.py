"""The status page's console (/console/status) through the real app on SQLite and
PostgreSQL: overrides reach the public page, maintenance is scheduled, completed and
cancelled, subscribers are added, removed, exported and imported; roles and private
incidents are respected as in the API."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from statuspage._support import H, declare, publish

from firebell.auth.principal import Principal
from firebell.incidents.service import Declaration
from firebell.runtime import Runtime
from firebell.statuspage.models import ComponentOverride, Maintenance, Subscriber
from firebell.store.models import Silence
from firebell.web.form_values import utc_time
from firebell.web.views.status_admin import back_to

from .support import csrf_of, first_person, make_user, sign_in


def _signed_in(client: TestClient, runtime: Runtime, name: str, role: str) -> str:
    make_user(runtime, name, role, first_person(runtime) if role != "viewer" else None)
    sign_in(client, name)
    return csrf_of(client.get("/console/status").text)


def _public_components(client: TestClient) -> dict[str, Any]:
    body = client.get("/api/v2/components.json").json()
    return {c["id"]: c["status"] for c in body["components"]}


@pytest.fixture
def fresh(runtime: Runtime) -> Runtime:
    runtime.status_page.snapshots.check_every = 0.0  # the public page looks every request
    return runtime


def test_override_from_the_console_reaches_the_public_page(
    app_client: TestClient, fresh: Runtime, responder: H
) -> None:
    number = declare(app_client, responder)
    publish(app_client, responder, number)
    token = _signed_in(app_client, fresh, "alice", "responder")
    page = app_client.get("/console/status").text
    for component in fresh.playbook.playbook.status_page.components:
        assert unescape(page).count(component.name) >= 1
    assert f'href="{fresh.status_page.page_url()}"' in page
    assert _public_components(app_client)["database"] == "operational"

    r = app_client.post(
        "/console/status/components",
        data={
            "csrf": token,
            "incident": str(number),
            "component": "database",
            "status": "major_outage",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == "/console/status#components"
    assert _public_components(app_client)["database"] == "major_outage"
    assert "Major outage" in app_client.get("/status").text
    page = app_client.get("/console/status").text
    row = page.split('id="component-database"', 1)[1].split("</tr>", 1)[0]
    assert f"#{number}" in row and "Major outage" in row and "by alice" in row

    # From the incident page: the side column's form comes back to the incident.
    incident_page = app_client.get(f"/console/incidents/{number}").text
    assert 'action="/console/status/components"' in incident_page
    r = app_client.post(
        "/console/status/components",
        data={
            "csrf": token,
            "incident": str(number),
            "component": "database",
            "status": "operational",
            "next": f"/console/incidents/{number}",
        },
        follow_redirects=False,
    )
    assert r.headers["location"] == f"/console/incidents/{number}"
    assert _public_components(app_client)["database"] == "operational"
    timeline = app_client.get(f"/api/v1/incidents/{number}/timeline", headers=responder).json()
    changes = [e["details"] for e in timeline["events"] if e["kind"] == "component_status_set"]
    assert changes[-2:] == [
        {"component": "database", "status": "major_outage"},
        {"component": "database", "status": "operational"},
    ]


def test_bad_override_names_the_field_and_writes_nothing(
    app_client: TestClient, fresh: Runtime, responder: H
) -> None:
    number = declare(app_client, responder)
    token = _signed_in(app_client, fresh, "alice", "responder")
    for data, field in (
        ({"incident": str(number), "component": "nope", "status": "major_outage"}, "component"),
        ({"incident": str(number), "component": "database", "status": "broken"}, "status"),
        ({"incident": "", "component": "database", "status": "major_outage"}, "incident"),
    ):
        r = app_client.post("/console/status/components", data={"csrf": token, **data})
        assert r.status_code == 422, (data, r.status_code)
        assert 'class="field-error"' in r.text and f'id="{field}-error"' in r.text, field
    with fresh.sessions() as session:
        assert session.scalars(select(ComponentOverride)).all() == []


def test_schedule_complete_and_cancel_maintenance(app_client: TestClient, fresh: Runtime) -> None:
    token = _signed_in(app_client, fresh, "alice", "responder")
    now = fresh.clock.now()

    def schedule(title: str, start: timedelta, end: timedelta, *components: str) -> Any:
        return app_client.post(
            "/console/status/maintenances",
            data={
                "csrf": token,
                "title": title,
                "components": list(components),
                "starts_at": (now + start).strftime("%Y-%m-%dT%H:%M"),
                "ends_at": (now + end).strftime("%Y-%m-%dT%H:%M"),
                "description": "Upgrading the database cluster.",
            },
            follow_redirects=False,
        )

    bad = schedule("Backwards", timedelta(hours=3), timedelta(hours=2), "database")
    assert bad.status_code == 422 and 'id="ends_at-error"' in bad.text
    assert 'value="Backwards"' in bad.text  # the entered values are kept
    none = schedule("No components", timedelta(hours=1), timedelta(hours=2))
    assert none.status_code == 422 and "components" in none.text
    with fresh.sessions() as session:
        assert session.scalars(select(Maintenance)).all() == []

    assert (
        schedule(
            "DB upgrade", timedelta(days=2), timedelta(days=2, hours=2), "database"
        ).status_code
        == 303
    )
    assert schedule("Now", timedelta(0), timedelta(hours=1), "web-portal").status_code == 303
    with fresh.sessions() as session:
        rows = {m.title: m for m in session.scalars(select(Maintenance))}
    assert rows["DB upgrade"].status == "scheduled"
    assert rows["Now"].status == "in_progress"  # a start at or before now starts at once
    assert _public_components(app_client)["web-portal"] == "under_maintenance"
    upcoming = app_client.get("/api/v2/scheduled-maintenances/upcoming.json").json()
    assert [m["name"] for m in upcoming["scheduled_maintenances"]] == ["DB upgrade"]
    page = app_client.get("/console/status").text
    assert "DB upgrade" in page and "In progress" in page

    # The snapshot's signature holds the newest maintenance change time: a frozen clock
    # would make a change at the very same instant invisible to it (never so in life).
    fresh.clock.advance(timedelta(minutes=1))  # type: ignore[attr-defined]
    done = app_client.post(
        f"/console/status/maintenances/{rows['Now'].id}/complete", data={"csrf": token}
    )
    assert done.status_code == 200  # followed the redirect back to the page
    cancelled = app_client.post(
        f"/console/status/maintenances/{rows['DB upgrade'].id}/cancel",
        data={"csrf": token},
        follow_redirects=False,
    )
    assert cancelled.status_code == 303
    with fresh.sessions() as session:
        states = {m.title: m.status for m in session.scalars(select(Maintenance))}
    assert states == {"DB upgrade": "cancelled", "Now": "completed"}
    assert _public_components(app_client)["web-portal"] == "operational"
    again = app_client.post(
        f"/console/status/maintenances/{rows['Now'].id}/cancel", data={"csrf": token}
    )
    assert again.status_code == 409 and "completed" in again.text


def test_subscribers_add_remove_export_import(app_client: TestClient, fresh: Runtime) -> None:
    token = _signed_in(app_client, fresh, "root", "admin")
    added = app_client.post(
        "/console/status/subscribers",
        data={
            "csrf": token,
            "kind": "email",
            "address": "ops@customer.test",
            "components": ["database"],
        },
        follow_redirects=False,
    )
    assert added.status_code == 303
    bad = app_client.post(
        "/console/status/subscribers",
        data={"csrf": token, "kind": "email", "address": "not-an-address"},
    )
    assert bad.status_code == 422 and 'id="address-error"' in bad.text
    page = app_client.get("/console/status").text
    assert "ops@customer.test" in page
    counts = page.split('id="subscriber-counts"', 1)[1].split("</p>", 1)[0]
    assert "<strong>1</strong> active" in counts

    exported = app_client.get("/console/status/subscribers.csv")
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert [(r["address"], r["components"], r["status"]) for r in rows] == [
        ("ops@customer.test", "database", "active")
    ]

    imported = app_client.post(
        "/console/status/subscribers/import",
        data={"csrf": token},
        files={
            "file": (
                "subs.csv",
                b"kind,address,components\nemail,a@customer.test,\nwebhook,https://hooks.customer.test/x,api-gateway\n",
                "text/csv",
            )
        },
        follow_redirects=False,
    )
    assert imported.status_code == 303, imported.text
    assert "Imported 2 subscribers" in app_client.get(imported.headers["location"]).text
    pasted_bad = app_client.post(
        "/console/status/subscribers/import",
        data={"csrf": token, "text": "kind,address\nemail,broken\n"},
    )
    assert pasted_bad.status_code == 422 and "csv line" in pasted_bad.text

    with fresh.sessions() as session:
        first = session.scalars(
            select(Subscriber).where(Subscriber.address == "ops@customer.test")
        ).one()
    removed = app_client.post(
        f"/console/status/subscribers/{first.id}/remove",
        data={"csrf": token},
        follow_redirects=False,
    )
    assert removed.status_code == 303
    with fresh.sessions() as session:
        states = {s.address: s.status for s in session.scalars(select(Subscriber))}
    assert states == {  # removed means gone (the API's DELETE)
        "a@customer.test": "active",
        "https://hooks.customer.test/x": "active",
    }


def test_roles_are_those_of_the_api(app_client: TestClient, fresh: Runtime, responder: H) -> None:
    number = declare(app_client, responder)
    token = _signed_in(app_client, fresh, "val", "viewer")
    page = app_client.get("/console/status").text
    assert "Components" in page and 'action="/console/status/maintenances"' not in page
    assert "Subscribers" not in page  # addresses are for admins
    for path, data in (
        (
            "/console/status/components",
            {"incident": str(number), "component": "database", "status": "major_outage"},
        ),
        ("/console/status/maintenances", {"title": "x"}),
        ("/console/status/subscribers", {"address": "x@customer.test"}),
    ):
        r = app_client.post(path, data={"csrf": token, **data})
        assert r.status_code == 403 and "Not allowed" in r.text, path
    assert app_client.get("/console/status/subscribers.csv").status_code == 403

    app_client.cookies.clear()
    token = _signed_in(app_client, fresh, "alice", "responder")
    r = app_client.post(
        "/console/status/subscribers", data={"csrf": token, "address": "x@customer.test"}
    )
    assert r.status_code == 403
    r = app_client.post(
        "/console/status/components",
        data={"incident": str(number), "component": "database", "status": "major_outage"},
    )
    assert r.status_code == 403 and "Form expired" in r.text  # no CSRF token
    with fresh.sessions() as session:
        assert session.scalars(select(ComponentOverride)).all() == []
        assert session.scalars(select(Subscriber)).all() == []


def test_a_private_incidents_override_is_shown_only_to_its_members(
    app_client: TestClient, fresh: Runtime
) -> None:
    alice = Principal("alice", "responder")
    secret = fresh.incidents.declare(
        Declaration("Leaked signing key", "P1", service="api", private=True), alice
    )
    fresh.status_page.set_component(secret.id, "database", "partial_outage", alice)
    _signed_in(app_client, fresh, "mallory", "responder")
    page = app_client.get("/console/status").text
    assert "Leaked signing key" not in page and f"#{secret.id}" not in page
    # Nor does the private incident reach the public page.
    assert _public_components(app_client)["database"] == "operational"
    app_client.cookies.clear()
    _signed_in(app_client, fresh, "alice", "responder")
    page = app_client.get("/console/status").text
    assert "Leaked signing key" in page and "not on the public page" in page


def test_helpers() -> None:
    assert back_to("/console/incidents/3") == "/console/incidents/3"
    for bad in ("https://evil.test/", "//evil.test/x", "/console\\..", "", None, "/status"):
        assert back_to(bad) == "/console/status"
    assert utc_time("2026-12-01T10:00") == "2026-12-01T10:00Z"
    assert utc_time("2026-12-01T10:00+01:00") == "2026-12-01T10:00+01:00"
    assert utc_time(" ") is None


def test_silences_create_list_and_end(app_client: TestClient, fresh: Runtime) -> None:
    token = _signed_in(app_client, fresh, "alice", "responder")
    ends = (fresh.clock.now() + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M")
    everything = app_client.post(
        "/console/silences", data={"csrf": token, "ends_at": ends, "comment": "all of it"}
    )
    assert everything.status_code == 422 and "silence of everything" in unescape(everything.text)
    bad_regex = app_client.post(
        "/console/silences",
        data={
            "csrf": token,
            "field": "labels.team",
            "op": "=~",
            "value": "(a",
            "ends_at": ends,
            "comment": "x",
        },
    )
    assert bad_regex.status_code == 422 and "matchers" in bad_regex.text
    assert 'value="labels.team"' in bad_regex.text  # kept
    made = app_client.post(
        "/console/silences",
        data={
            "csrf": token,
            "service": "database",
            "field": "labels.env",
            "op": "=",
            "value": "staging",
            "ends_at": ends,
            "comment": "Reindexing staging",
        },
        follow_redirects=False,
    )
    assert made.status_code == 303
    page = app_client.get("/console/silences").text
    assert "Reindexing staging" in page and 'labels.env = "staging"' in page
    with fresh.sessions() as session:
        row = session.scalars(select(Silence)).one()
    assert row.service == "database" and row.created_by == "alice"
    ended = app_client.post(f"/console/silences/{row.id}/expire", data={"csrf": token})
    assert ended.status_code == 200 and "Reindexing staging" not in ended.text

    app_client.cookies.clear()
    token = _signed_in(app_client, fresh, "val", "viewer")
    assert "Create silence" not in app_client.get("/console/silences").text
    refused = app_client.post(
        "/console/silences",
        data={"csrf": token, "service": "database", "ends_at": ends, "comment": "x"},
    )
    assert refused.status_code == 403
