"""/api/v1/incidents: declare, act on and read incidents."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, status
from pydantic import Field

from firebell.api.schemas import (
    Body,
    CommanderIn,
    DeclareIn,
    EscalateIn,
    EscalateOut,
    IncidentList,
    IncidentOut,
    NoteIn,
    ResolveIn,
    SeverityIn,
    StatusIn,
    Timeline,
    TimelineEventOut,
)
from firebell.api.security import Responder, Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.errors import Invalid
from firebell.incidents.service import Declaration, IncidentFilter
from firebell.incidents.sla_clocks import SlaClock
from firebell.incidents.sla_service import clocks_for
from firebell.incidents.timeline_pages import DEFAULT_LIMIT, MAX_LIMIT
from firebell.store.models import Incident

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])
StatusName = Literal["investigating", "identified", "monitoring", "resolved", "closed"]
SeverityName = Literal["P0", "P1", "P2", "P3"]


@router.post("", status_code=status.HTTP_201_CREATED, response_model=IncidentOut)
def declare(body: DeclareIn, request: Request, actor: Principal = Responder) -> IncidentOut:
    incident = runtime_of(request).incidents.declare(Declaration(**body.model_dump()), actor)
    return IncidentOut.of(incident)


@router.get("", response_model=IncidentList)
def list_incidents(
    request: Request,
    actor: Principal = Viewer,
    status: Annotated[list[StatusName] | None, Query()] = None,
    severity: Annotated[list[SeverityName] | None, Query()] = None,
    service: str | None = None,
    since: datetime | None = Query(default=None, description="declared at or after"),
    until: datetime | None = Query(default=None, description="declared before"),
    limit: int = Query(default=50, ge=1, le=500),
    offset: int = Query(default=0, ge=0),
    cursor: int | None = Query(default=None, ge=1, description="next_cursor of the last page"),
) -> IncidentList:
    for name, value in (("since", since), ("until", until)):
        if value is not None and value.tzinfo is None:
            raise Invalid.field(name, "give a time zone, e.g. 2026-11-26T10:00:00Z")
    page = runtime_of(request).incidents.search(
        IncidentFilter(
            statuses=status or (),
            severities=severity or (),
            service=service,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            cursor=cursor,
        ),
        actor,
    )
    clocks = _clocks(request, page.items)
    return IncidentList(
        incidents=[IncidentOut.of(i, clocks[i.id]) for i in page.items],
        total=page.total,
        limit=limit,
        offset=offset,
        next_cursor=page.next_cursor,
    )


@router.get("/{number}", response_model=IncidentOut)
def get_incident(number: int, request: Request, actor: Principal = Viewer) -> IncidentOut:
    incident = runtime_of(request).incidents.get(number, actor)
    return IncidentOut.of(incident, _clocks(request, [incident])[incident.id])


def _clocks(request: Request, incidents: list[Incident]) -> dict[int, list[SlaClock]]:
    runtime = runtime_of(request)
    return clocks_for(runtime.sessions, runtime.playbook.playbook, incidents, runtime.clock.now())


@router.post("/{number}/acknowledge", response_model=IncidentOut)
def acknowledge(number: int, request: Request, actor: Principal = Responder) -> IncidentOut:
    return IncidentOut.of(runtime_of(request).incidents.acknowledge(number, actor))


@router.post("/{number}/status", response_model=IncidentOut)
def set_status(
    number: int, body: StatusIn, request: Request, actor: Principal = Responder
) -> IncidentOut:
    return IncidentOut.of(runtime_of(request).incidents.set_status(number, body.status, actor))


@router.post("/{number}/severity", response_model=IncidentOut)
def change_severity(
    number: int, body: SeverityIn, request: Request, actor: Principal = Responder
) -> IncidentOut:
    incident = runtime_of(request).incidents.change_severity(
        number, body.severity, body.reason, actor
    )
    return IncidentOut.of(incident)


@router.post("/{number}/commander", response_model=IncidentOut)
def assign_commander(
    number: int, body: CommanderIn, request: Request, actor: Principal = Responder
) -> IncidentOut:
    incident = runtime_of(request).incidents.assign_commander(number, body.commander, actor)
    return IncidentOut.of(incident)


@router.post(
    "/{number}/notes", status_code=status.HTTP_201_CREATED, response_model=TimelineEventOut
)
def add_note(
    number: int, body: NoteIn, request: Request, actor: Principal = Responder
) -> TimelineEventOut:
    return TimelineEventOut.of(runtime_of(request).incidents.add_note(number, body.text, actor))


@router.post("/{number}/resolve", response_model=IncidentOut)
def resolve(
    number: int, request: Request, body: ResolveIn | None = None, actor: Principal = Responder
) -> IncidentOut:
    summary = body.summary if body else None
    return IncidentOut.of(runtime_of(request).incidents.resolve(number, actor, summary))


@router.get("/{number}/timeline", response_model=Timeline)
def timeline(
    number: int,
    request: Request,
    actor: Principal = Viewer,
    limit: int = Query(default=DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(default=None, max_length=200, description="from `older`"),
) -> Timeline:
    """The newest `limit` events (oldest first); follow `older` for earlier pages."""
    page = runtime_of(request).incidents.timeline_page(number, actor, limit, cursor)
    events = [TimelineEventOut.of(e) for e in page.events]
    return Timeline(incident_id=number, events=events, older=page.older)


@router.post("/{number}/escalate", response_model=EscalateOut)
def escalate(
    number: int, request: Request, body: EscalateIn | None = None, actor: Principal = Responder
) -> EscalateOut:
    """Page a level of the escalation policy now (default: the next one)."""
    runtime = runtime_of(request)
    level = runtime.incidents.escalate(
        number, body.level if body else None, actor, runtime.pager.escalate
    )
    return EscalateOut(incident_id=number, level=level)


class ReassignIn(Body):
    person: str = Field(min_length=1, max_length=64)


@router.post("/{number}/reassign")
def reassign(
    number: int, body: ReassignIn, request: Request, actor: Principal = Responder
) -> dict[str, object]:
    """Stop the escalation policy and page one person instead."""
    runtime = runtime_of(request)
    queued = runtime.incidents.reassign(number, body.person, actor, runtime.pager.reassign)
    return {"incident_id": number, "person": body.person, "deliveries": queued}
