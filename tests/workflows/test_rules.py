"""Automation rules: fire once, after their delay, never on drills unless opted in; a
failing action fails alone; bad rules are refused at validation. SQLite and PostgreSQL."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from paging._support import (
    ALICE,
    HttpReceiver,
    http_receiver,
    make_runtime,
    playbook_document,
)

from firebell.api.app import create_app
from firebell.clock import FrozenClock
from firebell.incidents.service import Declaration
from firebell.playbook.loader import PlaybookError, default_playbook_text, parse_playbook
from firebell.runtime import Runtime
from firebell.store.models import Message

RULES: list[dict[str, Any]] = [
    {
        "id": "p1-task",
        "when": ["declared"],
        "conditions": {"severity": ["P1"]},
        "actions": [{"task": {"text": "write the first update", "assignee": "alice"}}],
    },
    {
        "id": "db-sme-later",
        "when": ["declared", "severity_changed"],
        "conditions": {"service": ["database"]},
        "delay": "10m",
        "actions": [{"page": {"type": "person", "id": "dba"}}],
    },
    {
        "id": "drills-too",
        "when": ["declared"],
        "on_drills": True,
        "conditions": {"severity": ["P1"]},
        "actions": [{"assign_role": {"role": "scribe", "person": "scribe-bot"}}],
    },
    {
        "id": "half-broken",
        "when": ["acknowledged"],
        "actions": [
            # the security template goes to security audiences only: refused, alone
            {"notify": {"template": "security", "audience": "ops-team"}},
            {"raise_severity": "P0"},
            {"webhook": "WEBHOOK"},
        ],
    },
    {
        "id": "disk-full-attached",
        "when": ["alert_attached"],
        "conditions": {"labels": {"alertname": "DiskFull"}},
        "actions": [{"task": {"text": "free some disk", "assignee": "dba"}}],
    },
    {
        "id": "at-30m",
        "when": ["elapsed"],
        "after": "30m",
        "conditions": {"severity": ["P2"]},
        "actions": [{"start_runbook": "database-performance"}],
    },
]


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    yield from http_receiver()


@pytest.fixture
def rt(
    tmp_path: Path, database_url: str, clock: FrozenClock, receiver: HttpReceiver
) -> Iterator[Runtime]:
    doc = playbook_document(receiver.url)
    rules = copy.deepcopy(RULES)
    rules[3]["actions"][2]["webhook"] = f"{receiver.url}/rule-hook"
    doc["rules"] = rules
    runtime = make_runtime(tmp_path, database_url, clock, doc)
    yield runtime
    runtime.close()


def fired(rt: Runtime, number: int) -> list[str]:
    return [
        e.details["rule"] for e in rt.incidents.timeline(number, ALICE) if e.kind == "rule_fired"
    ]


def test_a_rule_fires_once_at_declaration(rt: Runtime) -> None:
    number = rt.incidents.declare(Declaration("Slow API", "P1", service="api"), ALICE).id
    assert fired(rt, number) == ["p1-task", "drills-too"]
    tasks = rt.command.tasks(number, ALICE)
    assert [(t.assignee, t.text) for t in tasks] == [("alice", "write the first update")]
    # Another change does not set a `declared` rule off again.
    rt.incidents.change_severity(number, "P2", "less bad", ALICE)
    rt.incidents.change_severity(number, "P1", "worse again", ALICE)
    assert fired(rt, number) == ["p1-task", "drills-too"]


def test_a_delayed_rule_waits_and_fires_once(rt: Runtime, clock: FrozenClock) -> None:
    number = rt.incidents.declare(Declaration("DB slow", "P2", service="database"), ALICE).id
    rt.engine.run_once()
    assert "db-sme-later" not in fired(rt, number)
    clock.advance(timedelta(minutes=9))
    rt.engine.run_once()
    assert "db-sme-later" not in fired(rt, number)
    rt.incidents.change_severity(number, "P1", "spreading", ALICE)  # a second timer
    clock.advance(timedelta(minutes=2))
    rt.engine.run_once()
    assert fired(rt, number).count("db-sme-later") == 1
    clock.advance(timedelta(minutes=10))
    rt.engine.run_once()
    assert fired(rt, number).count("db-sme-later") == 1  # once per incident
    paged = [e for e in rt.incidents.timeline(number, ALICE) if e.kind == "people_paged"]
    assert [e.details["people"] for e in paged] == [["dba"]]


def test_drills_only_when_opted_in(rt: Runtime) -> None:
    drill = rt.drills.start("database-failover", ["dba"], ALICE)  # a P1 drill
    assert fired(rt, drill.id) == ["drills-too"]  # p1-task is not for drills
    assert rt.command.tasks(drill.id, ALICE) == []


def test_a_failing_action_fails_alone(rt: Runtime, receiver: HttpReceiver) -> None:
    number = rt.incidents.declare(Declaration("Checkout errors", "P2", service="api"), ALICE).id
    rt.incidents.acknowledge(number, ALICE)
    events = rt.incidents.timeline(number, ALICE)
    failed = [e.details for e in events if e.kind == "rule_action_failed"]
    assert [(f["rule"], f["index"]) for f in failed] == [("half-broken", 0)]
    assert "security audiences" in failed[0]["reason"]  # the refusal, named
    # The other actions of the rule happened, and nothing of the failed one stayed.
    assert rt.incidents.get(number, ALICE).severity == "P0"
    with rt.sessions() as session:
        rows = session.query(Message).filter(Message.incident_id == number).all()
        assert not [m for m in rows if m.purpose == "notify"]
        assert [m.address for m in rows if m.purpose == "rule"] == [f"{receiver.url}/rule-hook"]
    rt.engine.run_once()
    [hit] = [h for h in receiver.hits if h.path == "/rule-hook"]
    assert (hit.json["rule"], hit.json["incident_id"]) == ("half-broken", number)
    assert hit.json["severity"] == "P0" and "x-firebell-signature" in hit.headers


def test_time_since_declaration(rt: Runtime, clock: FrozenClock) -> None:
    number = rt.incidents.declare(Declaration("Queue backlog", "P2"), ALICE).id
    clock.advance(timedelta(minutes=29))
    rt.engine.run_once()
    assert "at-30m" not in fired(rt, number)
    clock.advance(timedelta(minutes=1))
    rt.engine.run_once()
    assert fired(rt, number) == ["at-30m"]
    runs = rt.runbooks.runs(number, ALICE)
    assert [r.workflow.id for r in runs] == ["database-performance"]
    # Resolved before its time: an elapsed rule does nothing.
    other = rt.incidents.declare(Declaration("Blip", "P2"), ALICE).id
    rt.incidents.resolve(other, ALICE)
    clock.advance(timedelta(minutes=31))
    rt.engine.run_once()
    assert fired(rt, other) == []


def test_bad_rules_are_refused_with_their_line() -> None:
    text = default_playbook_text().replace(
        "    conditions: {private: true}\n",
        "    conditions: {private: true, colour: red}\n",
        1,
    )
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(text, "pb.yaml")
    line = text[: text.index("colour: red")].count("\n") + 1
    assert f"pb.yaml:{line}: rules[0].conditions.colour" in str(caught.value)
    dangling = default_playbook_text().replace(
        "      - page: {type: team, id: security}\n", "      - page: {type: team, id: nobody}\n", 1
    )
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(dangling)
    assert "rule security-team-on-security-incidents: unknown team 'nobody'" in str(caught.value)
    two = default_playbook_text().replace(
        '      - task: {text: "Assign the war-room roles',
        '      - open_war_room: true\n        task: {text: "Assign the war-room roles',
        1,
    )
    with pytest.raises(PlaybookError) as caught:
        parse_playbook(two)
    assert "an action is one of" in str(caught.value)


def test_default_rules_page_the_security_team(runtime: Runtime) -> None:
    admin = ALICE.__class__("root", "admin")
    number = runtime.incidents.declare(
        Declaration("Possible breach", "P1", service="api", private=True), admin
    ).id
    events = runtime.incidents.timeline(number, admin)
    assert [e.details["rule"] for e in events if e.kind == "rule_fired"] == [
        "security-team-on-security-incidents"
    ]
    team = next(t for t in runtime.playbook.playbook.teams if t.id == "security")
    paged = next(e for e in events if e.kind == "people_paged")
    assert paged.details["people"] == team.members


def _group(*names: str) -> dict[str, Any]:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": name, "service": "database"},
            "annotations": {"summary": f"{name} on db-1"},
            "startsAt": "2026-11-26T11:59:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "",
            "fingerprint": f"{index:016x}",
        }
        for index, name in enumerate(names, start=1)
    ]
    return {
        "version": "4",
        "groupKey": '{}:{service="database"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "firebell",
        "groupLabels": {"service": "database"},
        "commonLabels": {"service": "database"},
        "commonAnnotations": {},
        "externalURL": "http://am",
        "alerts": alerts,
    }


def test_a_rule_on_attached_alerts_with_labels(rt: Runtime) -> None:
    key = rt.integrations.by_id["alertmanager"].key
    with TestClient(create_app(rt)) as client:
        first = client.post(f"/api/v1/intake/alertmanager/{key}", json=_group("HighLoad"))
        assert first.status_code == 200, first.text
        [number] = first.json()["incidents"]
        assert "disk-full-attached" not in fired(rt, number)  # opened, not attached
        second = client.post(
            f"/api/v1/intake/alertmanager/{key}", json=_group("HighLoad", "DiskFull")
        )
        assert second.status_code == 200, second.text
        assert second.json()["incidents"] == [number]
    assert fired(rt, number).count("disk-full-attached") == 1
    assert [t.text for t in rt.command.tasks(number, ALICE)] == ["free some disk"]
