"""On-call: who is on call (PagerDuty's /oncalls shape), schedules, overrides, calendars,
hand-offs and the compensation report."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import PlainTextResponse, Response
from pydantic import AwareDatetime, BaseModel, Field

from firebell.api.schemas import Body
from firebell.api.security import Admin, Responder, Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.errors import Invalid
from firebell.oncall import compensation_csv
from firebell.store.models import ScheduleOverride

router = APIRouter(tags=["on-call"])


def _aware(name: str, value: datetime | None) -> None:
    if value is not None and value.tzinfo is None:
        raise Invalid.field(name, "give a time zone, e.g. 2026-11-26T10:00:00Z")


def _ref(kind: str, ident: str, summary: str) -> dict[str, str]:
    return {"id": ident, "type": f"{kind}_reference", "summary": summary}


@router.get("/api/v1/oncalls")
def oncalls(
    request: Request,
    _actor: Principal = Viewer,
    since: datetime | None = None,
    until: datetime | None = None,
    schedule: str | None = Query(default=None, description="schedule id"),
    user: str | None = Query(default=None, description="person id"),
    limit: int = Query(default=100, ge=1, le=1000),
    offset: int = Query(default=0, ge=0),
) -> dict[str, Any]:
    """Who is on call, per escalation policy and level. Without since/until: now."""
    _aware("since", since)
    _aware("until", until)
    runtime = runtime_of(request)
    now = runtime.clock.now()
    since = since or until or now
    until = until or since
    if until < since:
        raise Invalid.field("until", "must not be before since")
    entries = runtime.schedules.oncalls(since, until, schedule, user)
    pb = runtime.playbook.playbook
    people = {p.id: p.name for p in pb.people}
    schedules = {s.id: s.name for s in pb.on_call.schedules}
    page = entries[offset : offset + limit]
    return {
        "oncalls": [
            {
                "user": _ref("user", e.user, people.get(e.user, e.user)),
                "schedule": _ref("schedule", e.schedule, schedules[e.schedule])
                if e.schedule
                else None,
                "escalation_policy": _ref("escalation_policy", e.policy, e.policy_name),
                "escalation_level": e.level,
                "start": e.start.isoformat() if e.start else None,
                "end": e.end.isoformat() if e.end else None,
            }
            for e in page
        ],
        "limit": limit,
        "offset": offset,
        "more": offset + limit < len(entries),
        "total": len(entries),
    }


@router.get("/api/v1/schedules")
def schedules(request: Request, _actor: Principal = Viewer) -> dict[str, Any]:
    runtime = runtime_of(request)
    base = str(request.base_url).rstrip("/")
    result = []
    for s in runtime.playbook.playbook.on_call.schedules:
        token = runtime.schedules.calendar_token("schedule", s.id)
        result.append(
            {
                "id": s.id,
                "name": s.name,
                "ical_url": f"{base}/ical/schedules/{s.id}.ics?token={token}",
            }
        )
    people = [
        {
            "id": p.id,
            "name": p.name,
            "ical_url": f"{base}/ical/people/{p.id}.ics?token="
            f"{runtime.schedules.calendar_token('person', p.id)}",
        }
        for p in runtime.playbook.playbook.people
    ]
    return {"schedules": result, "people": people}


@router.get("/api/v1/schedules/{schedule_id}/final")
def final(
    schedule_id: str,
    request: Request,
    since: datetime,
    until: datetime,
    _actor: Principal = Viewer,
) -> dict[str, Any]:
    """The computed schedule: layers and overrides resolved, with gaps reported."""
    _aware("since", since)
    _aware("until", until)
    result = runtime_of(request).schedules.final(schedule_id, since, until)
    return {
        "schedule": schedule_id,
        "entries": [
            {
                "user": e.user,
                "start": e.start.isoformat(),
                "end": e.end.isoformat(),
                "sources": [f"{s.kind}:{s.id}" for s in e.sources],
            }
            for e in result.entries
        ],
        "gaps": [{"start": g.start.isoformat(), "end": g.end.isoformat()} for g in result.gaps],
    }


class OverrideIn(Body):
    person: str = Field(min_length=1, max_length=64)
    start: AwareDatetime
    end: AwareDatetime
    reason: str | None = Field(default=None, max_length=2000)


class OverrideOut(BaseModel):
    id: int
    schedule: str
    person: str
    start: datetime
    end: datetime
    reason: str | None
    created_at: datetime
    created_by: str

    @classmethod
    def of(cls, row: ScheduleOverride) -> OverrideOut:
        return cls(
            id=row.id,
            schedule=row.schedule,
            person=row.person,
            start=row.start_at,
            end=row.end_at,
            reason=row.reason,
            created_at=row.created_at,
            created_by=row.created_by,
        )


@router.post("/api/v1/schedules/{schedule_id}/overrides", status_code=status.HTTP_201_CREATED)
def add_override(
    schedule_id: str, body: OverrideIn, request: Request, actor: Principal = Responder
) -> OverrideOut:
    """Put someone on call for [start, end); a later override wins where they overlap."""
    row = runtime_of(request).schedules.add_override(
        schedule_id, body.person, body.start, body.end, body.reason, actor
    )
    return OverrideOut.of(row)


@router.get("/api/v1/schedules/{schedule_id}/overrides")
def list_overrides(
    schedule_id: str, request: Request, _actor: Principal = Viewer
) -> dict[str, Any]:
    rows = runtime_of(request).schedules.list_overrides(schedule_id)
    return {"overrides": [OverrideOut.of(r).model_dump(mode="json") for r in rows]}


@router.delete("/api/v1/schedules/{schedule_id}/overrides/{override_id}", status_code=204)
def delete_override(
    schedule_id: str, override_id: int, request: Request, _actor: Principal = Responder
) -> Response:
    runtime_of(request).schedules.delete_override(schedule_id, override_id)
    return Response(status_code=204)


class HandoffIn(Body):
    status: str = Field(default="All Clear", max_length=2000)
    ongoing: str | None = Field(default=None, max_length=10_000)
    recent_changes: str | None = Field(default=None, max_length=10_000)
    maintenance: str | None = Field(default=None, max_length=10_000)
    known_issues: str | None = Field(default=None, max_length=10_000)
    notes: str | None = Field(default=None, max_length=10_000)
    outgoing: str | None = None
    incoming: str | None = None


@router.post("/api/v1/schedules/{schedule_id}/handoffs", status_code=status.HTTP_201_CREATED)
def handoff(
    schedule_id: str, body: HandoffIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    """Record the seed's hand-off note on the shift in force now."""
    row = runtime_of(request).schedules.record_handoff(
        schedule_id, body.model_dump(exclude_none=True), actor
    )
    return {
        "id": row.id,
        "schedule": row.schedule,
        "shift_start": row.shift_start.isoformat(),
        "outgoing": row.outgoing,
        "incoming": row.incoming,
        "notes": row.notes,
    }


@router.get("/api/v1/reports/oncall-pay", response_model=None)
def oncall_pay(
    request: Request,
    month: str = Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM"),
    format: str = Query(default="json", pattern="^(json|csv)$"),
    _actor: Principal = Admin,
) -> dict[str, Any] | Response:
    rows = runtime_of(request).schedules.compensation(month)
    if format == "csv":
        return PlainTextResponse(compensation_csv(rows), media_type="text/csv")
    return {
        "month": month,
        "rows": [
            {
                "user": r.user,
                "weekday_days": r.weekday_days,
                "weekend_days": r.weekend_days,
                "holiday_days": r.holiday_days,
                "incident_hours_outside_business": str(r.incident_hours_outside_business),
                "total_comp_hours": str(r.total_comp_hours),
            }
            for r in rows
        ],
    }


@router.get("/ical/schedules/{schedule_id}.ics", include_in_schema=False)
def schedule_ics(schedule_id: str, request: Request, token: str = "") -> Response:
    data = runtime_of(request).schedules.calendar("schedule", schedule_id, token)
    return Response(data, media_type="text/calendar")


@router.get("/ical/people/{person_id}.ics", include_in_schema=False)
def person_ics(person_id: str, request: Request, token: str = "") -> Response:
    data = runtime_of(request).schedules.calendar("person", person_id, token)
    return Response(data, media_type="text/calendar")
