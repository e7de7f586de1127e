"""A test alert for one integration, in that integration's own format, through the real
intake path (the format's parser, then the same store as its URL).

What it does, like PagerDuty's test incident: it opens (or, when the integration groups
it with an open one, updates) a REAL incident on the integration's service, titled
"Test alert from the console", which pages by the service's rules like any alert, and
which is acknowledged and resolved like any incident. The alert carries the label
`firebell_test=true` and a unique dedup key (so each test is its own alert), and comes at
the sender's "warning" level (the playbook's severity map decides; P2 in the default).
Heartbeat integrations have no test alert: their alert is the silence of a missed ping.

The payload builders are pure; `send` is the shell.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from firebell.errors import Invalid
from firebell.intake import jobs
from firebell.intake.alertmanager import parse_alertmanager
from firebell.intake.event import AlertEvent, GroupEvent
from firebell.intake.generic import parse_generic
from firebell.intake.grafana import parse_grafana
from firebell.intake.integrations import LiveIntegration
from firebell.intake.opsgenie import parse_opsgenie_create
from firebell.intake.pagerduty import parse_pagerduty
from firebell.intake.paths import compile_path, lookup
from firebell.runtime import Runtime

TITLE = "Test alert from the console"
DETAIL = "Sent with the console's 'Send a test alert' button: resolve it when you have seen it."
LABEL = "firebell_test"
TESTABLE = ("alertmanager", "grafana", "pagerduty", "opsgenie", "generic")


@dataclass(frozen=True)
class TestAlertResult:
    integration: str
    format: str
    created: int
    updated: int
    dropped: int
    silenced: int
    incidents: tuple[int, ...]

    def describe(self) -> str:
        if self.incidents:
            verb = "opened" if self.created else "updated"
            numbers = ", ".join(f"#{n}" for n in self.incidents)
            return f"test alert accepted: {verb} incident {numbers}"
        if self.silenced:
            return "test alert accepted but silenced (a silence or maintenance window matches)"
        return "test alert accepted but dropped by the integration's routing"


def _alertmanager(key: str, service: str, at: str) -> dict[str, Any]:
    labels = {"alertname": "FirebellTestAlert", "severity": "warning", "service": service}
    labels |= {"instance": "firebell-console", LABEL: "true", "test_id": key}
    annotations = {"summary": TITLE, "description": DETAIL}
    return {
        "receiver": "firebell",
        "status": "firing",
        "alerts": [
            {
                "status": "firing",
                "labels": labels,
                "annotations": annotations,
                "startsAt": at,
                "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "",
                "fingerprint": key[:16],
            }
        ],
        "groupLabels": {"alertname": "FirebellTestAlert", "test_id": key},
        "commonLabels": labels,
        "commonAnnotations": annotations,
        "externalURL": "",
        "version": "4",
        "groupKey": f'{{}}:{{alertname="FirebellTestAlert", test_id="{key}"}}',
        "truncatedAlerts": 0,
    }


def _grafana(key: str, service: str, at: str) -> dict[str, Any]:
    doc = _alertmanager(key, service, at)
    doc |= {"orgId": 1, "title": f"[FIRING:1] {TITLE}", "state": "alerting", "message": DETAIL}
    doc["version"] = "1"
    return doc


def _pagerduty(key: str, service: str, routing_key: str) -> dict[str, Any]:
    return {
        "routing_key": routing_key,
        "event_action": "trigger",
        "dedup_key": f"firebell-test-{key}",
        "payload": {
            "summary": TITLE,
            "source": "firebell-console",
            "severity": "warning",
            "component": service,
            "custom_details": {LABEL: True, "note": DETAIL},
        },
    }


def _opsgenie(key: str, service: str) -> dict[str, Any]:
    return {
        "message": TITLE,
        "alias": f"firebell-test-{key}",
        "description": DETAIL,
        "priority": "P3",
        "source": "firebell-console",
        "tags": [f"service:{service}", LABEL],
        "details": {LABEL: "true"},
    }


def _put(doc: dict[str, Any], path: str, value: Any) -> None:
    """Set `value` at a dotted path or simple JSONPath of keys (indexes are skipped)."""
    steps = [s for s in compile_path(path) if s.kind != "index"]
    node = doc
    for step in steps[:-1]:
        node = node.setdefault(step.key, {})
        if not isinstance(node, dict):
            return
    if steps:
        node[steps[-1].key] = value


def _generic(key: str, integration: LiveIntegration) -> dict[str, Any]:
    options = integration.spec.options
    doc: dict[str, Any] = {}
    summary = options.summary_path or "summary"
    _put(doc, summary, TITLE)
    if options.dedup_key_path:
        _put(doc, options.dedup_key_path, f"firebell-test-{key}")
    if options.severity_path:
        _put(doc, options.severity_path, "warning")
    if options.labels_path:
        _put(doc, options.labels_path, {LABEL: "true"})
    if lookup(doc, summary) != (True, TITLE):
        raise Invalid.field(
            "integration",
            f"cannot write a test alert for the summary path {summary!r}; send one with curl",
        )
    return doc


def payload_for(integration: LiveIntegration, key: str, at: datetime) -> dict[str, Any]:
    """The test alert in the integration's format (pure)."""
    fmt, service = integration.spec.format, integration.spec.service
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    if fmt == "alertmanager":
        return _alertmanager(key, service, stamp)
    if fmt == "grafana":
        return _grafana(key, service, stamp)
    if fmt == "pagerduty":
        return _pagerduty(key, service, integration.key)
    if fmt == "opsgenie":
        return _opsgenie(key, service)
    if fmt == "generic":
        return _generic(key, integration)
    raise Invalid.field(
        "integration", f"a {fmt} integration has no test alert (its alert is a missed ping)"
    )


def parse(integration: LiveIntegration, payload: dict[str, Any]) -> list[AlertEvent]:
    """The same parser the integration's URL uses."""
    fmt = integration.spec.format
    parsed: AlertEvent | GroupEvent
    if fmt == "alertmanager":
        parsed = parse_alertmanager(payload)
    elif fmt == "grafana":
        parsed = parse_grafana(payload)
    elif fmt == "pagerduty":
        parsed = parse_pagerduty(payload)
    elif fmt == "opsgenie":
        parsed = parse_opsgenie_create(payload)
    else:
        assert integration.generic is not None
        parsed = parse_generic(payload, integration.generic)
    return list(parsed.alerts) if isinstance(parsed, GroupEvent) else [parsed]


async def send(runtime: Runtime, integration_id: str) -> TestAlertResult:
    """Build, parse and store a test alert for this integration, as its URL would."""
    integration = next((i for i in runtime.integrations.all() if i.id == integration_id), None)
    if integration is None:
        raise Invalid.field("integration", f"no integration '{integration_id}' in the playbook")
    payload = payload_for(integration, secrets.token_hex(8), runtime.clock.now())
    events = parse(integration, payload)
    outcome = await jobs.store(runtime, integration, events)
    return TestAlertResult(
        integration.id,
        integration.spec.format,
        outcome.created,
        outcome.updated,
        outcome.dropped,
        outcome.silenced,
        tuple(sorted(outcome.incidents)),
    )
