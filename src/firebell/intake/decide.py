"""Which severity and service an alert gets, and why; what an incident does when all
its alerts resolve. Pure decisions: no storage, no clock."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from firebell.intake.classify import Severity, classify, extract_signals, source_severity
from firebell.intake.event import AlertEvent
from firebell.intake.routing import Route, RoutingRule, route
from firebell.playbook.schema import IntegrationOptions

SEVERITIES = ("P0", "P1", "P2", "P3")


@dataclass(frozen=True)
class ServiceChoice:
    """The service an alert goes to and why; `unknown` is a label value naming no service
    of the playbook (the alert then goes to the integration's default, and says so)."""

    service: str
    why: str
    unknown: tuple[str, str] | None = None  # (label, value)


@dataclass(frozen=True)
class Decision:
    service: str
    severity: str
    reason: str  # one line for the timeline: which rule or tree branch decided
    rule: str | None
    routing: ServiceChoice | None = None


def choose_service(
    rule_service: str | None,
    rule_name: str | None,
    labels: dict[str, str],
    service_labels: Sequence[str],
    known: Collection[str],
    default_service: str,
) -> ServiceChoice:
    """A routing rule's service first; then the first of `service_labels` (by default
    `service`, then `job`) whose value is a known service; then the integration's own."""
    if rule_service:
        return ServiceChoice(rule_service, f"routing rule '{rule_name}'")
    unknown: tuple[str, str] | None = None
    for label in service_labels:
        value = labels.get(label, "").strip()
        if not value:
            continue
        if value in known:
            return ServiceChoice(value, f"label {label}={value}")
        unknown = unknown or (label, value)
    if unknown is not None:
        label, value = unknown
        return ServiceChoice(
            default_service,
            f"label {label}={value} names no service of the playbook; "
            f"the integration's default service {default_service}",
            unknown,
        )
    return ServiceChoice(default_service, f"the integration's default service {default_service}")


def decide(
    event: AlertEvent,
    options: IntegrationOptions,
    rules: tuple[RoutingRule, ...],
    default_service: str,
    labels: dict[str, str] | None = None,
    known_services: Collection[str] = (),
) -> Decision:
    """Service: see `choose_service`. Severity, in priority: an override label holding
    P0..P3, then the integration's fixed severity, then a routing rule's severity, then
    the playbook's decision tree (fed by signals in labels/annotations, with the sender's
    own severity word mapped through `severity_map` as the baseline)."""
    labels = labels if labels is not None else event.labels
    matched = route(rules, event, default_service="")  # "" = the rule names no service
    rule_name = matched.rule
    choice = choose_service(
        matched.service or None,
        rule_name,
        labels,
        options.service_labels,
        known_services,
        default_service,
    )
    routed = Route(choice.service, matched.severity, rule_name)
    decision = _severity(event, options, routed, labels)
    return Decision(decision.service, decision.severity, decision.reason, rule_name, choice)


def _severity(
    event: AlertEvent, options: IntegrationOptions, routed: Route, labels: dict[str, str]
) -> Decision:
    rule_name = routed.rule
    override = labels.get(options.override_label or "", "").strip().upper()
    if options.override_label and override in SEVERITIES:
        return Decision(
            routed.service, override, f"label {options.override_label}={override}", rule_name
        )
    if options.severity is not None:
        return Decision(
            routed.service, options.severity, f"integration severity {options.severity}", rule_name
        )
    if routed.severity is not None:
        return Decision(routed.service, routed.severity, f"routing rule '{rule_name}'", rule_name)
    hint = event.severity_hint
    if options.severity_label and options.severity_label in labels:
        hint = labels[options.severity_label]
    source: Severity | None = None
    if hint is not None:
        mapped = options.severity_map.get(hint.strip().lower()) or options.severity_map.get(hint)
        source = mapped or source_severity(event.format, hint)
    if source is None:
        source = options.default_severity
    annotations = event.details.get("annotations")
    signals = extract_signals(labels, annotations if isinstance(annotations, dict) else None)
    result = classify(signals.signals, source=source)
    return Decision(routed.service, result.severity, f"decision tree: {result.branch}", rule_name)


Settlement = Literal["resolve", "monitoring", "stay"]


def when_all_resolved(options: IntegrationOptions, acknowledged: bool) -> Settlement:
    """What an open incident does once its source has resolved every alert of it: nobody
    acknowledged → resolve (by default); someone is working it → monitoring."""
    if options.auto_resolve:
        return "resolve"
    rule = options.when_all_resolved
    return rule.acknowledged if acknowledged else rule.unacknowledged
