"""Random JSON must never make a parser raise anything but IntakeError."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firebell.intake import (
    GenericConfig,
    IntakeError,
    StateRule,
    parse_alertmanager,
    parse_generic,
    parse_grafana,
    parse_grafana_alerting,
    parse_grafana_formatted,
    parse_opsgenie_action,
    parse_opsgenie_create,
    parse_pagerduty,
)
from firebell.intake.classify import classify_event, extract_signals
from firebell.intake.event import AlertEvent, GroupEvent

from .conftest import FIXTURES

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.sampled_from(
        [
            "4",
            "firing",
            "resolved",
            "trigger",
            "acknowledge",
            "resolve",
            "critical",
            "ok",
            "alerting",
            "0001-01-01T00:00:00Z",
            "2024-01-01T00:00:00+25:00",
            "9999-12-31T23:59:59-23:59",
            "\ud800",
        ]
    )
)
KEY_NAMES = [
    "version",
    "groupKey",
    "status",
    "alerts",
    "labels",
    "annotations",
    "fingerprint",
    "startsAt",
    "endsAt",
    "truncatedAlerts",
    "commonLabels",
    "routing_key",
    "event_action",
    "dedup_key",
    "payload",
    "summary",
    "source",
    "severity",
    "timestamp",
    "custom_details",
    "links",
    "images",
    "href",
    "src",
    "message",
    "alias",
    "tags",
    "details",
    "priority",
    "alert_uid",
    "title",
    "state",
    "values",
    "orgId",
    "alert",
    "name",
    "id",
    "at",
]
KEYS = st.sampled_from(KEY_NAMES) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=6),
    max_leaves=30,
)

CONFIG = GenericConfig(
    summary="$.alert.name",
    dedup_key="alert.id",
    severity="$['alert']['severity']",
    resolve=StateRule("status", ("ok",)),
    labels="alert.labels",
    occurred_at="alert.at",
)
PARSERS: list[Callable[[Any], object]] = [
    parse_alertmanager,
    parse_pagerduty,
    parse_opsgenie_create,
    partial(parse_opsgenie_action, "close", "alias-1", "alias"),
    parse_grafana,
    parse_grafana_alerting,
    parse_grafana_formatted,
    partial(parse_generic, config=CONFIG),
    partial(parse_generic, config=GenericConfig(summary="$")),
]
FUZZ = settings(max_examples=200, suppress_health_check=[HealthCheck.too_slow], deadline=None)


def _exercise(result: object) -> None:
    """Downstream pure steps must also cope with whatever a parser accepted."""
    alerts = result.alerts if isinstance(result, GroupEvent) else (result,)
    for alert in alerts:
        assert isinstance(alert, AlertEvent)
        assert alert.dedup_key
        classify_event(alert)


@pytest.mark.parametrize("parser", PARSERS)
@FUZZ
@given(payload=json_values)
def test_random_json_raises_only_intake_error(
    parser: Callable[[Any], object], payload: Any
) -> None:
    try:
        _exercise(parser(payload))
    except IntakeError as exc:
        assert exc.problems


def _mutations(name: str) -> st.SearchStrategy[Any]:
    """A real capture with one field somewhere replaced by random JSON."""
    base = json.loads((FIXTURES / name).read_text())

    def mutate(path_choice: int, value: Any) -> Any:
        doc = json.loads(json.dumps(base))
        spots: list[tuple[Any, Any]] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                for key in node:
                    spots.append((node, key))
                    walk(node[key])
            elif isinstance(node, list):
                for index in range(len(node)):
                    spots.append((node, index))
                    walk(node[index])

        walk(doc)
        container, key = spots[path_choice % len(spots)]
        container[key] = value
        return doc

    return st.builds(mutate, st.integers(min_value=0), json_values)


@pytest.mark.parametrize(
    ("name", "parser"),
    [
        ("webhook-firing.json", parse_alertmanager),
        ("webhook-resolved.json", parse_grafana),
        ("pagerduty-trigger.json", parse_pagerduty),
        ("pagerduty-resolve.json", parse_pagerduty),
    ],
)
@FUZZ
@given(data=st.data())
def test_mutated_captures_raise_only_intake_error(
    name: str, parser: Callable[[Any], object], data: st.DataObject
) -> None:
    payload = data.draw(_mutations(name))
    try:
        _exercise(parser(payload))
    except IntakeError as exc:
        assert exc.problems


@FUZZ
@given(identifier=json_values, kind=st.none() | st.text(max_size=6), body=json_values)
def test_opsgenie_action_arguments(identifier: Any, kind: str | None, body: Any) -> None:
    try:
        parse_opsgenie_action("acknowledge", identifier, kind, body)
    except IntakeError as exc:
        assert exc.problems


@FUZZ
@given(labels=st.dictionaries(st.text(max_size=25), st.text(max_size=12)))
def test_signal_extraction_never_raises(labels: dict[str, str]) -> None:
    extract_signals(labels, labels)
