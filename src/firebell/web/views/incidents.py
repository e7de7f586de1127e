"""Incidents: the list, one incident with its actions and live timeline, and Declare."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from firebell.api.routes.incidents import ReassignIn
from firebell.api.schemas import (
    CommanderIn,
    DeclareIn,
    EscalateIn,
    NoteIn,
    ResolveIn,
    SeverityIn,
    StatusIn,
)
from firebell.auth.principal import Principal
from firebell.errors import DomainError, NotFound
from firebell.incidents.changes import latest_visible
from firebell.incidents.detail import IncidentDetail, events_after, load_detail
from firebell.incidents.lifecycle import OPEN_STATUSES, STATUSES
from firebell.incidents.service import Declaration, IncidentFilter, IncidentPage
from firebell.incidents.sla_service import clocks_for
from firebell.runtime import Runtime
from firebell.store.models import Incident
from firebell.web import incident_extras
from firebell.web.console import (
    Console,
    console_of,
    errors_of,
    form_of,
    principal_of,
    redirect,
    require_role,
    signed_in,
    validated,
)
from firebell.web.incident_rows import rows
from firebell.web.sessions import SignedIn
from firebell.web.timeline_text import event_html, events_html, line

router = APIRouter(prefix="/console", include_in_schema=False)
OPEN_LIMIT = 500
OPEN_PAGE = 100  # open incidents per page, newest first
RECENT_LIMIT = 25
LIVE_POLL = 0.25  # seconds between checks for new timeline events
LIVE_FOR = 300.0  # seconds before the stream ends (the browser reconnects by itself)
HEARTBEAT = 15.0


# --- the list -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ListFilters:
    status: str = "open"  # open | resolved | all
    severity: str = ""
    service: str = ""
    mine: bool = False
    before: int = 0  # the open incidents' page: those numbered below this

    def link(self, **change: Any) -> str:
        """The URL of this view with `change` applied (a new filter starts at page one)."""
        values = {**self.__dict__, "before": 0, **change}
        parts = [f"{k}={v}" for k, v in values.items() if k != "mine" and v]
        if values["mine"]:
            parts.append("mine=1")
        return "/console/incidents" + ("?" + "&".join(parts) if parts else "")


def _mine(incident: Incident, who: SignedIn) -> bool:
    names = {who.user.name, who.user.person} - {None}
    return incident.commander in names or incident.acknowledged_by in names


def _search(
    runtime: Runtime, actor: Principal, f: ListFilters, statuses: tuple[str, ...], limit: int
) -> IncidentPage:
    return runtime.incidents.search(
        IncidentFilter(
            statuses=statuses,
            severities=(f.severity,) if f.severity else (),
            service=f.service or None,
            limit=limit,
            cursor=f.before or None,
        ),
        actor,
    )


def list_filters(
    runtime: Runtime, status: str, severity: str, service: str, mine: int, before: int
) -> ListFilters:
    pb = runtime.playbook.playbook
    return ListFilters(
        status if status in ("open", "resolved", "all") else "open",
        severity if severity in pb.severities else "",
        service if pb.service(service) is not None else "",
        bool(mine),
        max(before, 0),
    )


@router.get("/", response_class=HTMLResponse)
@router.get("/incidents", response_class=HTMLResponse)
def incidents_page(
    request: Request,
    status: str = "open",
    severity: str = "",
    service: str = "",
    mine: int = 0,
    before: int = 0,
) -> Response:
    who = signed_in(request)
    console = console_of(request)
    runtime = console.runtime
    filters = list_filters(runtime, status, severity, service, mine, before)
    return console.render(
        request,
        "incidents.html",
        who,
        live_after=latest_visible(runtime.sessions, runtime.incidents, principal_of(who)),
        live_query=filters.link(before=filters.before).partition("?")[2],
        **list_context(runtime, who, filters),
    )


def list_context(runtime: Runtime, who: SignedIn, filters: ListFilters) -> dict[str, Any]:
    """What the incidents list shows this user (the page and its live updates alike)."""
    pb = runtime.playbook.playbook
    actor = principal_of(who)
    groups: list[tuple[str, list[Incident]]] = []
    open_page: IncidentPage | None = None
    if filters.status in ("open", "all"):
        # "Mine" filters after the query, so it looks at all open incidents at once.
        open_page = _search(
            runtime,
            actor,
            filters,
            tuple(sorted(OPEN_STATUSES)),
            OPEN_LIMIT if filters.mine else OPEN_PAGE,
        )
        for name in ("investigating", "identified", "monitoring"):
            groups.append((name, [i for i in open_page.items if i.status == name]))
    if filters.status in ("resolved", "all") and not filters.before:
        found = _search(runtime, actor, filters, ("resolved", "closed"), RECENT_LIMIT).items
        groups.append(("resolved", found))
    if filters.mine:
        groups = [(name, [i for i in items if _mine(i, who)]) for name, items in groups]
    shown = [i for _, items in groups for i in items]
    now = runtime.clock.now()
    clocks = clocks_for(runtime.sessions, pb, shown, now)
    return dict(
        groups=[(name, rows(items, clocks, pb.severities, now)) for name, items in groups],
        filters=filters,
        severities=pb.severities,
        services=pb.services,
        count=len(shown),
        open_total=open_page.total if open_page else 0,
        next_page=filters.link(before=open_page.next_cursor, status=filters.status)
        if open_page and open_page.next_cursor and not filters.mine
        else None,
    )


# --- one incident ---------------------------------------------------------------------------


def _detail_context(console: Console, who: SignedIn, detail: IncidentDetail) -> dict[str, Any]:
    pb = console.runtime.playbook.playbook
    incident = detail.incident
    policy = None
    service = pb.service(incident.service) if incident.service else None
    if service is not None:
        policy = next(
            (p for p in pb.escalation_policies if p.id == service.escalation_policy), None
        )
    return {
        "d": detail,
        "i": incident,
        "sev": pb.severity(incident.severity),
        "severities": pb.severities,
        "statuses": [s for s in STATUSES if s != "closed"],
        "people": pb.people,
        "policy": policy or pb.escalation_policies[0],
        "is_open": incident.status in OPEN_STATUSES,
        "can_act": principal_of(who).has("responder"),
        "last_event": detail.timeline[-1].id if detail.timeline else 0,
        **incident_extras.context(console.runtime, detail),
    }


def _incident_response(
    request: Request,
    who: SignedIn,
    number: int,
    status: int = 200,
    errors: Mapping[str, Mapping[str, str]] | None = None,
    values: Mapping[str, str] | None = None,
) -> Response:
    console = console_of(request)
    runtime = console.runtime
    try:
        detail = load_detail(
            runtime.incidents, runtime.command, number, principal_of(who), runtime.clock.now()
        )
    except NotFound as exc:
        return console.render(
            request, "refused.html", who, 404, title="No such incident", detail=exc.detail
        )
    return console.render(
        request,
        "incident.html",
        who,
        status,
        events=events_html(line(*e) for e in reversed(detail.timeline)),
        errors=errors or {},
        values=values or {},
        **_detail_context(console, who, detail),
    )


@router.get("/incidents/{number}", response_class=HTMLResponse)
def incident_page(number: int, request: Request) -> Response:
    return _incident_response(request, signed_in(request), number)


def _optional(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


Action = Callable[[Runtime, int, Mapping[str, str], Principal], object]


def _severity(rt: Runtime, n: int, f: Mapping[str, str], p: Principal) -> object:
    body = validated(SeverityIn, {"severity": f.get("severity"), "reason": f.get("reason", "")})
    return rt.incidents.change_severity(n, body.severity, body.reason, p)


def _escalate(rt: Runtime, n: int, f: Mapping[str, str], p: Principal) -> object:
    body = validated(EscalateIn, {"level": _optional(f.get("level"))})
    return rt.incidents.escalate(n, body.level, p, rt.pager.escalate)


def _reassign(rt: Runtime, n: int, f: Mapping[str, str], p: Principal) -> object:
    body = validated(ReassignIn, {"person": f.get("person", "")})
    return rt.incidents.reassign(n, body.person, p, rt.pager.reassign)


ACTIONS: dict[str, Action] = {
    "acknowledge": lambda rt, n, f, p: rt.incidents.acknowledge(n, p),
    "escalate": _escalate,
    "reassign": _reassign,
    "status": lambda rt, n, f, p: rt.incidents.set_status(
        n, validated(StatusIn, {"status": f.get("status")}).status, p
    ),
    "severity": _severity,
    "note": lambda rt, n, f, p: rt.incidents.add_note(
        n, validated(NoteIn, {"text": f.get("text", "")}).text, p
    ),
    "resolve": lambda rt, n, f, p: rt.incidents.resolve(
        n, p, validated(ResolveIn, {"summary": _optional(f.get("summary"))}).summary
    ),
    "commander": lambda rt, n, f, p: rt.incidents.assign_commander(
        n, validated(CommanderIn, {"commander": f.get("commander", "")}).commander, p
    ),
    "task": lambda rt, n, f, p: rt.command.add_task(n, f.get("assignee", ""), f.get("text", ""), p),
}


@router.post("/incidents/{number}/{action}", response_model=None)
async def act(number: int, action: str, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    work = ACTIONS.get(action)
    if work is None:
        return _incident_response(
            request, who, number, 404, {"": {"": f"there is no action '{action}'"}}
        )
    return await run_action(
        request,
        who,
        number,
        action,
        form,
        lambda p: work(console_of(request).runtime, number, form, p),
    )


@router.post("/incidents/{number}/tasks/{task_id}", response_model=None)
async def move_task(number: int, task_id: int, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    step = form.get("step", "")
    return await run_action(
        request,
        who,
        number,
        "task",
        form,
        lambda p: console_of(request).runtime.command.move_task(number, task_id, step, p),
    )


async def run_action(
    request: Request,
    who: SignedIn,
    number: int,
    action: str,
    form: Mapping[str, str],
    work: Callable[[Principal], object],
    anchor: str = "timeline",
) -> Response:
    """Do `work` as the signed-in user; on a refusal show the incident page with the
    reasons next to the form (keyed by `action`), else back to the page at `anchor`."""
    actor = principal_of(who)
    try:
        await anyio.to_thread.run_sync(lambda: work(actor))
    except DomainError as exc:
        return _incident_response(request, who, number, exc.status, {action: errors_of(exc)}, form)
    return redirect(f"/console/incidents/{number}#{anchor}")


# --- live timeline (server-sent events) -------------------------------------------------------


def _live_batch(console: Console, who: SignedIn, number: int, after: int) -> dict[str, Any] | None:
    """New events since `after` with the re-rendered header and side column; None when
    nothing happened. NotFound when the incident is (no longer) visible to this user."""
    runtime = console.runtime
    actor = principal_of(who)
    runtime.incidents.get(number, actor)  # the visibility check, on every poll
    with runtime.sessions() as session:
        events = events_after(session, number, after)
    if not events:
        return None
    detail = load_detail(runtime.incidents, runtime.command, number, actor, runtime.clock.now())
    context = _detail_context(console, who, detail)
    env = console.templates
    base = {"csrf": who.csrf, "who": who, "now": runtime.clock.now(), **context}
    return {
        "last": events[-1].id,
        "events": [str(event_html(line(*e))) for e in events],
        "header": env.get_template("_header.html").render(**base),
        "side": env.get_template("_side.html").render(**base),
        "actions": env.get_template("_actions.html").render(**base),
        "runbook": env.get_template("_runbook.html").render(**base),
    }


@router.get("/incidents/{number}/live", response_model=None)
async def live(number: int, request: Request, after: int = 0) -> Response:
    who = signed_in(request)
    console = console_of(request)
    last_id = request.headers.get("last-event-id", "")
    start = int(last_id) if last_id.isdigit() else after
    try:
        await anyio.to_thread.run_sync(
            lambda: console.runtime.incidents.get(number, principal_of(who))
        )
    except NotFound as exc:
        return console.render(
            request, "refused.html", who, 404, title="No such incident", detail=exc.detail
        )

    async def stream() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        ends = loop.time() + LIVE_FOR
        quiet_since = loop.time()
        cursor = start
        yield "retry: 1000\n\n"
        while loop.time() < ends and not await request.is_disconnected():
            try:
                batch = await anyio.to_thread.run_sync(_live_batch, console, who, number, cursor)
            except NotFound:
                yield "event: gone\ndata: {}\n\n"
                return
            if batch is not None:
                cursor = batch["last"]
                yield f"id: {cursor}\nevent: change\ndata: {json.dumps(batch)}\n\n"
                quiet_since = loop.time()
            elif loop.time() - quiet_since > HEARTBEAT:
                yield ": still here\n\n"
                quiet_since = loop.time()
            await asyncio.sleep(LIVE_POLL)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# --- declare --------------------------------------------------------------------------------


@router.get("/declare", response_class=HTMLResponse)
def declare_page(request: Request) -> Response:
    who = signed_in(request)
    require_role(who, "responder")
    return _declare_form(request, who)


def _declare_form(
    request: Request,
    who: SignedIn,
    status: int = 200,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
) -> Response:
    console = console_of(request)
    pb = console.runtime.playbook.playbook
    return console.render(
        request,
        "declare.html",
        who,
        status,
        severities=pb.severities,
        services=pb.services,
        errors=errors or {},
        values=values or {"severity": "P2"},
    )


@router.post("/declare", response_model=None)
async def declare(request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runtime = console_of(request).runtime
    try:
        body = validated(
            DeclareIn,
            {
                "title": form.get("title", "").strip(),
                "severity": form.get("severity"),
                "service": _optional(form.get("service")),
                "summary": _optional(form.get("summary")),
                "private": form.get("private") == "on",
            },
        )
        incident = await anyio.to_thread.run_sync(
            lambda: runtime.incidents.declare(Declaration(**body.model_dump()), principal_of(who))
        )
    except DomainError as exc:
        return _declare_form(request, who, exc.status, errors_of(exc), form)
    return redirect(f"/console/incidents/{incident.id}")
