"""The playbook's integrations with their keys, URLs and compiled rules."""

from __future__ import annotations

from dataclasses import dataclass

from firebell.auth.keys import derive
from firebell.intake.generic import GenericConfig, StateRule
from firebell.intake.routing import Matcher, RoutingRule
from firebell.playbook.schema import Integration, Playbook

INTAKE_PATHS = {
    "alertmanager": "/api/v1/intake/alertmanager/{key}",
    "grafana": "/api/v1/intake/grafana/{key}",
    "generic": "/api/v1/intake/generic/{key}",
    "heartbeat": "/api/v1/intake/heartbeat/{key}",
    # These two carry the key in the request, exactly as the vendors' clients send it.
    "pagerduty": "/v2/enqueue",
    "opsgenie": "/v2/alerts",
}


@dataclass(frozen=True)
class LiveIntegration:
    spec: Integration
    key: str
    rules: tuple[RoutingRule, ...]
    generic: GenericConfig | None
    services: frozenset[str] = frozenset()  # the playbook's service ids, for label routing

    @property
    def id(self) -> str:
        return self.spec.id

    def url(self, base_url: str) -> str:
        return base_url.rstrip("/") + INTAKE_PATHS[self.spec.format].format(key=self.key)


def integration_key(master: bytes, integration_id: str) -> str:
    """32 hex characters, the length of a PagerDuty routing key."""
    return derive(master, f"integration:{integration_id}", 32)


def _generic(spec: Integration) -> GenericConfig | None:
    o = spec.options
    if spec.format != "generic" or o.summary_path is None:
        return None
    return GenericConfig(
        summary=o.summary_path,
        dedup_key=o.dedup_key_path,
        severity=o.severity_path,
        resolve=StateRule(o.resolve_path, tuple(o.resolve_values)) if o.resolve_path else None,
        acknowledge=(
            StateRule(o.acknowledge_path, tuple(o.acknowledge_values))
            if o.acknowledge_path
            else None
        ),
        labels=o.labels_path,
    )


class Integrations:
    def __init__(self, playbook: Playbook, master: bytes) -> None:
        services = frozenset(s.id for s in playbook.services)
        live = [
            LiveIntegration(
                spec=spec,
                key=integration_key(master, spec.id),
                rules=tuple(
                    RoutingRule(
                        name=rule.name,
                        matchers=tuple(Matcher(m.field, m.op, m.value) for m in rule.match),
                        service=rule.service,
                        severity=rule.severity,
                    )
                    for rule in spec.options.routing
                ),
                generic=_generic(spec),
                services=services,
            )
            for spec in playbook.integrations
        ]
        self.by_key = {i.key: i for i in live}
        self.by_id = {i.id: i for i in live}

    def find(self, key: str, fmt: str) -> LiveIntegration | None:
        found = self.by_key.get(key.strip())
        return found if found is not None and found.spec.format == fmt else None

    def all(self) -> list[LiveIntegration]:
        return list(self.by_id.values())
