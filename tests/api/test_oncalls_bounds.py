"""/api/v1/oncalls reports a shift's true start and end however long the rotation's shifts
are (a quarterly shift is not cut at ±35 days), and its window is capped like /final's."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from paging._support import make_runtime, playbook_document

from firebell.api.app import create_app
from firebell.auth.tokens import create_token
from firebell.clock import FrozenClock
from firebell.runtime import Runtime
from firebell.store.db import transaction

H = dict[str, str]


@pytest.fixture
def rt(database_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[Runtime]:
    doc = playbook_document(None)
    doc["on_call"]["rotations"].append(
        {
            "id": "quarterly",
            "name": "Quarterly duty",
            "members": ["dba", "cto"],
            "shift": {"unit": "monthly", "count": 3},
            "handoff_time": "09:00",
            "timezone": "UTC",
            "start": "2026-01-01T09:00:00",
        }
    )
    doc["on_call"]["schedules"].append(
        {"id": "quarterly", "name": "Quarterly", "layers": [{"rotation": "quarterly"}]}
    )
    doc["escalation_policies"][0]["levels"][0]["targets"].append(
        {"type": "schedule", "id": "quarterly"}
    )
    runtime = make_runtime(tmp_path, database_url, clock, doc)
    yield runtime
    runtime.close()


@pytest.fixture
def client(rt: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(rt)) as c:
        yield c


@pytest.fixture
def viewer(rt: Runtime) -> H:
    with transaction(rt.sessions) as session:
        _, secret = create_token(session, rt.clock, name="val", role="viewer")
    return {"Authorization": f"Bearer {secret}"}


def quarterly(client: TestClient, viewer: H, **params: str) -> list[dict[str, object]]:
    r = client.get("/api/v1/oncalls", params={"schedule": "quarterly", **params}, headers=viewer)
    assert r.status_code == 200, r.text
    found: list[dict[str, object]] = r.json()["oncalls"]
    return found


def test_now_reports_the_whole_quarter(client: TestClient, viewer: H) -> None:
    # Now is 2026-11-26 12:00 UTC: the fourth quarter (Oct 1 - Jan 1) is the cto's.
    [now] = quarterly(client, viewer)
    assert now["user"]["id"] == "cto"  # type: ignore[index]
    assert now["start"] == "2026-10-01T09:00:00+00:00"
    assert now["end"] == "2027-01-01T09:00:00+00:00"


def test_a_window_reports_true_bounds_at_both_edges(client: TestClient, viewer: H) -> None:
    spans = quarterly(client, viewer, since="2026-11-20T00:00:00Z", until="2027-01-10T00:00:00Z")
    assert [(s["user"]["id"], s["start"], s["end"]) for s in spans] == [  # type: ignore[index]
        ("cto", "2026-10-01T09:00:00+00:00", "2027-01-01T09:00:00+00:00"),
        ("dba", "2027-01-01T09:00:00+00:00", "2027-04-01T09:00:00+00:00"),
    ]


def test_an_unbounded_window_is_refused_naming_the_field(client: TestClient, viewer: H) -> None:
    r = client.get(
        "/api/v1/oncalls",
        params={"since": "2026-01-01T00:00:00Z", "until": "2126-01-01T00:00:00Z"},
        headers=viewer,
    )
    assert r.status_code == 422
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"] == [
        {"field": "until", "reason": "a window is at most 400 days after since"}
    ]
    ok = client.get(
        "/api/v1/oncalls",
        params={"since": "2026-01-01T00:00:00Z", "until": "2027-02-04T00:00:00Z"},
        headers=viewer,
    )
    assert ok.status_code == 200
