"""Request and response bodies of the HTTP API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from firebell.incidents.sla_clocks import SlaClock
from firebell.store.models import Incident, TimelineEvent


class Body(BaseModel):
    # NaN and infinities are not JSON, and PostgreSQL's JSON refuses them.
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class DeclareIn(Body):
    title: str = Field(min_length=1, max_length=500)
    severity: Literal["P0", "P1", "P2", "P3"]
    service: str | None = Field(default=None, max_length=64)
    summary: str | None = Field(default=None, max_length=10_000)
    impact_started_at: AwareDatetime | None = None
    detected_at: AwareDatetime | None = None
    commander: str | None = Field(default=None, max_length=200)
    private: bool = False
    drill: bool = False


class StatusIn(Body):
    status: Literal["investigating", "identified", "monitoring", "resolved", "closed"]


class SeverityIn(Body):
    severity: Literal["P0", "P1", "P2", "P3"]
    reason: str = Field(min_length=1, max_length=2000)


class NoteIn(Body):
    text: str = Field(min_length=1, max_length=10_000)


class ResolveIn(Body):
    summary: str | None = Field(default=None, max_length=10_000)


class CommanderIn(Body):
    commander: str = Field(min_length=1, max_length=200)


class EscalateIn(Body):
    level: int | None = Field(default=None, ge=1, description="Default: the next level")


class EscalateOut(BaseModel):
    incident_id: int
    level: int


class SlaClockOut(BaseModel):
    name: Literal["response", "resolution", "next_update"]
    due_at: datetime
    stopped_at: datetime | None
    breached: bool
    remaining_seconds: int | None = Field(description="Left to run; negative when overdue")

    @classmethod
    def of(cls, clock: SlaClock) -> SlaClockOut:
        remaining = int(clock.remaining.total_seconds()) if clock.remaining is not None else None
        return cls(
            name=clock.name,
            due_at=clock.due,
            stopped_at=clock.stopped_at,
            breached=clock.breached,
            remaining_seconds=remaining,
        )


class IncidentOut(BaseModel):
    id: int
    number: str
    title: str
    summary: str | None
    severity: str
    status: str
    service: str | None
    private: bool
    drill: bool
    commander: str | None
    created_by: str
    playbook_version: str
    impact_started_at: datetime | None
    detected_at: datetime | None
    declared_at: datetime
    acknowledged_at: datetime | None
    acknowledged_by: str | None
    mitigated_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime
    sla: list[SlaClockOut] | None = Field(
        default=None, description="SLA clocks (response, resolution, next update)"
    )

    @classmethod
    def of(cls, incident: Incident, sla: list[SlaClock] | None = None) -> IncidentOut:
        return cls(
            id=incident.id,
            number=f"#{incident.id}",
            title=incident.title,
            summary=incident.summary,
            severity=incident.severity,
            status=incident.status,
            service=incident.service,
            private=incident.private,
            drill=incident.drill,
            commander=incident.commander,
            created_by=incident.created_by,
            playbook_version=incident.playbook_version,
            impact_started_at=incident.impact_started_at,
            detected_at=incident.detected_at,
            declared_at=incident.declared_at,
            acknowledged_at=incident.acknowledged_at,
            acknowledged_by=incident.acknowledged_by,
            mitigated_at=incident.mitigated_at,
            resolved_at=incident.resolved_at,
            closed_at=incident.closed_at,
            updated_at=incident.updated_at,
            sla=[SlaClockOut.of(c) for c in sla] if sla is not None else None,
        )


class IncidentList(BaseModel):
    incidents: list[IncidentOut]
    total: int
    limit: int
    offset: int
    next_cursor: int | None


class TimelineEventOut(BaseModel):
    id: int
    incident_id: int
    at: datetime
    actor: str
    kind: str
    details: dict[str, Any]

    @classmethod
    def of(cls, event: TimelineEvent) -> TimelineEventOut:
        return cls(
            id=event.id,
            incident_id=event.incident_id,
            at=event.at,
            actor=event.actor,
            kind=event.kind,
            details=event.details,
        )


class Timeline(BaseModel):
    incident_id: int
    events: list[TimelineEventOut] = Field(description="Oldest first within the page.")
    older: str | None = Field(
        default=None, description="Cursor for the page of older events; null at the start."
    )
