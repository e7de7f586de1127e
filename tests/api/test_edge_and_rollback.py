"""Bad text is refused at the edge; a route that fails leaves nothing written."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from firebell.api.app import create_app
from firebell.api.edge import bad_text
from firebell.runtime import Runtime
from firebell.store.models import Base

H = dict[str, str]


def raw(client: TestClient, url: str, headers: H, body: str) -> Any:
    return client.post(
        url, content=body.encode(), headers={**headers, "content-type": "application/json"}
    )


def test_a_lone_surrogate_in_facts_is_422_and_the_timeline_still_works(
    app_client: TestClient, admin: H
) -> None:
    number = app_client.post(
        "/api/v1/incidents", headers=admin, json={"title": "Checkout", "severity": "P3"}
    ).json()["id"]
    r = raw(
        app_client, f"/api/v1/incidents/{number}/facts", admin, '{"facts": {"impact": "a\\ud800b"}}'
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"] == "application/problem+json"
    assert r.json()["errors"] == [
        {
            "field": "facts.impact",
            "reason": "contains a lone surrogate (U+D800), which is not valid Unicode",
        }
    ]
    timeline = app_client.get(f"/api/v1/incidents/{number}/timeline", headers=admin)
    assert timeline.status_code == 200
    assert "facts_updated" not in [e["kind"] for e in timeline.json()["events"]]


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/api/v1/incidents", '{"title": "a\\u0000b", "severity": "P3"}', "title"),
        ("/api/v1/incidents", '{"title": "ok", "severity": "P3", "summary": "\\udfff"}', "summary"),
        ("/api/v1/incidents/1/notes", '{"text": "x\\u0000"}', "text"),
        (
            "/api/v1/incidents/1/facts",
            '{"facts": {"actions": ["fine", "\\ud83d"]}}',
            "facts.actions.1",
        ),
        ("/api/v1/incidents/1/facts", '{"facts": {"k\\u0000": 1}}', "facts"),
        ("/api/v1/tokens", '{"name": "\\ud800", "role": "viewer"}', "name"),
    ],
)
def test_bad_text_anywhere_in_a_body_names_its_field(
    app_client: TestClient, admin: H, url: str, body: str, field: str
) -> None:
    app_client.post("/api/v1/incidents", headers=admin, json={"title": "One", "severity": "P3"})
    before = app_client.get("/api/v1/incidents", headers=admin).json()["total"]
    r = raw(app_client, url, admin, body)
    assert r.status_code == 422, r.text
    assert r.json()["errors"][0]["field"] == field
    assert app_client.get("/api/v1/incidents", headers=admin).json()["total"] == before


def test_bad_text_is_pure_and_bounded() -> None:
    assert bad_text({"a": ["ok", {"b": "fine"}]}) is None
    assert bad_text("\x00") == ("body", "contains a NUL character")
    deep: Any = "x"
    for _ in range(40):
        deep = [deep]
    assert bad_text(deep) is not None


# --- every route's failure rolls back -----------------------------------------------------


def row_counts(runtime: Runtime) -> dict[str, int]:
    with runtime.sessions() as session:
        return {
            t.name: session.scalar(select(func.count()).select_from(t)) or 0
            for t in Base.metadata.sorted_tables
        }


@pytest.fixture
def fail_at_commit() -> Iterator[Callable[[int], None]]:
    """Make the n-th commit from now raise, after its writes were flushed."""
    state = {"left": 0}

    def before_commit(session: Session) -> None:
        state["left"] -= 1
        if state["left"] == 0:
            session.flush()  # the writes are in the transaction: now fail
            raise RuntimeError("forced failure after a write")

    event.listen(Session, "before_commit", before_commit)

    def arm(n: int) -> None:
        state["left"] = n

    yield arm
    event.remove(Session, "before_commit", before_commit)


ROUTES: list[tuple[str, str, dict[str, Any] | None]] = [
    ("POST", "/api/v1/incidents", {"title": "New", "severity": "P1", "commander": "alice"}),
    ("POST", "/api/v1/incidents/{n}/acknowledge", None),
    ("POST", "/api/v1/incidents/{n}/status", {"status": "identified"}),
    ("POST", "/api/v1/incidents/{n}/severity", {"severity": "P0", "reason": "worse"}),
    ("POST", "/api/v1/incidents/{n}/commander", {"commander": "bob"}),
    ("POST", "/api/v1/incidents/{n}/notes", {"text": "a note"}),
    ("POST", "/api/v1/incidents/{n}/facts", {"facts": {"impact": "all users"}}),
    ("POST", "/api/v1/incidents/{n}/roles", {"role": "scribe", "person": "carol"}),
    ("POST", "/api/v1/incidents/{n}/tasks", {"assignee": "dave", "text": "restart"}),
    ("POST", "/api/v1/incidents/{n}/war-room", None),
    ("POST", "/api/v1/incidents/{n}/escalate", None),
    ("POST", "/api/v1/incidents/{n}/resolve", {"summary": "fixed"}),
    ("POST", "/api/v1/tokens", {"name": "ci", "role": "viewer"}),
]


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[r[1] for r in ROUTES])
def test_a_failure_after_a_write_commits_nothing(
    runtime: Runtime,
    admin: H,
    fail_at_commit: Callable[[int], None],
    method: str,
    path: str,
    body: dict[str, Any] | None,
) -> None:
    with TestClient(create_app(runtime), raise_server_exceptions=False) as client:
        number = client.post(
            "/api/v1/incidents", headers=admin, json={"title": "Base", "severity": "P1"}
        ).json()["id"]
        url = path.format(n=number)
        for nth in range(1, 6):  # fail the 1st, then the 2nd... commit of the request
            before = row_counts(runtime)
            fail_at_commit(nth)
            r = client.request(method, url, headers=admin, json=body)
            fail_at_commit(0)
            if r.status_code < 500:
                # The request made fewer than `nth` commits: each was failed in turn.
                assert nth > 1 and r.status_code < 300, r.text
                break
            assert row_counts(runtime) == before, f"commit {nth} failed but others stayed"
        else:
            pytest.fail("more than 5 commits in one request")
