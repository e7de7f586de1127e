"""Guided runbooks: each seed workflow walked end to end over the API, on SQLite and
PostgreSQL, with a controlled clock; every answer and action on the timeline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from firebell.api.app import create_app
from firebell.auth.tokens import create_token
from firebell.clock import FrozenClock
from firebell.config import Settings
from firebell.playbook.loader import default_playbook_text
from firebell.runtime import Runtime, build_runtime
from firebell.store.db import transaction

Headers = dict[str, str]


def declare(client: TestClient, headers: Headers, severity: str, service: str) -> int:
    r = client.post(
        "/api/v1/incidents",
        json={"title": f"{service} trouble", "severity": severity, "service": service},
        headers=headers,
    )
    assert r.status_code == 201, r.text
    number: int = r.json()["id"]
    return number


def answer(
    client: TestClient, headers: Headers, number: int, run: int, step: str, said: str | None = None
) -> dict[str, Any]:
    r = client.post(
        f"/api/v1/incidents/{number}/runbooks/{run}/answer",
        json={"step": step, "answer": said},
        headers=headers,
    )
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()
    return data


def timeline(client: TestClient, headers: Headers, number: int) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/incidents/{number}/timeline", headers=headers)
    assert r.status_code == 200, r.text
    body = r.json()
    events: list[dict[str, Any]] = body["events"] if isinstance(body, dict) else body
    return events


def test_high_error_rate_walked_to_a_p0(
    app_client: TestClient, responder: Headers, clock: FrozenClock
) -> None:
    number = declare(app_client, responder, "P1", "api")
    listed = app_client.get(f"/api/v1/incidents/{number}/runbooks", headers=responder).json()
    assert listed["workflows"][0]["id"] == "high-error-rate"  # the one meant for a P1 first
    started = app_client.post(
        f"/api/v1/incidents/{number}/runbooks",
        json={"workflow": "high-error-rate"},
        headers=responder,
    )
    assert started.status_code == 201, started.text
    run = started.json()["run"]
    assert started.json()["step"]["id"] == "alert"
    answer(app_client, responder, number, run, "alert")
    at_logs = answer(app_client, responder, number, run, "acknowledge")["step"]
    assert at_logs["id"] == "check-logs"
    assert at_logs["choices"] == ["error pattern", "recent deployments"]
    assert at_logs["commands"] == [
        "kubectl logs -n aurigraph-production deployment/aurigraph-v11 --since=15m | grep -i error"
    ]
    # A wrong answer names the field and the choices; the run does not move.
    wrong = app_client.post(
        f"/api/v1/incidents/{number}/runbooks/{run}/answer",
        json={"step": "check-logs", "answer": "maybe"},
        headers=responder,
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "answer"
    assert "'error pattern', 'recent deployments'" in wrong.json()["errors"][0]["reason"]
    clock.advance(timedelta(minutes=2))
    answer(app_client, responder, number, run, "check-logs", "recent deployments")
    answer(app_client, responder, number, run, "check-recent-deployments")
    rollback = answer(app_client, responder, number, run, "deployment-recent", "yes")["step"]
    assert rollback["commands"] == [
        "kubectl rollout undo deployment/aurigraph-v11 -n aurigraph-production"
    ]
    for step in ("rollback-deployment", "apply-fix", "monitor-30m"):
        answer(app_client, responder, number, run, step)
    escalate = answer(app_client, responder, number, run, "error-rate-normal", "no")["step"]
    assert escalate["id"] == "escalate-p0"
    assert escalate["actions"] == [{"index": 0, "does": "raise severity to P0", "done": False}]
    did = app_client.post(
        f"/api/v1/incidents/{number}/runbooks/{run}/actions",
        json={"step": "escalate-p0", "index": 0},
        headers=responder,
    )
    assert did.status_code == 200, did.text
    incident = app_client.get(f"/api/v1/incidents/{number}", headers=responder).json()
    assert incident["severity"] == "P0"
    again = app_client.post(
        f"/api/v1/incidents/{number}/runbooks/{run}/actions",
        json={"step": "escalate-p0", "index": 0},
        headers=responder,
    )
    assert again.status_code == 409
    done = answer(app_client, responder, number, run, "escalate-p0")
    assert done["finished"] is True and done["step"] is None
    assert [a["step"] for a in done["answers"]] == [
        "alert",
        "acknowledge",
        "check-logs",
        "check-recent-deployments",
        "deployment-recent",
        "rollback-deployment",
        "apply-fix",
        "monitor-30m",
        "error-rate-normal",
        "escalate-p0",
    ]
    events = timeline(app_client, responder, number)
    kinds = [e["kind"] for e in events]
    assert kinds.count("runbook_step") == 10
    assert kinds.index("runbook_started") < kinds.index("runbook_finished")
    severity = next(e for e in events if e["kind"] == "severity_changed")
    assert "runbook high-error-rate step escalate-p0" in str(severity["details"])
    logs = next(
        e for e in events if e["kind"] == "runbook_step" and e["details"]["step"] == "check-logs"
    )
    assert logs["details"]["answer"] == "recent deployments"
    # Answering a finished run is a conflict, not a silent no-op.
    late = app_client.post(
        f"/api/v1/incidents/{number}/runbooks/{run}/answer",
        json={"step": "escalate-p0"},
        headers=responder,
    )
    assert late.status_code == 409


def test_service_outage_opens_the_war_room_and_tells_customers(
    app_client: TestClient, responder: Headers
) -> None:
    number = declare(app_client, responder, "P0", "platform")
    facts = app_client.post(
        f"/api/v1/incidents/{number}/facts",
        json={
            "facts": {
                "impact": "Nobody can transact",
                "summary": "a full outage",
                "current_status": "Investigating",
                "actions": "Rolling back",
                "eta": "30 minutes",
            }
        },
        headers=responder,
    )
    assert facts.status_code == 200, facts.text
    run = app_client.post(
        f"/api/v1/incidents/{number}/runbooks",
        json={"workflow": "service-outage"},
        headers=responder,
    ).json()["run"]
    step = answer(app_client, responder, number, run, "alert")["step"]
    assert step["actions"][0]["does"] == "open the war room"
    war = app_client.post(
        f"/api/v1/incidents/{number}/runbooks/{run}/actions",
        json={"step": "acknowledge", "index": 0},
        headers=responder,
    )
    assert war.status_code == 200, war.text
    assert war.json()["did"] in ("open the war room", "the war room was already open")
    room = app_client.get(f"/api/v1/incidents/{number}/war-room", headers=responder)
    assert room.status_code == 200  # a P0 may have asked for it already; it exists either way
    answer(app_client, responder, number, run, "acknowledge")
    status_step = answer(app_client, responder, number, run, "verify-outage", "down")["step"]
    assert status_step["id"] == "update-status-page"
    told = app_client.post(
        f"/api/v1/incidents/{number}/runbooks/{run}/actions",
        json={"step": "update-status-page", "index": 0},
        headers=responder,
    )
    assert told.status_code == 200, told.text
    updates = app_client.get(f"/api/v1/incidents/{number}/public-updates", headers=responder)
    assert updates.status_code == 200 and updates.json()
    pods = answer(app_client, responder, number, run, "update-status-page")["step"]
    assert pods["commands"] == ["kubectl get pods -n aurigraph-production"]
    assert pods["runnable"] == ["kubectl", "get", "pods", "-n", "aurigraph-production"]
    # Running commands is off unless the server allows the program.
    refused = app_client.post(
        f"/api/v1/incidents/{number}/runbooks/{run}/command",
        json={"step": "check-pods", "confirm": True},
        headers=responder,
    )
    assert refused.status_code == 403
    for step, said in [
        ("check-pods", "crashloop/error"),
        ("check-pod-logs", None),
        ("identify-crash-cause", None),
        ("determine-fix-strategy", "rollback"),
        ("execute-rollback", None),
        ("verify-service-up", None),
        ("monitor-1h", None),
    ]:
        answer(app_client, responder, number, run, step, said)
    last = answer(app_client, responder, number, run, "declare-resolved")
    assert last["finished"]
    # The last step's task was offered but not confirmed: nothing was created behind our back
    # (the P0 rule's own task, from the default playbook's automation rules, is there).
    tasks = app_client.get(f"/api/v1/incidents/{number}/tasks", headers=responder).json()
    assert not [t for t in tasks["tasks"] if "post-mortem" in t["text"]]


def test_database_performance_pages_the_dba(
    app_client: TestClient, responder: Headers, viewer: Headers
) -> None:
    number = declare(app_client, responder, "P2", "database")
    run = app_client.post(
        f"/api/v1/incidents/{number}/runbooks",
        json={"workflow": "database-performance"},
        headers=responder,
    ).json()["run"]
    for step, said in [
        ("alert", None),
        ("acknowledge", None),
        ("check-db-metrics", "query cpu high"),
        ("identify-slow-queries", None),
        ("check-missing-indexes", "present index"),
        ("analyze-query-plan", None),
        ("apply-fix", None),
    ]:
        answer(app_client, responder, number, run, step, said)
    scale = answer(app_client, responder, number, run, "verify-db-performance", "still high")
    assert scale["step"]["actions"][0]["does"] == "page person dba"
    # A viewer may read the run but not act on it.
    assert app_client.get(f"/api/v1/incidents/{number}/runbooks", headers=viewer).status_code == 200
    forbidden = app_client.post(
        f"/api/v1/incidents/{number}/runbooks/{run}/actions",
        json={"step": "escalate-scale-db", "index": 0},
        headers=viewer,
    )
    assert forbidden.status_code == 403
    paged = app_client.post(
        f"/api/v1/incidents/{number}/runbooks/{run}/actions",
        json={"step": "escalate-scale-db", "index": 0},
        headers=responder,
    )
    assert paged.status_code == 200, paged.text
    assert paged.json()["did"].startswith("paged dba")
    event = next(e for e in timeline(app_client, responder, number) if e["kind"] == "people_paged")
    assert event["details"]["people"] == ["dba"]
    assert event["details"]["why"] == "runbook database-performance step escalate-scale-db"
    # A stale answer (the run moved on) is a conflict naming the current step.
    stale = app_client.post(
        f"/api/v1/incidents/{number}/runbooks/{run}/answer",
        json={"step": "apply-fix"},
        headers=responder,
    )
    assert stale.status_code == 409
    assert "escalate-scale-db" in stale.json()["detail"]
    bad = app_client.post(
        f"/api/v1/incidents/{number}/runbooks", json={"workflow": "nope"}, headers=responder
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "workflow"


@pytest.fixture
def echo_runtime(database_url: str, tmp_path: Path, clock: FrozenClock) -> Iterator[Runtime]:
    """A playbook whose check-pods step runs `echo` instead of kubectl, allowed by the server."""
    text = default_playbook_text().replace(
        '          argv: [kubectl, get, pods, -n, "{{ namespace }}"]',
        '          argv: [echo, "pods in {{ namespace }} token=s3cr3t-value-42"]\n'
        "          timeout: 5s",
    )
    assert "argv: [echo" in text
    path = tmp_path / "playbook.yaml"
    path.write_text(text, encoding="utf-8")
    settings = Settings(
        home=tmp_path,
        database_url=database_url,
        playbook_path=path,
        runbook_allow=frozenset({"echo"}),
    )
    rt = build_runtime(settings, clock, migrate=False)
    yield rt
    rt.close()


def test_an_allowed_command_runs_without_a_shell_and_lands_on_the_timeline(
    echo_runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FIREBELL_TEST_API_TOKEN", "s3cr3t-value-42")
    with transaction(echo_runtime.sessions) as session:
        _, secret = create_token(session, echo_runtime.clock, name="rita", role="responder")
    headers = {"Authorization": f"Bearer {secret}"}
    with TestClient(create_app(echo_runtime)) as client:
        number = declare(client, headers, "P0", "platform")
        run = client.post(
            f"/api/v1/incidents/{number}/runbooks",
            json={"workflow": "service-outage"},
            headers=headers,
        ).json()["run"]
        for step, said in [
            ("alert", None),
            ("acknowledge", None),
            ("verify-outage", "down"),
            ("update-status-page", None),
        ]:
            answer(client, headers, number, run, step, said)
        unconfirmed = client.post(
            f"/api/v1/incidents/{number}/runbooks/{run}/command",
            json={"step": "check-pods", "confirm": False},
            headers=headers,
        )
        assert unconfirmed.status_code == 422
        ran = client.post(
            f"/api/v1/incidents/{number}/runbooks/{run}/command",
            json={"step": "check-pods", "confirm": True},
            headers=headers,
        )
        assert ran.status_code == 200, ran.text
        result = ran.json()
        assert result["exit_code"] == 0 and result["timed_out"] is False
        # No shell: the argument reached echo as one word, and the secret is redacted.
        assert result["output"] == "pods in aurigraph-production token=***\n"
        event = next(e for e in timeline(client, headers, number) if e["kind"] == "runbook_command")
        assert event["details"]["argv"][0] == "echo"
        assert "s3cr3t" not in str(event["details"])
