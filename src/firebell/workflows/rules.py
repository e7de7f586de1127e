"""Automation rules (pure): which of the playbook's rules an incident change sets off.

A rule says *when* (declared, acknowledged, severity or status changed, role assigned,
alert attached, or a time after declaration), *under which conditions* (severity,
service, private, the alert's labels, age) and *what to do*. Rules leave drills alone
unless they opt in, and fire once per incident unless ``once: false``.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from firebell.playbook.schema import Rule

# An incident change's kind -> the rule trigger it is.
TRIGGERS = {
    "declared": "declared",
    "acknowledged": "acknowledged",
    "severity_changed": "severity_changed",
    "status_changed": "status_changed",
    "resolved": "status_changed",
    "closed": "status_changed",
    "role_assigned": "role_assigned",
    "alert_attached": "alert_attached",
}


@dataclass(frozen=True)
class Subject:
    """What the conditions look at."""

    severity: str
    service: str | None
    private: bool
    drill: bool
    declared_at: datetime
    labels: Mapping[str, str]


def trigger_of(change_kind: str) -> str | None:
    return TRIGGERS.get(change_kind)


def holds(rule: Rule, subject: Subject, now: datetime) -> bool:
    c = rule.conditions
    if subject.drill and not rule.on_drills:
        return False
    if c.severity and subject.severity not in c.severity:
        return False
    if c.service and subject.service not in c.service:
        return False
    if c.private is not None and subject.private != c.private:
        return False
    if any(subject.labels.get(k) != v for k, v in c.labels.items()):
        return False
    return c.older_than is None or now - subject.declared_at >= c.older_than.approx()


def set_off(
    rules: Iterable[Rule],
    trigger: str,
    subject: Subject,
    now: datetime,
    fired: Collection[str],
) -> list[Rule]:
    """The rules this trigger sets off now, in the playbook's order."""
    return [
        r
        for r in rules
        if trigger in r.when and not (r.once and r.id in fired) and holds(r, subject, now)
    ]
