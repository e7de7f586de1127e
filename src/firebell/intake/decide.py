"""Which severity and service an alert gets, and why: a pure decision."""

from __future__ import annotations

from dataclasses import dataclass

from firebell.intake.classify import Severity, classify, extract_signals, source_severity
from firebell.intake.event import AlertEvent
from firebell.intake.routing import RoutingRule, route
from firebell.playbook.schema import IntegrationOptions

SEVERITIES = ("P0", "P1", "P2", "P3")


@dataclass(frozen=True)
class Decision:
    service: str
    severity: str
    reason: str  # one line for the timeline: which rule or tree branch decided
    rule: str | None


def decide(
    event: AlertEvent,
    options: IntegrationOptions,
    rules: tuple[RoutingRule, ...],
    default_service: str,
    labels: dict[str, str] | None = None,
) -> Decision:
    """Priority: an override label holding P0..P3, then the integration's fixed
    severity, then a routing rule's severity, then
    the playbook's decision tree (fed by signals in labels/annotations, with the sender's
    own severity word mapped through `severity_map` as the baseline)."""
    labels = labels if labels is not None else event.labels
    routed = route(rules, event, default_service=default_service)
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
