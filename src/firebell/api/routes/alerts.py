"""/api/v1/alerts and /api/v1/incidents/{n}/alerts: alerts with their labels, status
history and the silence or maintenance window that held them back."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from firebell.api.security import Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.intake.alerts import AlertFilter, AlertReader, AlertView, HeldBack

router = APIRouter(tags=["alerts"])
State = Literal["triggered", "acknowledged", "resolved"]


class StatusStep(BaseModel):
    status: State
    at: datetime


class AlertOut(BaseModel):
    id: int
    integration: str
    dedup_key: str
    fingerprint: str | None
    status: State
    service: str
    severity: str
    summary: str
    source: str
    labels: dict[str, Any]
    incident_id: int | None
    events: int
    first_seen_at: datetime
    last_seen_at: datetime
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    history: list[StatusStep]
    held_back_by: HeldBack | None

    @classmethod
    def of(cls, view: AlertView) -> AlertOut:
        a, held = view.alert, view.held_back_by
        return cls(
            id=a.id,
            integration=a.integration,
            dedup_key=a.dedup_key,
            fingerprint=a.fingerprint or None,
            status=a.status,
            service=a.service,
            severity=a.severity,
            summary=a.summary,
            source=a.source,
            labels=a.labels,
            incident_id=a.incident_id,
            events=a.events,
            first_seen_at=a.first_seen_at,
            last_seen_at=a.last_seen_at,
            acknowledged_at=a.acknowledged_at,
            resolved_at=a.resolved_at,
            history=[StatusStep.model_validate(s) for s in view.history()],
            held_back_by=held,
        )


class AlertList(BaseModel):
    alerts: list[AlertOut]
    next_cursor: int | None


class LinkOut(BaseModel):
    incident: int
    reason: str
    direction: Literal["to", "from"]
    created_at: datetime


class IncidentAlerts(BaseModel):
    incident_id: int
    alerts: list[AlertOut]
    links: list[LinkOut]


def _reader(request: Request) -> AlertReader:
    runtime = runtime_of(request)
    return AlertReader(runtime.sessions, runtime.incidents)


@router.get("/api/v1/alerts", response_model=AlertList)
def list_alerts(
    request: Request,
    actor: Principal = Viewer,
    state: Annotated[
        list[State] | None, Query(description="triggered, acknowledged, resolved")
    ] = None,
    integration: str | None = Query(default=None, max_length=64),
    service: str | None = Query(default=None, max_length=64),
    silenced: bool | None = Query(default=None, description="held back by a silence"),
    limit: int = Query(default=100, ge=1, le=500),
    cursor: int | None = Query(default=None, ge=1, description="next_cursor of the last page"),
) -> AlertList:
    page = _reader(request).search(
        AlertFilter(state or (), integration, service, silenced, limit, cursor), actor
    )
    return AlertList(alerts=[AlertOut.of(v) for v in page.items], next_cursor=page.next_cursor)


@router.get("/api/v1/incidents/{number}/alerts", response_model=IncidentAlerts)
def incident_alerts(number: int, request: Request, actor: Principal = Viewer) -> IncidentAlerts:
    views, links = _reader(request).of_incident(number, actor)
    return IncidentAlerts(
        incident_id=number,
        alerts=[AlertOut.of(v) for v in views],
        links=[LinkOut.model_validate(link) for link in links],
    )
