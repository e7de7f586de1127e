"""What every intake format is normalized into.

An :class:`AlertEvent` is one signal about one alert: trigger, acknowledge or resolve, keyed by
``dedup_key``. Grouped sources (Alertmanager, Grafana alerting) produce a :class:`GroupEvent`:
the group's key is the dedup key of every alert in it, and each alert is told apart inside the
group by its ``fingerprint``. So a group with three alerts where one resolves is one incident
with one of three alerts resolved, not a resolved incident.

Both are frozen; the dicts inside them are not copied defensively, so treat them as read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

Action = Literal["trigger", "acknowledge", "resolve"]
GroupStatus = Literal["firing", "resolved"]

ACTIONS: tuple[Action, ...] = ("trigger", "acknowledge", "resolve")


@dataclass(frozen=True, slots=True)
class Link:
    """A URL worth showing next to the alert (runbook, graph, dashboard, client page)."""

    href: str
    text: str = ""


@dataclass(frozen=True)
class AlertEvent:
    """One normalized alert signal.

    - ``format``: the intake format that produced it (``alertmanager``, ``pagerduty``,
      ``opsgenie``, ``grafana``, ``generic``, ``heartbeat``).
    - ``source``: the system the sender names as the origin (PagerDuty ``payload.source``,
      Opsgenie ``source``); the format name when the format has no such field.
    - ``severity_hint``: the sender's own severity word, untranslated (``critical``, ``P2``);
      :mod:`firebell.intake.classify` turns it into a firebell severity.
    - ``summary``: one line for people. May be empty for acknowledge/resolve events whose
      format carries no text.
    - ``occurred_at``: when the sender says it happened (start for triggers, end for resolves),
      or None when the payload does not say; the caller then uses the receive time.
    - ``fingerprint``: identity of this alert inside its group (Alertmanager and Grafana), else
      None.
    """

    action: Action
    dedup_key: str
    summary: str
    source: str
    format: str
    severity_hint: str | None = None
    labels: dict[str, str] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)
    links: tuple[Link, ...] = ()
    occurred_at: datetime | None = None
    fingerprint: str | None = None


@dataclass(frozen=True)
class GroupEvent:
    """A grouped notification: every alert of one Alertmanager/Grafana group, as sent.

    ``status`` is the group's status as the sender computed it (``resolved`` only when every
    alert is); each alert's own action comes from its own status. ``truncated_alerts`` counts
    alerts the sender left out (Alertmanager ``max_alerts``): they are firing or resolved but
    absent here, so a caller must not conclude an alert resolved because it is missing.
    ``extra`` holds format-specific group fields (Grafana ``orgId``, ``title``, ``state``,
    ``message``).
    """

    format: str
    group_key: str
    dedup_key: str
    status: GroupStatus
    alerts: tuple[AlertEvent, ...]
    truncated_alerts: int = 0
    receiver: str | None = None
    group_labels: dict[str, str] = field(default_factory=dict)
    common_labels: dict[str, str] = field(default_factory=dict)
    common_annotations: dict[str, str] = field(default_factory=dict)
    external_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def by_fingerprint(self) -> dict[str, AlertEvent]:
        """The alerts keyed by fingerprint (unique within a group; parsers enforce it)."""
        return {a.fingerprint: a for a in self.alerts if a.fingerprint is not None}

    @property
    def firing(self) -> tuple[AlertEvent, ...]:
        return tuple(a for a in self.alerts if a.action == "trigger")

    @property
    def resolved(self) -> tuple[AlertEvent, ...]:
        return tuple(a for a in self.alerts if a.action == "resolve")
