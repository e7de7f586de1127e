"""My profile: who I am in the playbook, how I am reached, my console sessions, and a
"send me a test page" button per contact method."""

from __future__ import annotations

from contextlib import suppress
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from firebell.auth.principal import ROLES
from firebell.channels.console import NOTE
from firebell.errors import DomainError
from firebell.paging.policy import CONTACT_METHODS, addresses_of
from firebell.setup import test_page
from firebell.web.console import (
    Refused,
    console_of,
    errors_of,
    form_of,
    redirect,
    signed_in,
)
from firebell.web.sessions import SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)
TEST_PAGE_LIMIT = (3, 3)  # per user: per minute, burst


def render_profile(
    request: Request, who: SignedIn, status: int = 200, **extra: Any
) -> HTMLResponse:
    """The profile page; `extra` carries a test page's outcome (`tested`), a new token
    (shown once) or form errors."""
    console = console_of(request)
    pb = console.runtime.playbook.playbook
    person = next((p for p in pb.people if p.id == who.user.person), None)
    rules = (person.notification_rules if person else []) or pb.on_call.default_notification_rules
    addresses = addresses_of(person) if person else {}
    methods = [
        (m, addresses.get(m), m in console.runtime.channels)
        for m in CONTACT_METHODS
        if person is not None
    ]
    return console.render(
        request,
        "profile.html",
        who,
        status,
        person=person,
        rules=rules if person else [],
        sessions=console.sessions.list(who.user.id),
        methods=methods,
        console_note=NOTE,
        tokens=console.tokens.list(who.user.id),
        roles=[r for r in ROLES if who.user.principal.has(r)],
        **({"errors": {}, "new_token": None, "token_form": {}, "tested": None} | extra),
    )


@router.get("/profile", response_class=HTMLResponse)
def profile_page(request: Request, test: int = 0) -> Response:
    who = signed_in(request)
    tested = None
    if test and who.user.person:
        runtime = console_of(request).runtime
        tested = test_page.wait_for_outcome(runtime, test, who.user.person, timeout=0)
    return render_profile(request, who, tested=tested)


@router.post("/profile/test-page", response_model=None)
async def send_test_page(request: Request) -> Response:
    """A real test page through the outbox to one of my contact methods; the result is
    shown on My profile (sent, failed with the reason, or queued)."""
    who = signed_in(request)
    form = await form_of(request, who)
    console = console_of(request)
    if not who.user.person:
        return render_profile(
            request, who, 422, errors={"method": "not linked to a playbook person"}
        )
    wait = console.test_limits.take(f"test-page:{who.user.id}", *TEST_PAGE_LIMIT)
    if wait > 0:
        raise Refused(
            429,
            "Too many test pages",
            f"You can send {TEST_PAGE_LIMIT[0]} test pages a minute; try again in "
            f"{int(wait) + 1} s.",
        )
    runtime = console.runtime
    person, method = who.user.person, form.get("method", "")
    try:
        message_id = await anyio.to_thread.run_sync(
            lambda: test_page.send_one(runtime, person, method)
        )
    except DomainError as exc:
        return render_profile(request, who, exc.status, errors=errors_of(exc))
    await anyio.to_thread.run_sync(lambda: test_page.wait_for_outcome(runtime, message_id, person))
    return redirect(f"/console/profile?test={message_id}#test-page")


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
