"""What the playbook declares, for looking up: escalation policies, services, integrations,
and the admin page (users, the playbook in force)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from firebell.auth.principal import ROLES
from firebell.errors import DomainError
from firebell.intake import test_alert
from firebell.intake.errors import IntakeError
from firebell.intake.last_seen import last_events
from firebell.web.console import (
    Refused,
    console_of,
    form_of,
    redirect,
    require_role,
    signed_in,
)
from firebell.web.doctor_report import DoctorReport, doctor_report
from firebell.web.sessions import SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)
TEST_ALERT_LIMIT = (6, 3)  # per user: per minute, burst


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
def integrations_page(
    request: Request, tested: str = "", outcome: str = "", incident: int = 0
) -> Response:
    """Admins only: each URL carries the integration's secret key."""
    who = signed_in(request)
    require_role(who, "admin")
    result = TestedView(tested, outcome, incident or None) if tested else None
    return _integrations(request, who, result=result)


@dataclass(frozen=True)
class TestedView:
    """The last test alert's result, as the redirect after it carries it."""

    integration: str
    outcome: str  # opened, updated, silenced, dropped; or the reason it was refused
    incident: int | None
    failed: bool = False


def _integrations(
    request: Request, who: SignedIn, status: int = 200, result: TestedView | None = None
) -> Response:
    console = console_of(request)
    runtime = console.runtime
    base = str(request.base_url).rstrip("/")
    return console.render(
        request,
        "integrations.html",
        who,
        status,
        integrations=[(i.spec, i.url(base)) for i in runtime.integrations.all()],
        last=last_events(runtime.sessions),
        testable=test_alert.TESTABLE,
        tested=result,
    )


@router.post("/integrations/{integration_id}/test-alert", response_model=None)
async def send_test_alert(integration_id: str, request: Request) -> Response:
    """A test alert in this integration's format through the real intake path: it opens
    (or updates) a real incident titled "Test alert from the console"."""
    who = signed_in(request)
    await form_of(request, who)
    require_role(who, "admin")
    console = console_of(request)
    wait = console.test_limits.take(f"test-alert:{who.user.id}", *TEST_ALERT_LIMIT)
    if wait > 0:
        raise Refused(
            429,
            "Too many test alerts",
            f"You can send {TEST_ALERT_LIMIT[0]} test alerts a minute; try again in "
            f"{int(wait) + 1} s.",
        )
    try:
        result = await test_alert.send(console.runtime, integration_id)
    except (DomainError, IntakeError) as exc:
        reason = str(exc)
        view = TestedView(integration_id, reason, None, failed=True)
        return _integrations(request, who, 422, view)
    if result.incidents:
        outcome = "opened" if result.created else "updated"
    else:
        outcome = "silenced" if result.silenced else "dropped"
    number = f"&incident={result.incidents[0]}" if result.incidents else ""
    return redirect(
        f"/console/integrations?tested={quote(integration_id)}&outcome={outcome}{number}"
        f"#integration-{quote(integration_id)}"
    )


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request) -> Response:
    who = signed_in(request)
    require_role(who, "admin")
    return render_admin(request, who)


def render_admin(
    request: Request,
    who: SignedIn,
    status: int = 200,
    doctor: DoctorReport | None = None,
    **extra: Any,
) -> HTMLResponse:
    """The admin page; `extra` carries a one-time set-password link or form errors. The
    doctor's findings are the quick checks unless `doctor` brings the live ones."""
    console = console_of(request)
    loaded = console.runtime.playbook
    return console.render(
        request,
        "admin.html",
        who,
        status=status,
        doctor=doctor or doctor_report(console.runtime),
        users=console.accounts.list(),
        tokens=console.tokens.list(),
        people=loaded.playbook.people,
        roles=ROLES,
        **({"errors": {}, "link": None, "link_for": None, "user_form": {}} | extra),
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
    return render_admin(request, who, doctor=found)
