"""What the playbook declares, for looking up: escalation policies, services, integrations,
and the admin page (users, the playbook in force)."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from firebell.intake.last_seen import last_events
from firebell.web.console import console_of, form_of, require_role, signed_in
from firebell.web.doctor_report import DoctorReport, doctor_report
from firebell.web.sessions import SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/policies", response_class=HTMLResponse)
def policies_page(request: Request) -> Response:
    who = signed_in(request)
    console = console_of(request)
    pb = console.runtime.playbook.playbook
    return console.render(
        request,
        "policies.html",
        who,
        policies=pb.escalation_policies,
        people={p.id: p.name for p in pb.people},
        schedules={s.id: s.name for s in pb.on_call.schedules},
        teams={t.id: t.name for t in pb.teams},
    )


@router.get("/services", response_class=HTMLResponse)
def services_page(request: Request) -> Response:
    who = signed_in(request)
    console = console_of(request)
    pb = console.runtime.playbook.playbook
    return console.render(
        request,
        "services.html",
        who,
        services=pb.services,
        teams={t.id: t.name for t in pb.teams},
        policies={p.id: p.name for p in pb.escalation_policies},
    )


@router.get("/integrations", response_class=HTMLResponse)
def integrations_page(request: Request) -> Response:
    """Admins only: each URL carries the integration's secret key."""
    who = signed_in(request)
    require_role(who, "admin")
    console = console_of(request)
    runtime = console.runtime
    base = str(request.base_url).rstrip("/")
    return console.render(
        request,
        "integrations.html",
        who,
        integrations=[(i.spec, i.url(base)) for i in runtime.integrations.all()],
        last=last_events(runtime.sessions),
    )


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request) -> Response:
    who = signed_in(request)
    require_role(who, "admin")
    return admin_response(request, who, doctor_report(console_of(request).runtime))


def admin_response(request: Request, who: SignedIn, doctor: DoctorReport) -> Response:
    console = console_of(request)
    loaded = console.runtime.playbook
    return console.render(
        request,
        "admin.html",
        who,
        doctor=doctor,
        users=console.accounts.list(),
        playbook_version=loaded.version,
        playbook_path=loaded.path,
        counts={
            "people": len(loaded.playbook.people),
            "services": len(loaded.playbook.services),
            "escalation policies": len(loaded.playbook.escalation_policies),
            "schedules": len(loaded.playbook.on_call.schedules),
            "integrations": len(loaded.playbook.integrations),
        },
    )


@router.post("/admin/doctor", response_class=HTMLResponse)
async def run_live_checks(request: Request) -> Response:
    """The full doctor, live probes included (they may take a few seconds); shown once."""
    who = signed_in(request)
    await form_of(request, who)
    require_role(who, "admin")
    runtime = console_of(request).runtime
    found = await anyio.to_thread.run_sync(lambda: doctor_report(runtime, live=True))
    return admin_response(request, who, found)
