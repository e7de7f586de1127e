"""My profile: who I am in the playbook, how I am reached, my console sessions."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from firebell.auth.principal import ROLES
from firebell.errors import DomainError
from firebell.web.console import console_of, form_of, redirect, signed_in
from firebell.web.sessions import SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)


@router.get("/profile", response_class=HTMLResponse)
def profile_page(request: Request) -> Response:
    return render_profile(request, signed_in(request))


def render_profile(
    request: Request, who: SignedIn, status: int = 200, **extra: Any
) -> HTMLResponse:
    """The profile page; `extra` carries a new token (shown once) or form errors."""
    console = console_of(request)
    pb = console.runtime.playbook.playbook
    person = next((p for p in pb.people if p.id == who.user.person), None)
    rules = (person.notification_rules if person else []) or pb.on_call.default_notification_rules
    return console.render(
        request,
        "profile.html",
        who,
        person=person,
        rules=rules if person else [],
        sessions=console.sessions.list(who.user.id),
        tokens=console.tokens.list(who.user.id),
        roles=[r for r in ROLES if who.user.principal.has(r)],
        status=status,
        **({"errors": {}, "new_token": None, "token_form": {}} | extra),
    )


@router.post("/profile/sessions/{session_id}/revoke", response_model=None)
async def revoke_session(session_id: int, request: Request) -> Response:
    who = signed_in(request)
    await form_of(request, who)
    console = console_of(request)
    # Someone else's or unknown: nothing to end, and nothing to reveal.
    with suppress(DomainError):
        console.sessions.revoke(who.user.id, session_id)
    if session_id == who.session_id:
        return redirect("/console/sign-in")
    return redirect("/console/profile#sessions")
