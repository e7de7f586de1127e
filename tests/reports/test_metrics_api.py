"""GET /api/v1/metrics on real SQLite and PostgreSQL, from incidents made through the API."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from firebell.clock import FrozenClock

H = dict[str, str]
P = "/api/v1/metrics"
WINDOW = {"since": "2026-11-01T00:00:00Z", "until": "2026-12-01T00:00:00Z"}


def test_metrics_from_stored_incidents(
    app_client: TestClient, responder: H, admin: H, viewer: H, clock: FrozenClock
) -> None:
    def incident(headers: H, ack: int | None, resolve: int | None, **body: object) -> int:
        payload = {"title": "t", "severity": "P1", "service": "platform", **body}
        n: int = app_client.post("/api/v1/incidents", json=payload, headers=headers).json()["id"]
        steps = sorted(
            [(m, what) for m, what in ((ack, "acknowledge"), (resolve, "resolve")) if m is not None]
        )
        elapsed = 0
        for minutes, what in steps:
            clock.advance(timedelta(minutes=minutes - elapsed))
            elapsed = minutes
            app_client.post(f"/api/v1/incidents/{n}/{what}", json={}, headers=headers)
        clock.advance(timedelta(hours=1))
        return n

    incident(responder, 10, 60)  # in targets (15 m, 4 h)
    incident(responder, 20, 300)  # both late
    incident(responder, None, None)  # never acknowledged, still open: censored
    incident(admin, 5, 30, private=True, title="secret thing")
    incident(responder, 1, 2, drill=True)  # excluded
    clock.advance(timedelta(hours=10))

    r = app_client.get(P, params=WINDOW, headers=admin)  # sees the private one too
    assert r.status_code == 200, r.text
    data = r.json()
    assert data["drills_excluded"] == 1
    p1 = next(g for g in data["groups"] if g["key"] == "P1")
    assert p1["count"] == 4
    assert p1["mtta"]["count"] == 3
    assert p1["mtta"]["mean"] == (10 + 20 + 5) / 3 * 60
    assert p1["mtta"]["median"] == 10 * 60
    assert p1["mtta"]["censored"] == 1
    assert p1["mtta"]["target"] == 15 * 60
    assert p1["mttr"]["censored"] == 1
    # Resolution: 60 and 30 met, 300 late, the open one is past 4 h: 2 of 4.
    assert p1["sla_resolution"] == {"met": 2, "breached": 2, "pending": 0, "percent": 50.0}
    assert p1["sla_response"]["met"] == 2
    assert data["incidents_by_severity"]["P1"] == 4

    # The viewer is no member of the private incident: it is left out, not counted.
    as_viewer = app_client.get(P, params=WINDOW, headers=viewer).json()
    p1 = next(g for g in as_viewer["groups"] if g["key"] == "P1")
    assert p1["count"] == 3 and as_viewer["incidents_by_severity"]["P1"] == 3
    assert p1["mtta"]["count"] == 2 and p1["mtta"]["mean"] == (10 + 20) / 2 * 60
    assert "secret thing" not in str(as_viewer)

    only = app_client.get(P, params={**WINDOW, "severity": "P0"}, headers=viewer).json()
    assert only["groups"][0]["count"] == 0


def test_metrics_bad_input(app_client: TestClient, viewer: H) -> None:
    r = app_client.get(
        P, params={"since": "2026-11-01T00:00:00", "until": "2026-12-01T00:00:00Z"}, headers=viewer
    )
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["errors"][0]["field"] == "since"
    backwards = app_client.get(
        P, params={"since": WINDOW["until"], "until": WINDOW["since"]}, headers=viewer
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "until"
    unknown = app_client.get(P, params={**WINDOW, "service": "nope"}, headers=viewer)
    assert unknown.status_code == 422
    assert app_client.get(P, params=WINDOW).status_code == 401
