"""Replay past incidents through two playbooks and list what would have been different.

``firebell playbook diff OLD NEW --replay`` reads the stored incidents (with their alerts),
and for each asks both playbooks, with :mod:`firebell.playbook.simulation`: which severity
and service its first alert gets, who is paged when until the incident was really
acknowledged, and whether the response and resolution targets are met by what really
happened. Every answer that differs is a :class:`Difference`, so a change to the process
can be reviewed like a code change.

Pure: the caller loads :class:`IncidentRecord` values from the database.

Limits: an alert is replayed from what firebell stored (labels, summary, source); the
sender's own severity word is not stored, so a rule that maps it (``severity_map``) sees
the labels only. Incidents declared by hand keep the severity and service people chose.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from firebell.intake.decide import decide
from firebell.intake.event import AlertEvent
from firebell.playbook import simulation
from firebell.playbook.schema import Playbook


@dataclass(frozen=True)
class AlertRecord:
    integration: str
    summary: str
    source: str
    labels: dict[str, str]
    details: dict[str, Any]


@dataclass(frozen=True)
class IncidentRecord:
    id: int
    title: str
    severity: str
    service: str | None
    private: bool
    drill: bool
    declared_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    alerts: tuple[AlertRecord, ...] = ()


@dataclass(frozen=True)
class Difference:
    incident: int
    aspect: str  # severity | service | paging | response | resolution
    old: str
    new: str


@dataclass(frozen=True)
class Outcome:
    """What one playbook makes of one incident."""

    severity: str
    service: str | None
    pages: tuple[str, ...]
    response: str  # met | breached | open
    resolution: str


def replay(old: Playbook, new: Playbook, incidents: Iterable[IncidentRecord]) -> list[Difference]:
    differences: list[Difference] = []
    for incident in incidents:
        before, after = outcome(old, incident), outcome(new, incident)
        for aspect in ("severity", "service", "pages", "response", "resolution"):
            a, b = getattr(before, aspect), getattr(after, aspect)
            if a != b:
                name = "paging" if aspect == "pages" else aspect
                differences.append(Difference(incident.id, name, _text(a), _text(b)))
    return differences


def outcome(playbook: Playbook, incident: IncidentRecord) -> Outcome:
    severity, service = _classified(playbook, incident)
    known_service = service if service and playbook.service(service) else None
    run = simulation.escalation_run(
        playbook,
        severity=severity,
        service=known_service,
        at=incident.declared_at,
        private=incident.private,
    )
    until = _acknowledged_after(incident)
    pages = tuple(
        f"+{int(p.after.total_seconds() // 60)}m level {p.level}: {', '.join(p.people)}"
        for p in run.pages
        if until is None or p.after <= until
    )
    spec = playbook.severity(severity)
    return Outcome(
        severity,
        service,
        pages,
        _met(incident.declared_at, spec.response_time.after, incident.acknowledged_at),
        _met(incident.declared_at, spec.resolution_target.after, incident.resolved_at),
    )


def _classified(playbook: Playbook, incident: IncidentRecord) -> tuple[str, str | None]:
    """The first alert's severity and service under this playbook; a hand-declared
    incident keeps its own."""
    if not incident.alerts:
        return incident.severity, incident.service
    first = incident.alerts[0]
    try:
        live = simulation.integration(playbook, first.integration)
    except ValueError:
        return incident.severity, incident.service  # the integration is gone in this playbook
    event = AlertEvent(
        action="trigger",
        dedup_key="replay",
        summary=first.summary,
        source=first.source,
        format=live.spec.format,
        labels=dict(first.labels),
        details=dict(first.details.get("event") or {}),
    )
    decision = decide(event, live.spec.options, live.rules, live.spec.service)
    return decision.severity, decision.service


def _acknowledged_after(incident: IncidentRecord) -> timedelta | None:
    end = incident.acknowledged_at or incident.resolved_at
    return end - incident.declared_at if end else None


def _met(start: datetime, target: Any, done: datetime | None) -> str:
    if done is None:
        return "open"
    return "met" if done <= target(start) else "breached"


def _text(value: object) -> str:
    if isinstance(value, tuple):
        return "; ".join(value) or "nobody paged"
    return str(value)
