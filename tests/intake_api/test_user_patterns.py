"""Regexes from users and playbooks run on RE2: `(a+)+b` silences are harmless, patterns
RE2 cannot run are refused at validation naming the field and the reason (issue 9)."""

from __future__ import annotations

import copy
import time

import pytest
from fastapi.testclient import TestClient

from firebell.playbook.loader import PlaybookError, parse_playbook
from firebell.runtime import Runtime
from tests.intake_api.test_intake_http import am_url, fixture
from tests.playbook.test_loader import edited


def silence(client: TestClient, headers: dict[str, str], pattern: str) -> dict[str, object]:
    r = client.post(
        "/api/v1/silences",
        headers=headers,
        json={
            "matchers": [{"field": "labels.alertname", "op": "=~", "value": pattern}],
            "ends_at": "2026-11-26T13:00:00Z",
            "comment": "evil",
        },
    )
    body: dict[str, object] = r.json()
    body["status_code"] = r.status_code
    return body


def test_a_catastrophic_silence_is_harmless(
    app_client: TestClient, runtime: Runtime, responder: dict[str, str]
) -> None:
    assert silence(app_client, responder, "(a+)+b")["status_code"] == 201
    payload = fixture("webhook-firing.json")
    payload["commonLabels"]["alertname"] = "a" * 27  # froze the process 17 s on `re`
    for alert in payload["alerts"]:
        alert["labels"]["alertname"] = "a" * 27
    started = time.perf_counter()
    r = app_client.post(am_url(runtime), json=payload)
    assert r.status_code == 200 and r.json()["silenced"] == 0
    assert time.perf_counter() - started < 5  # vs ~17 s; the real figure is in bench/
    held = copy.deepcopy(payload)
    held["groupKey"] = "{}:{alertname='aaab'}"
    held["commonLabels"]["alertname"] = "aaab"
    for alert in held["alerts"]:
        alert["labels"]["alertname"] = "aaab"
        alert["fingerprint"] = "f" * 16
    assert app_client.post(am_url(runtime), json=held).json()["silenced"] == 1


@pytest.mark.parametrize(
    ("pattern", "reason"),
    [("(?!db)\\w+", "invalid perl operator"), ("(a)\\1", "invalid escape sequence")],
)
def test_a_silence_re2_cannot_run_is_refused_with_the_reason(
    app_client: TestClient, responder: dict[str, str], pattern: str, reason: str
) -> None:
    body = silence(app_client, responder, pattern)
    assert body["status_code"] == 422
    [error] = body["errors"]  # type: ignore[misc]
    assert error["field"] == "matchers[0]" and reason in error["reason"]
    assert "RE2" in error["reason"]


def test_playbook_validation_refuses_a_routing_regex_re2_cannot_run() -> None:
    rule = {"name": "db", "match": [{"field": "labels.team", "op": "=~", "value": "(?=db)"}]}
    rule["service"] = "database"
    text = edited(["integrations", 0, "options", "routing"], [rule])
    with pytest.raises(PlaybookError) as info:
        parse_playbook(text, "team.yaml")
    [problem] = info.value.problems
    assert problem.field == "integrations[0].options.routing[0].match[0]" and problem.line > 0
    assert "RE2" in problem.reason and "invalid perl operator" in problem.reason


def test_playbook_validation_refuses_a_leak_pattern_re2_cannot_run() -> None:
    text = edited(["communications", "customer_message_forbidden_patterns"], ["(?<=x)y"])
    with pytest.raises(PlaybookError) as info:
        parse_playbook(text, "team.yaml")
    [problem] = info.value.problems
    assert problem.field.startswith("communications.customer_message_forbidden_patterns")
    assert "RE2" in problem.reason
