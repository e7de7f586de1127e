"""Incident command on the incident page: assign and release roles, record decisions.

The same services and request models as `api/routes/command.py`, with the signed-in
user's `Principal`: a viewer is refused, a private incident stays invisible.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from firebell.api.routes.command import DecisionIn, RoleIn
from firebell.auth.principal import Principal
from firebell.command.decisions import options_from
from firebell.web.console import console_of, form_of, require_role, signed_in, validated
from firebell.web.views.incidents import run_action

router = APIRouter(prefix="/console", include_in_schema=False)


@router.post("/incidents/{number}/roles", response_model=None)
async def assign_role(number: int, request: Request) -> Response:
    return await _role_form(number, request, release=False)


@router.post("/incidents/{number}/roles/release", response_model=None)
async def release_role(number: int, request: Request) -> Response:
    return await _role_form(number, request, release=True)


async def _role_form(number: int, request: Request, release: bool) -> Response:
    """Assign or release a role from the side column's form (role and person)."""
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    command = console_of(request).runtime.command
    change = command.release_role if release else command.assign_role

    def work(actor: Principal) -> None:
        body = validated(RoleIn, {"role": form.get("role", ""), "person": form.get("person", "")})
        change(number, body.role, body.person, actor)

    return await run_action(request, who, number, "role", form, work, "roles")


@router.post("/incidents/{number}/decisions", response_model=None)
async def decide(number: int, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    command = console_of(request).runtime.command

    def work(actor: Principal) -> None:
        choice = form.get("choice", "").strip()
        body = validated(
            DecisionIn,
            {
                "options": options_from(choice, form.get("others", "")),
                "choice": choice,
                "made_by": form.get("made_by", "").strip() or None,
                "rationale": form.get("rationale", "").strip() or None,
            },
        )
        command.decide(number, body.options, body.choice, body.made_by, body.rationale, actor)

    return await run_action(request, who, number, "decision", form, work, "decisions")
