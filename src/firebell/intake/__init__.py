"""Alert intake: vendor formats in, normalized events out — a pure core (no I/O, no clock).

Every parser takes decoded JSON and returns events or raises :class:`IntakeError` listing every
problem by field. See each module's docstring for the format's rules.
"""

from firebell.intake.alertmanager import group_dedup_key, parse_alertmanager
from firebell.intake.classify import (
    DEFAULT_TREE,
    Baseline,
    Branch,
    Classification,
    Condition,
    ExtractedSignals,
    Outcome,
    Question,
    Severity,
    Signals,
    Thresholds,
    classify,
    classify_event,
    default_tree,
    extract_signals,
    source_severity,
)
from firebell.intake.errors import IntakeError, Problem
from firebell.intake.event import Action, AlertEvent, GroupEvent, Link
from firebell.intake.generic import GenericConfig, StateRule, parse_generic
from firebell.intake.grafana import parse_grafana, parse_grafana_alerting, parse_grafana_formatted
from firebell.intake.heartbeat import HeartbeatAction, heartbeat_deadline, heartbeat_state
from firebell.intake.opsgenie import parse_opsgenie_action, parse_opsgenie_create
from firebell.intake.pagerduty import new_dedup_key, pagerduty_error_body, parse_pagerduty
from firebell.intake.routing import Matcher, Route, RoutingRule, route, route_group

__all__ = [
    "DEFAULT_TREE",
    "Action",
    "AlertEvent",
    "Baseline",
    "Branch",
    "Classification",
    "Condition",
    "ExtractedSignals",
    "GenericConfig",
    "GroupEvent",
    "HeartbeatAction",
    "IntakeError",
    "Link",
    "Matcher",
    "Outcome",
    "Problem",
    "Question",
    "Route",
    "RoutingRule",
    "Severity",
    "Signals",
    "StateRule",
    "Thresholds",
    "classify",
    "classify_event",
    "default_tree",
    "extract_signals",
    "group_dedup_key",
    "heartbeat_deadline",
    "heartbeat_state",
    "new_dedup_key",
    "pagerduty_error_body",
    "parse_alertmanager",
    "parse_generic",
    "parse_grafana",
    "parse_grafana_alerting",
    "parse_grafana_formatted",
    "parse_opsgenie_action",
    "parse_opsgenie_create",
    "parse_pagerduty",
    "route",
    "route_group",
    "source_severity",
]
