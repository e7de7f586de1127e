"""Routing rules: which service an alert belongs to, and optionally which severity it forces.

Rules are tried in order and **the first whose matchers all hold wins**; a rule with no
matchers matches everything (a catch-all). What the winning rule does not set falls back: the
service to the integration's default, the severity to ``default_severity`` (normally None: the
classifier decides). No match at all gives the defaults with ``rule=None``.

Matchers follow Alertmanager's: ``=`` equal, ``!=`` not equal, ``=~`` regex, ``!~`` negated
regex; regexes are anchored (``fullmatch``), a missing label or empty field reads as ``""`` (so
``team!="db"`` matches alerts with no ``team`` label). Fields: ``labels.<name>`` or one of
``summary``, ``source``, ``format``, ``severity_hint``, ``action``, ``dedup_key``,
``fingerprint``. Regexes run on RE2 (`firebell.patterns`: linear time, no backreferences or
look-around). Bad fields or regexes raise ValueError when the rule is built, so a playbook
fails to load instead of misrouting.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Literal

from firebell import patterns
from firebell.intake.classify import SEVERITIES, Severity
from firebell.intake.event import AlertEvent, GroupEvent

MatchOp = Literal["=", "!=", "=~", "!~"]
EVENT_FIELDS = frozenset(
    {"summary", "source", "format", "severity_hint", "action", "dedup_key", "fingerprint"}
)


@dataclass(frozen=True)
class Matcher:
    field: str
    op: MatchOp
    value: str

    def __post_init__(self) -> None:
        if self.field not in EVENT_FIELDS and not (
            self.field.startswith("labels.") and len(self.field) > len("labels.")
        ):
            raise ValueError(
                f"unknown field {self.field!r}: use labels.<name> or one of "
                f"{', '.join(sorted(EVENT_FIELDS))}"
            )
        if self.op not in ("=", "!=", "=~", "!~"):
            raise ValueError(f"unknown operator {self.op!r}: use =, !=, =~ or !~")
        if self.op in ("=~", "!~"):
            try:
                patterns.check(self.value)
            except patterns.PatternError as exc:
                raise ValueError(f"the regex {self.value!r} for {self.field} {exc}") from None

    def matches(self, event: AlertEvent) -> bool:
        if self.field.startswith("labels."):
            actual = event.labels.get(self.field[len("labels.") :], "")
        else:
            actual = getattr(event, self.field) or ""
        if self.op == "=":
            return bool(actual == self.value)
        if self.op == "!=":
            return bool(actual != self.value)
        found = patterns.fullmatch(self.value, actual)
        return found if self.op == "=~" else not found


@dataclass(frozen=True)
class RoutingRule:
    name: str
    matchers: tuple[Matcher, ...] = ()
    service: str | None = None
    severity: Severity | None = None

    def __post_init__(self) -> None:
        if self.service is None and self.severity is None:
            raise ValueError(f"routing rule {self.name!r} sets neither service nor severity")
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ValueError(f"routing rule {self.name!r}: severity must be one of P0..P3")

    def matches(self, event: AlertEvent) -> bool:
        return all(m.matches(event) for m in self.matchers)


@dataclass(frozen=True)
class Route:
    service: str
    severity: Severity | None
    rule: str | None


def route(
    rules: Iterable[RoutingRule],
    event: AlertEvent,
    *,
    default_service: str,
    default_severity: Severity | None = None,
) -> Route:
    """The first matching rule's service and severity, with the defaults filling gaps."""
    for rule in rules:
        if rule.matches(event):
            return Route(
                service=rule.service or default_service,
                severity=rule.severity or default_severity,
                rule=rule.name,
            )
    return Route(default_service, default_severity, None)


def route_group(
    rules: Iterable[RoutingRule],
    group: GroupEvent,
    *,
    default_service: str,
    default_severity: Severity | None = None,
) -> Route:
    """Route a whole group (one incident) on what its alerts share.

    Label matchers see the group's ``commonLabels``; other fields are those of its first alert.
    An empty group is routed on its common labels alone.
    """
    first = group.alerts[0] if group.alerts else None
    view = (
        replace(first, labels=group.common_labels)
        if first is not None
        else AlertEvent(
            action="resolve" if group.status == "resolved" else "trigger",
            dedup_key=group.dedup_key,
            summary="",
            source=group.format,
            format=group.format,
            labels=group.common_labels,
        )
    )
    return route(rules, view, default_service=default_service, default_severity=default_severity)
