"""Drills in the console: the programme to come, the history with scores, a form to start
one (responders), and each drill's report. The same `Drills` service as the API, with the
signed-in user's Principal (a private drill shows only to its members)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from firebell.api.routes.drills import DrillIn
from firebell.errors import DomainError, NotFound
from firebell.web.console import (
    SECURITY_HEADERS,
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
from firebell.workflows.drill_report import render_html
from firebell.workflows.drill_schedule import reminders_of

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/drills", response_class=HTMLResponse)
def drills_page(request: Request, scenario: str = "", participants: str = "") -> Response:
    """`?scenario=&participants=a,b` fills the start form (the programme's 'Start' links)."""
    who = signed_in(request)
    values = {"scenario": scenario}
    chosen = [p for p in participants.split(",") if p]
    return _page(request, who, values=values, chosen=chosen)


def _page(
    request: Request,
    who: SignedIn,
    status: int = 200,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
    chosen: Sequence[str] = (),
) -> Response:
    console = console_of(request)
    runtime = console.runtime
    pb = runtime.playbook.playbook
    upcoming = runtime.drills.schedule()
    return console.render(
        request,
        "drills.html",
        who,
        status,
        upcoming=[(d, reminders_of(pb, d)) for d in upcoming],
        reminders=[str(r) for r in pb.drills.schedule.reminders],
        history=runtime.drills.history(principal_of(who)),
        scenarios=pb.drills.scenarios,
        names={s.id: s.name for s in pb.drills.scenarios},
        people=pb.people,
        person_names={p.id: p.name for p in pb.people},
        can_start=principal_of(who).has("responder"),
        errors=errors or {},
        values=values or {},
        chosen=set(chosen),
    )


@router.post("/drills", response_model=None)
async def start_drill(request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    chosen = [p for p in (await request.form()).getlist("participants") if isinstance(p, str)]
    runtime = console_of(request).runtime
    try:
        body = validated(DrillIn, {"scenario": form.get("scenario", ""), "participants": chosen})
        incident = await anyio.to_thread.run_sync(
            lambda: runtime.drills.start(body.scenario, body.participants, principal_of(who))
        )
    except DomainError as exc:
        errors = {k.split(".")[0]: v for k, v in errors_of(exc).items()}
        return _page(request, who, exc.status, errors, form, chosen)
    return redirect(f"/console/incidents/{incident.id}")


@router.get("/drills/{number}", response_class=HTMLResponse)
def drill_page(request: Request, number: int) -> Response:
    who = signed_in(request)
    console = console_of(request)
    try:
        report = console.runtime.drills.report_detail(number, principal_of(who))
    except NotFound as exc:
        return _not_found(request, who, exc)
    return console.render(request, "drill.html", who, r=report)


def _not_found(request: Request, who: SignedIn, exc: NotFound) -> Response:
    return console_of(request).render(
        request, "refused.html", who, 404, title="No such drill", detail=exc.detail
    )


@router.get("/drills/{number}/report.html", response_class=HTMLResponse)
def drill_report_file(request: Request, number: int) -> Response:
    """The standalone report page (what `firebell drill report N --format html` prints)."""
    who = signed_in(request)
    runtime = console_of(request).runtime
    try:
        report = runtime.drills.report_detail(number, principal_of(who))
    except NotFound as exc:
        return _not_found(request, who, exc)
    html = render_html(report, runtime.clock.now())
    headers = {
        **SECURITY_HEADERS,
        # the page carries its stylesheet inline, and loads nothing
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
        "Content-Disposition": f'inline; filename="drill-{number}-report.html"',
    }
    return HTMLResponse(html, headers=headers)
