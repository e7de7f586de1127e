"""The runbook panel's actions on the incident page: start a workflow, answer its
current step, confirm a step's action, run a step's command.

The same `Runbooks` service and request models as `api/routes/runbooks.py` with the
signed-in user's `Principal`; plain form posts, answered with the incident page.
Running a command needs the responder's explicit confirmation (a checkbox) here, as
the API needs ``confirm: true``, and the server's allow-list besides.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from firebell.api.routes.runbooks import ActIn, AnswerIn, RunCommandIn, StartIn
from firebell.auth.principal import Principal
from firebell.errors import Invalid
from firebell.web.console import console_of, form_of, require_role, signed_in, validated
from firebell.web.views.incidents import run_action

router = APIRouter(prefix="/console", include_in_schema=False)
ANCHOR = "runbook"


@router.post("/incidents/{number}/runbooks", response_model=None)
async def start(number: int, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runbooks = console_of(request).runtime.runbooks

    def work(actor: Principal) -> None:
        body = validated(StartIn, {"workflow": form.get("workflow", "")})
        runbooks.start(number, body.workflow, actor)

    return await run_action(request, who, number, "runbook", form, work, ANCHOR)


@router.post("/incidents/{number}/runbooks/{run}/answer", response_model=None)
async def answer(number: int, run: int, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runbooks = console_of(request).runtime.runbooks

    def work(actor: Principal) -> None:
        body = validated(
            AnswerIn, {"step": form.get("step", ""), "answer": form.get("answer") or None}
        )
        runbooks.answer(number, run, body.step, body.answer, actor)

    return await run_action(request, who, number, "runbook", form, work, ANCHOR)


@router.post("/incidents/{number}/runbooks/{run}/actions", response_model=None)
async def act(number: int, run: int, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runbooks = console_of(request).runtime.runbooks

    def work(actor: Principal) -> None:
        body = validated(ActIn, {"step": form.get("step", ""), "index": form.get("index")})
        runbooks.act(number, run, body.step, body.index, actor)

    return await run_action(request, who, number, "runbook", form, work, ANCHOR)


@router.post("/incidents/{number}/runbooks/{run}/command", response_model=None)
async def run_command(number: int, run: int, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runbooks = console_of(request).runtime.runbooks

    def work(actor: Principal) -> None:
        body = validated(
            RunCommandIn, {"step": form.get("step", ""), "confirm": form.get("confirm") == "yes"}
        )
        if not body.confirm:
            raise Invalid.field("confirm", "tick the box to confirm that the command should run")
        runbooks.run_command(number, run, body.step, actor)

    return await run_action(request, who, number, "runbook", form, work, ANCHOR)
