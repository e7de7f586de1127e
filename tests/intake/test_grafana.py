from __future__ import annotations

import hashlib
from typing import Any

import pytest

from firebell.intake import (
    AlertEvent,
    GroupEvent,
    IntakeError,
    Link,
    parse_grafana,
    parse_grafana_alerting,
    parse_grafana_formatted,
)

from .conftest import problem_fields


def alerting_payload() -> dict[str, Any]:
    """Shaped like Grafana 10's webhook contact point body."""
    return {
        "receiver": "firebell",
        "status": "firing",
        "orgId": 1,
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": "HighCPU", "instance": "web-1", "severity": "warning"},
                "annotations": {"summary": "CPU above 90%"},
                "startsAt": "2024-05-01T10:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "https://grafana.invalid/alerting/grafana/abc/view",
                "fingerprint": "c6eadffa33f4d26e",
                "silenceURL": "https://grafana.invalid/alerting/silence/new",
                "dashboardURL": "https://grafana.invalid/d/xyz",
                "panelURL": "https://grafana.invalid/d/xyz?viewPanel=2",
                "values": {"B": 93.5, "C": 1},
                "valueString": "[ var='B' value=93.5 ]",
            },
            {
                "status": "resolved",
                "labels": {"alertname": "HighCPU", "instance": "web-2"},
                "annotations": {},
                "startsAt": "2024-05-01T09:00:00Z",
                "endsAt": "2024-05-01T10:01:00Z",
                "fingerprint": "0b7d1e0a1f7e5a11",
            },
        ],
        "groupLabels": {"alertname": "HighCPU"},
        "commonLabels": {"alertname": "HighCPU"},
        "commonAnnotations": {},
        "externalURL": "https://grafana.invalid/",
        "version": "1",
        "groupKey": '{}/{alertname="HighCPU"}:{alertname="HighCPU"}',
        "truncatedAlerts": 0,
        "title": "[FIRING:1, RESOLVED:1] HighCPU",
        "state": "alerting",
        "message": "**Firing**\n...",
    }


def test_alerting_webhook_is_grouped_by_group_key() -> None:
    payload = alerting_payload()
    group = parse_grafana(payload)
    assert isinstance(group, GroupEvent)
    assert group.format == "grafana"
    assert group.dedup_key == hashlib.sha256(payload["groupKey"].encode()).hexdigest()
    assert group.extra == {
        "orgId": 1,
        "title": "[FIRING:1, RESOLVED:1] HighCPU",
        "state": "alerting",
        "message": "**Firing**\n...",
    }
    by_fp = group.by_fingerprint()
    firing, resolved = by_fp["c6eadffa33f4d26e"], by_fp["0b7d1e0a1f7e5a11"]
    assert firing.action == "trigger"
    assert resolved.action == "resolve"
    assert firing.summary == "CPU above 90%"
    assert resolved.summary == 'HighCPU {instance="web-2"}'
    assert firing.details["values"] == {"B": 93.5, "C": 1}
    assert firing.details["value_string"] == "[ var='B' value=93.5 ]"
    assert firing.links == (
        Link("https://grafana.invalid/alerting/grafana/abc/view", "Source"),
        Link("https://grafana.invalid/d/xyz", "Dashboard"),
        Link("https://grafana.invalid/d/xyz?viewPanel=2", "Panel"),
        Link("https://grafana.invalid/alerting/silence/new", "Silence"),
    )
    assert firing.format == resolved.format == "grafana"


def test_two_grafana_groups_with_the_same_title_differ() -> None:
    a, b = alerting_payload(), alerting_payload()
    b["groupKey"] = '{}/{alertname="HighCPU"}:{alertname="HighCPU", cluster="b"}'
    assert parse_grafana_alerting(a).dedup_key != parse_grafana_alerting(b).dedup_key


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda p: p.update(orgId="1"), "orgId"),
        (lambda p: p.update(title=1), "title"),
        (lambda p: p.update(state=[]), "state"),
        (lambda p: p.update(message={}), "message"),
        (lambda p: p.pop("groupKey"), "groupKey"),
        (lambda p: p["alerts"][0].update(values=[1]), "alerts[0].values"),
        (lambda p: p["alerts"][0].update(dashboardURL=1), "alerts[0].dashboardURL"),
        (lambda p: p["alerts"][0].update(valueString=1), "alerts[0].valueString"),
        (lambda p: p["alerts"][1].pop("fingerprint"), "alerts[1].fingerprint"),
    ],
)
def test_alerting_problems_name_their_field(mutate: Any, field: str) -> None:
    payload = alerting_payload()
    mutate(payload)
    with pytest.raises(IntakeError) as exc:
        parse_grafana(payload)
    assert problem_fields(exc) == [field]


def test_alerting_body_must_be_an_object() -> None:
    with pytest.raises(IntakeError):
        parse_grafana_alerting([])


def test_formatted_webhook() -> None:
    event = parse_grafana(
        {
            "alert_uid": "08d6891a-835c-e661-39fa-96b6a9e26552",
            "title": "TestAlert: The whole system is down",
            "image_url": "https://upload.wikimedia.org/x.png",
            "state": "alerting",
            "link_to_upstream_details": "https://en.wikipedia.org/wiki/Downtime",
            "message": "This alert was sent by user for demonstration purposes",
        }
    )
    assert isinstance(event, AlertEvent)
    assert event.action == "trigger"
    assert event.dedup_key == "08d6891a-835c-e661-39fa-96b6a9e26552"
    assert event.summary == "TestAlert: The whole system is down"
    assert event.links == (
        Link("https://en.wikipedia.org/wiki/Downtime", "Details"),
        Link("https://upload.wikimedia.org/x.png", "Image"),
    )
    assert event.details["image_url"] == "https://upload.wikimedia.org/x.png"


@pytest.mark.parametrize(
    ("state", "action"),
    [("ok", "resolve"), ("OK", "resolve"), ("Alerting", "trigger"), (None, "trigger")],
)
def test_formatted_state_is_case_insensitive(state: str | None, action: str) -> None:
    assert parse_grafana_formatted({"alert_uid": "u", "state": state}).action == action


def test_formatted_without_uid_keys_on_title_stably() -> None:
    a = parse_grafana_formatted({"title": "Disk full", "state": "alerting", "message": "one"})
    b = parse_grafana_formatted({"title": "Disk full", "state": "ok", "message": "two"})
    c = parse_grafana_formatted({"title": "Disk nearly full"})
    assert a.dedup_key == b.dedup_key != c.dedup_key
    assert a.dedup_key == hashlib.sha256(b"grafana-title:Disk full").hexdigest()
    assert b.action == "resolve"


def test_formatted_everything_optional() -> None:
    event = parse_grafana_formatted({})
    assert event.action == "trigger"
    assert event.summary == "Grafana alert"
    assert parse_grafana_formatted({"message": "\n first line\nsecond"}).summary == "first line"


def test_formatted_numeric_uid_and_long_uid() -> None:
    assert parse_grafana_formatted({"alert_uid": 42}).dedup_key == "42"
    long_uid = "u" * 300
    assert (
        parse_grafana_formatted({"alert_uid": long_uid}).dedup_key
        == hashlib.sha256(long_uid.encode()).hexdigest()
    )


@pytest.mark.parametrize(
    ("body", "fields"),
    [
        ({"state": "no_data"}, ["state"]),
        ({"alert_uid": []}, ["alert_uid"]),
        (
            {"title": 1, "message": 2, "image_url": 3, "link_to_upstream_details": 4},
            ["title", "message", "image_url", "link_to_upstream_details"],
        ),
        ("alert", ["$"]),
    ],
)
def test_formatted_problems_name_their_field(body: Any, fields: list[str]) -> None:
    with pytest.raises(IntakeError) as exc:
        parse_grafana_formatted(body)
    assert problem_fields(exc) == fields
    if body == {"state": "no_data"}:
        assert exc.value.problems[0].reason == "must be one of ok, alerting (got 'no_data')"
