"""GET /metrics parsed with prometheus-client's own text parser, on SQLite and PostgreSQL;
the figures come from real incidents, pages, timers and intake requests."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from firebell.clock import FrozenClock
from firebell.runtime import Runtime
from firebell.store.models import Timer
from firebell.store.outbox import enqueue

H = dict[str, str]


def scrape(client: TestClient, headers: H) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    r = client.get("/metrics", headers=headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain; version=")
    samples = {}
    for family in text_string_to_metric_families(r.text):
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples


def test_metrics_endpoint(
    app_client: TestClient, responder: H, viewer: H, clock: FrozenClock, runtime: Runtime
) -> None:
    assert app_client.get("/metrics").status_code == 401  # a token is needed

    for severity in ("P0", "P1", "P2"):
        app_client.post(
            "/api/v1/incidents", json={"title": "x", "severity": severity}, headers=responder
        )
    app_client.post(
        "/api/v1/incidents", json={"title": "d", "severity": "P1", "drill": True}, headers=responder
    )
    app_client.post("/api/v1/incidents/3/resolve", json={}, headers=responder)
    # Pages as the engine leaves them: two e-mails sent 3 s after due, one SMS failed.
    now = clock.now()
    with runtime.sessions.begin() as s:
        for n, (method, status) in enumerate(
            [("email", "sent"), ("email", "sent"), ("sms", "failed")]
        ):
            message = enqueue(
                s,
                purpose="page",
                method=method,
                address="a",
                subject="s",
                body="b",
                dedupe_key=f"t{n}",
                now=now,
                person="p",
            )
            message.status = status
            message.sent_at = now + timedelta(seconds=3) if status == "sent" else None
        s.add(
            Timer(
                kind="escalate",
                due_at=now,
                status="fired",
                incident_id=1,
                generation=0,
                payload={},
                created_at=now,
                fired_at=now + timedelta(milliseconds=200),
            )
        )
    clock.advance(timedelta(minutes=1))
    runtime.engine.fire_due_timers()

    key = next(i for i in runtime.integrations.all() if i.spec.format == "alertmanager").key
    bad = app_client.post(f"/api/v1/intake/alertmanager/{key}", content=b"not json")
    assert bad.status_code >= 400
    app_client.post("/api/v1/intake/alertmanager/wrong-key", json={})

    m = scrape(app_client, viewer)
    assert m[("firebell_open_incidents", (("severity", "P0"),))] == 1
    assert m[("firebell_open_incidents", (("severity", "P2"),))] == 0  # resolved
    assert m[("firebell_incidents_declared_total", (("severity", "P1"),))] == 1  # not the drill
    assert m[("firebell_pages_total", (("channel", "email"), ("result", "sent")))] == 2
    assert m[("firebell_pages_total", (("channel", "sms"), ("result", "failed")))] == 1
    email = ("channel", "email")
    assert m[("firebell_page_delivery_seconds_count", (email,))] == 2
    assert m[("firebell_page_delivery_seconds_sum", (email,))] == 6
    assert m[("firebell_page_delivery_seconds_bucket", (email, ("le", "2.5")))] == 0
    assert m[("firebell_page_delivery_seconds_bucket", (email, ("le", "5.0")))] == 2
    late = ("kind", "escalate")
    assert m[("firebell_timer_lateness_seconds_count", (late,))] == 1
    assert m[("firebell_timer_lateness_seconds_bucket", (late, ("le", "0.1")))] == 0
    assert m[("firebell_timer_lateness_seconds_bucket", (late, ("le", "0.25")))] == 1
    assert ("firebell_outbox_backlog", (("status", "pending"),)) in m
    intake = {
        dict(k[1])["result"]: v for k, v in m.items() if k[0] == "firebell_intake_events_total"
    }
    assert intake.get("unknown_key") == 1
    assert intake.get("invalid") == 1
    assert "wrong-key" not in app_client.get("/metrics", headers=viewer).text
    assert key not in app_client.get("/metrics", headers=viewer).text


def test_grafana_dashboard_uses_only_exported_metrics(app_client: TestClient, viewer: H) -> None:
    """Every metric the dashboard in docs/ queries is one /metrics exposes."""
    import json
    import re
    from pathlib import Path

    from prometheus_client.parser import text_string_to_metric_families as parse

    path = Path(__file__).parents[2] / "docs" / "grafana" / "firebell-dashboard.json"
    dashboard = json.loads(path.read_text())
    used = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"firebell_[a-z_]+", target["expr"])
    }
    app_client.post("/api/v1/intake/alertmanager/nope", json={})  # so intake shows up
    text = app_client.get("/metrics", headers=viewer).text
    # By family (a family with no samples yet still declares its name and type).
    suffixes = {"counter": ["_total"], "histogram": ["_bucket", "_sum", "_count"]}
    exported = {f.name + x for f in parse(text) for x in suffixes.get(f.type, [""])}
    assert used and used <= exported, used - exported
