"""The timeline a page at a time (cursor), the newest events first, on SQLite and
PostgreSQL: pages cover every event exactly once, in order, however many arrive."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient

from firebell.auth.principal import Principal
from firebell.clock import FrozenClock
from firebell.incidents.service import Declaration
from firebell.runtime import Runtime

H = dict[str, str]
ALICE = Principal("alice", "responder")


def storm(runtime: Runtime, clock: FrozenClock, notes: int) -> int:
    number = runtime.incidents.declare(Declaration("Storm", "P3"), ALICE).id
    for i in range(notes):
        if i % 3 == 0:  # several events share an instant: the cursor must not skip them
            clock.advance(timedelta(seconds=1))
        runtime.incidents.add_note(number, f"note {i}", ALICE)
    return number


def page(client: TestClient, headers: H, number: int, **params: Any) -> Any:
    r = client.get(f"/api/v1/incidents/{number}/timeline", params=params, headers=headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_the_default_page_is_the_newest_events_and_cursors_reach_them_all(
    app_client: TestClient, viewer: H, runtime: Runtime, clock: FrozenClock
) -> None:
    number = storm(runtime, clock, 250)
    everything = [e.id for e in runtime.incidents.timeline(number, ALICE)]
    assert len(everything) > 250

    first = page(app_client, viewer, number)
    assert [e["id"] for e in first["events"]] == everything[-200:]  # newest 200, in order
    assert first["older"]

    ids: list[int] = []
    cursor = None
    for _ in range(len(everything)):  # bounded: each page is strictly older
        data = page(app_client, viewer, number, limit=7, **({"cursor": cursor} if cursor else {}))
        ids = [e["id"] for e in data["events"]] + ids
        cursor = data["older"]
        if cursor is None:
            break
    assert ids == everything


def test_new_events_do_not_shift_older_pages(
    app_client: TestClient, viewer: H, runtime: Runtime, clock: FrozenClock
) -> None:
    number = storm(runtime, clock, 20)
    newest = page(app_client, viewer, number, limit=5)
    runtime.incidents.add_note(number, "late news", ALICE)
    older = page(app_client, viewer, number, limit=5, cursor=newest["older"])
    everything = [e.id for e in runtime.incidents.timeline(number, ALICE)]
    assert [e["id"] for e in older["events"]] == everything[-11:-6]


def test_bad_cursor_and_limit_are_422_naming_the_field(
    app_client: TestClient, viewer: H, runtime: Runtime, clock: FrozenClock
) -> None:
    number = storm(runtime, clock, 3)
    for params, field in (({"cursor": "bm90IGEgY3Vyc29y"}, "cursor"), ({"limit": 0}, "limit")):
        r = app_client.get(f"/api/v1/incidents/{number}/timeline", params=params, headers=viewer)
        assert r.status_code == 422, r.text
        assert r.headers["content-type"] == "application/problem+json"
        assert r.json()["errors"][0]["field"] == field


def test_a_private_incident_timeline_stays_hidden(
    app_client: TestClient, viewer: H, runtime: Runtime
) -> None:
    number = runtime.incidents.declare(Declaration("Leak", "P3", private=True), ALICE).id
    r = app_client.get(f"/api/v1/incidents/{number}/timeline", headers=viewer)
    assert r.status_code == 404
