"""On call now, schedules (two weeks as a timeline), overrides, and calendar links."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import AwareDatetime, BaseModel, Field

from firebell.errors import DomainError, Invalid
from firebell.playbook.schema import Person
from firebell.runtime import Runtime
from firebell.schedules.service import OnCallEntry
from firebell.schedules.timeline import schedule_timeline
from firebell.web.chart import chart
from firebell.web.console import (
    console_of,
    errors_of,
    form_of,
    principal_of,
    redirect,
    require_role,
    signed_in,
    validated,
)
from firebell.web.sessions import SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)
WINDOW = timedelta(days=14)


@dataclass(frozen=True)
class Shift:
    schedule: str
    start: datetime
    end: datetime


def my_shifts(runtime: Runtime, person: str | None, now: datetime) -> list[Shift]:
    if person is None:
        return []
    shifts = [
        Shift(s.name, e.start, e.end)
        for s in runtime.playbook.playbook.on_call.schedules
        for e in runtime.schedules.final(s.id, now, now + WINDOW).entries
        if e.user == person
    ]
    return sorted(shifts, key=lambda s: s.start)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


@router.get("/oncall", response_class=HTMLResponse)
def oncall_page(request: Request) -> Response:
    who = signed_in(request)
    console = console_of(request)
    runtime = console.runtime
    now = runtime.clock.now()
    pb = runtime.playbook.playbook
    entries = runtime.schedules.oncalls(now, now)
    by_policy: dict[str, dict[int, list[OnCallEntry]]] = {}
    for e in entries:
        by_policy.setdefault(e.policy, {}).setdefault(e.level, []).append(e)
    people: dict[str, Person] = {p.id: p for p in pb.people}
    return console.render(
        request,
        "oncall.html",
        who,
        policies=pb.escalation_policies,
        by_policy=by_policy,
        people=people,
        shifts=my_shifts(runtime, who.user.person, now),
        console_paged={
            p.id
            for p in pb.people
            if any(
                r.method == "console"
                for r in p.notification_rules or pb.on_call.default_notification_rules
            )
        },
    )


@router.get("/schedules", response_class=HTMLResponse)
def schedules_page(request: Request) -> Response:
    who = signed_in(request)
    console = console_of(request)
    runtime = console.runtime
    pb = runtime.playbook.playbook
    links = {
        s.id: f"{_base(request)}/ical/schedules/{s.id}.ics?token="
        f"{runtime.schedules.calendar_token('schedule', s.id)}"
        for s in pb.on_call.schedules
    }
    mine = None
    if who.user.person:
        token = runtime.schedules.calendar_token("person", who.user.person)
        mine = f"{_base(request)}/ical/people/{who.user.person}.ics?token={token}"
    return console.render(
        request,
        "schedules.html",
        who,
        schedules=pb.on_call.schedules,
        links=links,
        mine=mine,
        shifts=my_shifts(runtime, who.user.person, runtime.clock.now()),
    )


def _schedule_response(
    request: Request,
    who: SignedIn,
    schedule_id: str,
    status: int = 200,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
) -> Response:
    console = console_of(request)
    runtime = console.runtime
    pb = runtime.playbook.playbook
    now = runtime.clock.now()
    since = now.replace(minute=0, second=0, microsecond=0)
    try:
        timeline = schedule_timeline(runtime.schedules, schedule_id, since, since + WINDOW)
        overrides = runtime.schedules.list_overrides(schedule_id)
    except DomainError as exc:
        return console.render(
            request, "refused.html", who, exc.status, title="No such schedule", detail=exc.detail
        )
    names = {p.id: p.name for p in pb.people}
    schedule = next(s for s in pb.on_call.schedules if s.id == schedule_id)
    start = (now + timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    return console.render(
        request,
        "schedule.html",
        who,
        status,
        schedule=schedule,
        timeline=timeline,
        chart=chart(timeline, names),
        names=names,
        overrides=[o for o in overrides if o.end_at > now],
        people=pb.people,
        errors=errors or {},
        values=values
        or {
            "start": f"{start:%Y-%m-%dT%H:%M}",
            "end": f"{start + timedelta(hours=8):%Y-%m-%dT%H:%M}",
            "person": who.user.person or "",
        },
        can_act=principal_of(who).has("responder"),
    )


@router.get("/schedules/{schedule_id}", response_class=HTMLResponse)
def schedule_page(schedule_id: str, request: Request) -> Response:
    return _schedule_response(request, signed_in(request), schedule_id)


class OverrideForm(BaseModel):
    person: str = Field(min_length=1, max_length=64)
    start: AwareDatetime
    end: AwareDatetime
    reason: str | None = Field(default=None, max_length=2000)


def _utc(value: str) -> str:
    """A datetime-local value (no zone) is taken as UTC, as the form says."""
    value = value.strip()
    if not value:
        return value
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return value
    return (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).isoformat()


@router.post("/schedules/{schedule_id}/overrides", response_model=None)
async def add_override(schedule_id: str, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runtime = console_of(request).runtime
    try:
        body = validated(
            OverrideForm,
            {
                "person": form.get("person", ""),
                "start": _utc(form.get("start", "")),
                "end": _utc(form.get("end", "")),
                "reason": form.get("reason") or None,
            },
        )
        if body.end <= body.start:
            raise Invalid.field("end", "must be after the start")
        await anyio.to_thread.run_sync(
            lambda: runtime.schedules.add_override(
                schedule_id, body.person, body.start, body.end, body.reason, principal_of(who)
            )
        )
    except DomainError as exc:
        return _schedule_response(request, who, schedule_id, exc.status, errors_of(exc), form)
    return redirect(f"/console/schedules/{schedule_id}#overrides")


@router.post("/schedules/{schedule_id}/overrides/{override_id}/delete", response_model=None)
async def delete_override(schedule_id: str, override_id: int, request: Request) -> Response:
    who = signed_in(request)
    await form_of(request, who)
    require_role(who, "responder")
    runtime = console_of(request).runtime
    try:
        await anyio.to_thread.run_sync(
            lambda: runtime.schedules.delete_override(schedule_id, override_id)
        )
    except DomainError as exc:
        return _schedule_response(request, who, schedule_id, exc.status, errors_of(exc))
    return redirect(f"/console/schedules/{schedule_id}#overrides")
