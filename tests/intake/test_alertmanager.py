from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from firebell.intake import IntakeError, Link, group_dedup_key, parse_alertmanager
from firebell.intake.alertmanager import alert_summary

from .conftest import problem_fields

Load = Callable[[str], Any]


def test_real_firing_capture(am: Load) -> None:
    group = parse_alertmanager(am("webhook-firing.json"))
    assert group.format == "alertmanager"
    assert group.group_key == '{}:{alertname="HighErrorRate"}'
    assert group.status == "firing"
    assert group.receiver == "fanout"
    assert group.truncated_alerts == 0
    assert group.external_url == "http://vm:9093"
    assert group.group_labels == {"alertname": "HighErrorRate"}
    assert group.common_labels["service"] == "checkout"
    assert group.common_annotations["summary"] == "Checkout 5xx rate above 5%"
    (alert,) = group.alerts
    assert alert.action == "trigger"
    assert alert.fingerprint == "9713d7e5c7934e98"
    assert alert.dedup_key == group.dedup_key
    assert alert.summary == "Checkout 5xx rate above 5%"
    assert alert.severity_hint == "critical"
    assert alert.labels["instance"] == "web-1:8080"
    assert alert.occurred_at == datetime(2026, 11, 26, 20, 6, 7, tzinfo=UTC)
    assert alert.details["ends_at"] is None  # 0001-01-01T00:00:00Z means unset
    assert alert.details["annotations"]["description"].startswith("5xx ratio")
    assert alert.links == (
        Link(
            "http://prometheus.example.invalid/graph?g0.expr=rate%28http_5xx%5B5m%5D%29", "Source"
        ),
        Link("https://runbooks.example.invalid/checkout-5xx", "Runbook"),
    )
    assert group.by_fingerprint() == {"9713d7e5c7934e98": alert}
    assert group.firing == (alert,)
    assert group.resolved == ()


def test_real_resolved_capture(am: Load) -> None:
    firing = parse_alertmanager(am("webhook-firing.json"))
    group = parse_alertmanager(am("webhook-resolved.json"))
    assert group.status == "resolved"
    (alert,) = group.alerts
    assert alert.action == "resolve"
    assert alert.occurred_at == datetime(2026, 11, 26, 20, 6, 13, tzinfo=UTC)  # endsAt
    assert alert.details["ends_at"] == "2026-11-26T20:06:13+00:00"
    # Same group, same alert: same keys, so the resolve finds the firing alert.
    assert group.dedup_key == firing.dedup_key
    assert alert.fingerprint == firing.alerts[0].fingerprint


def test_dedup_key_is_sha256_of_group_key_like_the_pagerduty_receiver(am: Load) -> None:
    webhook = am("webhook-firing.json")
    pagerduty = am("pagerduty-trigger.json")
    expected = hashlib.sha256(webhook["groupKey"].encode()).hexdigest()
    assert pagerduty["dedup_key"] == expected  # what Alertmanager itself sends
    assert parse_alertmanager(webhook).dedup_key == expected
    assert group_dedup_key(webhook["groupKey"]) == expected


def test_two_groups_with_the_same_summary_get_different_keys(am: Load) -> None:
    one = am("webhook-firing.json")
    other = am("webhook-firing.json")
    other["groupKey"] = '{}:{alertname="HighErrorRate", cluster="eu"}'
    a, b = parse_alertmanager(one), parse_alertmanager(other)
    assert a.alerts[0].summary == b.alerts[0].summary
    assert a.dedup_key != b.dedup_key


def test_same_group_key_with_different_summaries_is_one_key(am: Load) -> None:
    one = am("webhook-firing.json")
    other = am("webhook-firing.json")
    other["alerts"][0]["annotations"]["summary"] = "something else entirely"
    assert parse_alertmanager(one).dedup_key == parse_alertmanager(other).dedup_key


def _second_alert(payload: dict[str, Any], status: str) -> dict[str, Any]:
    alert = dict(payload["alerts"][0])
    alert["labels"] = {**alert["labels"], "instance": "web-2:8080"}
    alert["fingerprint"] = "0123456789abcdef"
    alert["status"] = status
    if status == "resolved":
        alert["endsAt"] = "2026-11-26T20:07:00.123456789Z"
    return alert


def test_partial_resolution_resolves_only_the_resolved_alert(am: Load) -> None:
    payload = am("webhook-firing.json")
    payload["alerts"].append(_second_alert(payload, "resolved"))
    group = parse_alertmanager(payload)
    assert group.status == "firing"  # the group still fires
    by_fp = group.by_fingerprint()
    assert by_fp["9713d7e5c7934e98"].action == "trigger"
    assert by_fp["0123456789abcdef"].action == "resolve"
    assert by_fp["0123456789abcdef"].occurred_at == datetime(
        2026, 11, 26, 20, 7, 0, 123456, tzinfo=UTC
    )
    assert [a.fingerprint for a in group.firing] == ["9713d7e5c7934e98"]
    assert [a.fingerprint for a in group.resolved] == ["0123456789abcdef"]
    assert {a.dedup_key for a in group.alerts} == {group.dedup_key}


def test_unknown_fields_are_accepted(am: Load) -> None:
    payload = am("webhook-firing.json")
    payload["notification_reason"] = "repeat"
    payload["alerts"][0]["something_new"] = {"nested": [1, 2]}
    assert parse_alertmanager(payload).alerts[0].fingerprint == "9713d7e5c7934e98"


def test_truncated_alerts_are_counted(am: Load) -> None:
    payload = am("webhook-firing.json")
    payload["truncatedAlerts"] = 3
    assert parse_alertmanager(payload).truncated_alerts == 3


def test_optional_fields_may_be_absent(am: Load) -> None:
    payload = am("webhook-firing.json")
    for key in ("truncatedAlerts", "receiver", "groupLabels", "commonLabels", "externalURL"):
        del payload[key]
    for key in ("annotations", "startsAt", "endsAt", "generatorURL"):
        del payload["alerts"][0][key]
    group = parse_alertmanager(payload)
    assert group.truncated_alerts == 0
    assert group.alerts[0].links == ()
    assert group.alerts[0].occurred_at is None
    assert group.alerts[0].summary == (
        'HighErrorRate {instance="web-1:8080", job="checkout-api", service="checkout", '
        'severity="critical"}'
    )


def test_summary_fallbacks() -> None:
    assert alert_summary({"alertname": "Down"}, {}) == "Down"
    assert alert_summary({"alertname": "Down", "a": "1"}, {"summary": "  "}) == 'Down {a="1"}'
    assert alert_summary({"a": "1"}, {}) == '{a="1"}'
    assert alert_summary({}, {}) == "unnamed alert"


def test_empty_alert_list_is_accepted(am: Load) -> None:
    payload = am("webhook-resolved.json")
    payload["alerts"] = []
    assert parse_alertmanager(payload).alerts == ()


@pytest.mark.parametrize("payload", [None, [], "x", 4])
def test_body_must_be_an_object(payload: Any) -> None:
    with pytest.raises(IntakeError) as exc:
        parse_alertmanager(payload)
    assert exc.value.problems[0].field == "$"
    assert "must be an object" in exc.value.problems[0].reason


@pytest.mark.parametrize(
    ("mutate", "field", "reason"),
    [
        (lambda p: p.pop("version"), "version", "is missing or blank"),
        (lambda p: p.update(version="3"), "version", 'must be "4"'),
        (lambda p: p.update(version=4), "version", "must be a string"),
        (lambda p: p.pop("groupKey"), "groupKey", "is missing or blank"),
        (lambda p: p.update(groupKey=""), "groupKey", "is missing or blank"),
        (lambda p: p.update(status="pending"), "status", "must be one of firing, resolved"),
        (lambda p: p.pop("status"), "status", "is missing"),
        (lambda p: p.pop("alerts"), "alerts", "is missing"),
        (lambda p: p.update(alerts={}), "alerts", "must be an array"),
        (lambda p: p.update(alerts=["x"]), "alerts[0]", "must be an object"),
        (lambda p: p.update(truncatedAlerts=-1), "truncatedAlerts", "at least 0"),
        (lambda p: p.update(truncatedAlerts="1"), "truncatedAlerts", "must be an integer"),
        (lambda p: p.update(truncatedAlerts=True), "truncatedAlerts", "must be an integer"),
        (lambda p: p.update(receiver=1), "receiver", "must be a string"),
        (lambda p: p.update(commonLabels=[]), "commonLabels", "must be an object"),
        (lambda p: p.update(groupLabels={"a": 1}), "groupLabels.a", "must be a string"),
        (lambda p: p.update(externalURL=False), "externalURL", "must be a string"),
        (lambda p: p["alerts"][0].pop("status"), "alerts[0].status", "is missing"),
        (lambda p: p["alerts"][0].update(status="ok"), "alerts[0].status", "must be one of"),
        (lambda p: p["alerts"][0].pop("labels"), "alerts[0].labels", "is missing"),
        (lambda p: p["alerts"][0].update(labels="x"), "alerts[0].labels", "must be an object"),
        (
            lambda p: p["alerts"][0]["labels"].update(severity=2),
            "alerts[0].labels.severity",
            "must be a string (got number)",
        ),
        (
            lambda p: p["alerts"][0].update(annotations={"summary": None}),
            "alerts[0].annotations.summary",
            "must be a string (got null)",
        ),
        (lambda p: p["alerts"][0].update(startsAt="yesterday"), "alerts[0].startsAt", "ISO 8601"),
        (lambda p: p["alerts"][0].update(endsAt=5), "alerts[0].endsAt", "must be a string"),
        (lambda p: p["alerts"][0].update(generatorURL=[]), "alerts[0].generatorURL", "string"),
        (lambda p: p["alerts"][0].pop("fingerprint"), "alerts[0].fingerprint", "is missing"),
        (lambda p: p["alerts"][0].update(fingerprint=" "), "alerts[0].fingerprint", "blank"),
        (
            lambda p: p["alerts"].append(dict(p["alerts"][0])),
            "alerts[1].fingerprint",
            "duplicates the fingerprint of alerts[0]",
        ),
    ],
)
def test_each_problem_names_its_field(am: Load, mutate: Any, field: str, reason: str) -> None:
    payload = am("webhook-firing.json")
    mutate(payload)
    with pytest.raises(IntakeError) as exc:
        parse_alertmanager(payload)
    assert [p.field for p in exc.value.problems] == [field]
    assert reason in exc.value.problems[0].reason


def test_all_problems_are_reported_at_once(am: Load) -> None:
    payload = am("webhook-firing.json")
    payload["version"] = "5"
    del payload["groupKey"]
    payload["alerts"][0]["status"] = "bogus"
    payload["alerts"].append({"status": "firing"})
    with pytest.raises(IntakeError) as exc:
        parse_alertmanager(payload)
    assert problem_fields(exc) == [
        "version",
        "groupKey",
        "alerts[0].status",
        "alerts[1].labels",
        "alerts[1].fingerprint",
    ]
