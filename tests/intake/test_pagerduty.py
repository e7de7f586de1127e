from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from firebell.intake import IntakeError, Link, pagerduty_error_body, parse_pagerduty
from firebell.intake.pagerduty import new_dedup_key

from .conftest import problem_fields

Load = Callable[[str], Any]
DELETE = object()


def fixed_key() -> str:
    return "generated-key-1"


def trigger(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "routing_key": "R" * 32,
        "event_action": "trigger",
        "payload": {"summary": "disk full", "source": "db-1", "severity": "warning"},
    }
    event.update(overrides)
    return event


def test_real_alertmanager_trigger(am: Load) -> None:
    raw = am("pagerduty-trigger.json")
    event = parse_pagerduty(raw)
    webhook = am("webhook-firing.json")
    assert event.dedup_key == hashlib.sha256(webhook["groupKey"].encode()).hexdigest()
    assert event.action == "trigger"
    assert event.summary == "[FIRING:1] HighErrorRate (web-1:8080 checkout-api checkout critical)"
    assert event.source == "Alertmanager"
    assert event.format == "pagerduty"
    assert event.severity_hint == "error"  # Alertmanager's default, not the label's "critical"
    assert event.occurred_at is None  # Alertmanager sends no timestamp
    assert event.details["num_firing"] == "1"  # a string, kept as sent
    assert event.details["num_resolved"] == "0"
    assert event.links == (Link("http://vm:9093/#/alerts?receiver=fanout", "Alertmanager"),)


def test_real_alertmanager_resolve(am: Load) -> None:
    trigger_event = parse_pagerduty(am("pagerduty-trigger.json"))
    event = parse_pagerduty(am("pagerduty-resolve.json"))
    assert event.action == "resolve"
    assert event.dedup_key == trigger_event.dedup_key
    assert event.details["num_resolved"] == "1"
    assert event.summary.startswith("[RESOLVED]")


def test_trigger_without_dedup_key_gets_the_injected_one() -> None:
    assert parse_pagerduty(trigger(), new_key=fixed_key).dedup_key == "generated-key-1"
    assert (
        parse_pagerduty(trigger(dedup_key="  "), new_key=fixed_key).dedup_key == "generated-key-1"
    )
    assert parse_pagerduty(trigger(dedup_key="mine"), new_key=fixed_key).dedup_key == "mine"


def test_default_generator_is_32_hex_digits() -> None:
    key = new_dedup_key()
    assert len(key) == 32
    int(key, 16)
    assert parse_pagerduty(trigger()).dedup_key != parse_pagerduty(trigger()).dedup_key


def test_optional_payload_fields() -> None:
    event = parse_pagerduty(
        trigger(
            payload={
                "summary": "s",
                "source": "db-1",
                "severity": "critical",
                "timestamp": "2015-07-17T08:42:58.315+0000",
                "component": "postgres",
                "group": "prod-datapipe",
                "class": "deploy",
                "custom_details": {"free space": "1%"},
            },
            links=[{"href": "https://x.invalid/a", "text": "A"}, {"href": "https://x.invalid/b"}],
            images=[{"src": "https://x.invalid/i.png", "alt": "graph"}],
            client="Monitor",
            client_url="https://monitor.invalid",
            something_new=True,
        )
    )
    assert event.occurred_at == datetime(2015, 7, 17, 8, 42, 58, 315000, tzinfo=UTC)
    assert event.labels == {"component": "postgres", "group": "prod-datapipe", "class": "deploy"}
    assert event.details["free space"] == "1%"
    assert event.details["images"] == [{"src": "https://x.invalid/i.png", "alt": "graph"}]
    assert event.links == (
        Link("https://x.invalid/a", "A"),
        Link("https://x.invalid/b", ""),
        Link("https://monitor.invalid", "Monitor"),
    )


def test_naive_timestamp_is_taken_as_utc_and_offsets_are_normalized() -> None:
    naive = trigger(payload={**trigger()["payload"], "timestamp": "2024-03-01T10:00:00"})
    assert parse_pagerduty(naive).occurred_at == datetime(2024, 3, 1, 10, tzinfo=UTC)
    offset = trigger(payload={**trigger()["payload"], "timestamp": "2024-03-01T12:00:00+02:00"})
    assert parse_pagerduty(offset).occurred_at == datetime(2024, 3, 1, 10, tzinfo=UTC)


def test_non_object_custom_details_are_kept() -> None:
    event = parse_pagerduty(trigger(payload={**trigger()["payload"], "custom_details": "text"}))
    assert event.details == {"custom_details": "text"}


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_need_only_routing_key_action_and_dedup_key(action: str) -> None:
    event = parse_pagerduty({"routing_key": "r", "event_action": action, "dedup_key": "k"})
    assert event.action == action
    assert event.dedup_key == "k"
    assert event.summary == ""
    assert event.severity_hint is None


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve_without_dedup_key_are_invalid(action: str) -> None:
    with pytest.raises(IntakeError) as exc:
        parse_pagerduty({"routing_key": "r", "event_action": action}, new_key=fixed_key)
    assert exc.value.problems == (("dedup_key", "is missing or blank"),)


@pytest.mark.parametrize(
    ("event", "field", "reason"),
    [
        ({"routing_key": DELETE}, "routing_key", "is missing or blank"),
        ({"routing_key": ""}, "routing_key", "is missing or blank"),
        ({"routing_key": 5}, "routing_key", "must be a string (got number)"),
        ({"event_action": None}, "event_action", "is missing or blank"),
        ({"event_action": DELETE}, "event_action", "is missing or blank"),
        (
            {"event_action": "escalate"},
            "event_action",
            "must be one of trigger, acknowledge, resolve",
        ),
        ({"dedup_key": "k" * 256}, "dedup_key", "must be at most 255 characters (got 256)"),
        ({"dedup_key": 7}, "dedup_key", "must be a string"),
        ({"payload": None}, "payload", "is missing or blank"),
        ({"payload": "x"}, "payload", "must be an object (got string)"),
        (
            {"payload": {"source": "s", "severity": "info"}},
            "payload.summary",
            "is missing or blank",
        ),
        (
            {"payload": {"summary": "s" * 1025, "source": "s", "severity": "info"}},
            "payload.summary",
            "must be at most 1024 characters (got 1025)",
        ),
        ({"payload": {"summary": "s", "severity": "info"}}, "payload.source", "is missing"),
        ({"payload": {"summary": "s", "source": "s"}}, "payload.severity", "is missing"),
        (
            {"payload": {"summary": "s", "source": "s", "severity": "high"}},
            "payload.severity",
            "must be one of critical, error, warning, info (got 'high')",
        ),
        (
            {"payload": {"summary": "s", "source": "s", "severity": "info", "timestamp": "soon"}},
            "payload.timestamp",
            "must be an ISO 8601 timestamp",
        ),
        (
            {"payload": {"summary": "s", "source": "s", "severity": "info", "component": 1}},
            "payload.component",
            "must be a string",
        ),
        ({"links": {}}, "links", "must be an array"),
        ({"links": [1]}, "links[0]", "must be an object"),
        ({"links": [{"text": "t"}]}, "links[0].href", "is missing or blank"),
        ({"links": [{"href": "h", "text": 1}]}, "links[0].text", "must be a string"),
        ({"images": [{"href": "h"}]}, "images[0].src", "is missing or blank"),
        ({"images": "x"}, "images", "must be an array"),
        ({"client": 1}, "client", "must be a string"),
        ({"client_url": []}, "client_url", "must be a string"),
    ],
)
def test_each_problem_names_its_field(event: dict[str, Any], field: str, reason: str) -> None:
    body = {k: v for k, v in {**trigger(), **event}.items() if v is not DELETE}
    with pytest.raises(IntakeError) as exc:
        parse_pagerduty(body, new_key=fixed_key)
    assert problem_fields(exc) == [field]
    assert reason in exc.value.problems[0].reason


def test_payload_on_resolve_is_checked_when_present() -> None:
    body = {
        "routing_key": "r",
        "event_action": "resolve",
        "dedup_key": "k",
        "payload": {"severity": "x"},
    }
    with pytest.raises(IntakeError) as exc:
        parse_pagerduty(body)
    assert problem_fields(exc) == ["payload.severity"]


def test_all_problems_at_once_rendered_as_pagerduty_400() -> None:
    with pytest.raises(IntakeError) as exc:
        parse_pagerduty({"event_action": "trigger", "payload": {"severity": "fatal"}})
    assert pagerduty_error_body(exc.value) == {
        "status": "invalid event",
        "message": "Event object is invalid",
        "errors": [
            "'routing_key' is missing or blank",
            "'payload.summary' is missing or blank",
            "'payload.source' is missing or blank",
            "'payload.severity' must be one of critical, error, warning, info (got 'fatal')",
        ],
    }


def test_body_must_be_an_object() -> None:
    with pytest.raises(IntakeError) as exc:
        parse_pagerduty([])
    assert exc.value.problems == (("$", "must be an object (got array)"),)
