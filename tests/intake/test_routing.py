from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from firebell.intake import (
    AlertEvent,
    Matcher,
    Route,
    RoutingRule,
    parse_alertmanager,
    route,
    route_group,
)

EVENT = AlertEvent(
    action="trigger",
    dedup_key="k1",
    summary="Checkout 5xx rate above 5%",
    source="alertmanager",
    format="alertmanager",
    severity_hint="critical",
    labels={"service": "checkout", "env": "prod", "team": "payments"},
    fingerprint="9713d7e5c7934e98",
)

RULES = (
    RoutingRule("staging is never urgent", (Matcher("labels.env", "=~", "stag.*"),), severity="P3"),
    RoutingRule(
        "payments",
        (Matcher("labels.team", "=", "payments"), Matcher("labels.service", "!=", "ledger")),
        service="payments-api",
    ),
    RoutingRule(
        "db", (Matcher("summary", "=~", ".*postgres.*"),), service="database", severity="P1"
    ),
)


def test_first_matching_rule_wins() -> None:
    assert route(RULES, EVENT, default_service="ops") == Route("payments-api", None, "payments")
    staging = replace(EVENT, labels={**EVENT.labels, "env": "staging"})
    # The staging rule matches first and sets only severity: the service falls back.
    assert route(RULES, staging, default_service="ops") == Route(
        "ops", "P3", "staging is never urgent"
    )


def test_no_match_gives_the_integration_defaults() -> None:
    ledger = replace(EVENT, labels={"team": "payments", "service": "ledger"})
    assert route(RULES, ledger, default_service="ops") == Route("ops", None, None)
    assert route(RULES, ledger, default_service="ops", default_severity="P2") == Route(
        "ops", "P2", None
    )
    assert route([], EVENT, default_service="ops") == Route("ops", None, None)


def test_rule_severity_beats_default_and_default_fills_gaps() -> None:
    db = replace(EVENT, labels={}, summary="postgres replication lag")
    assert route(RULES, db, default_service="ops", default_severity="P3") == Route(
        "database", "P1", "db"
    )
    payments = route(RULES, EVENT, default_service="ops", default_severity="P2")
    assert payments == Route("payments-api", "P2", "payments")


@pytest.mark.parametrize(
    ("matcher", "expected"),
    [
        (Matcher("labels.env", "=", "prod"), True),
        (Matcher("labels.env", "=", "Prod"), False),
        (Matcher("labels.env", "!=", "prod"), False),
        (Matcher("labels.missing", "=", ""), True),  # a missing label reads as ""
        (Matcher("labels.missing", "!=", "x"), True),
        (Matcher("labels.service", "=~", "check"), False),  # anchored
        (Matcher("labels.service", "=~", "check.*"), True),
        (Matcher("labels.service", "!~", "check.*"), False),
        (Matcher("labels.service", "!~", "db|cache"), True),
        (Matcher("severity_hint", "=", "critical"), True),
        (Matcher("format", "=", "alertmanager"), True),
        (Matcher("action", "=", "trigger"), True),
        (Matcher("source", "!=", "pagerduty"), True),
        (Matcher("dedup_key", "=", "k1"), True),
        (Matcher("fingerprint", "=~", "[0-9a-f]{16}"), True),
        (Matcher("summary", "=~", "(?i).*5XX.*"), True),
    ],
)
def test_matchers(matcher: Matcher, expected: bool) -> None:
    assert matcher.matches(EVENT) is expected


def test_none_fields_read_as_empty() -> None:
    event = replace(EVENT, severity_hint=None, fingerprint=None)
    assert Matcher("severity_hint", "=", "").matches(event)
    assert Matcher("fingerprint", "!~", ".+").matches(event)


def test_a_rule_without_matchers_catches_all() -> None:
    rules = (RoutingRule("everything", service="catch-all"),)
    assert route(rules, EVENT, default_service="ops") == Route("catch-all", None, "everything")


@pytest.mark.parametrize(
    "build",
    [
        lambda: Matcher("labels.", "=", "x"),
        lambda: Matcher("label.env", "=", "x"),
        lambda: Matcher("details", "=", "x"),
        lambda: Matcher("labels.env", "==", "x"),  # type: ignore[arg-type]
        lambda: Matcher("labels.env", "=~", "("),
        lambda: RoutingRule("nothing"),
        lambda: RoutingRule("bad", severity="P9"),  # type: ignore[arg-type]
    ],
)
def test_bad_rules_are_refused_on_construction(build: Callable[[], Any]) -> None:
    with pytest.raises(ValueError):
        build()


def test_route_group_matches_common_labels(am: Callable[[str], Any]) -> None:
    payload = am("webhook-firing.json")
    second = dict(payload["alerts"][0])
    second["labels"] = {**second["labels"], "instance": "web-2:8080"}
    second["fingerprint"] = "0123456789abcdef"
    payload["alerts"].append(second)
    payload["commonLabels"] = {"alertname": "HighErrorRate", "service": "checkout"}
    group = parse_alertmanager(payload)
    per_instance = (
        RoutingRule("web-1 only", (Matcher("labels.instance", "=", "web-1:8080"),), service="x"),
        RoutingRule("checkout", (Matcher("labels.service", "=", "checkout"),), service="shop"),
    )
    # The group is one incident: routed on what all its alerts share, not on its first alert.
    assert route_group(per_instance, group, default_service="ops") == Route(
        "shop", None, "checkout"
    )
    assert route(per_instance, group.alerts[0], default_service="ops").rule == "web-1 only"
    payload["alerts"] = []
    empty = parse_alertmanager(payload)
    assert route_group(per_instance, empty, default_service="ops").service == "shop"
