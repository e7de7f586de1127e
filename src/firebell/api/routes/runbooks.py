"""Guided runbooks over HTTP: the playbook's workflows walked on an incident."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import Field

from firebell.api.schemas import Body
from firebell.api.security import Responder, Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.workflows.service import RunView

router = APIRouter(prefix="/api/v1/incidents", tags=["runbooks"])


class StartIn(Body):
    workflow: str = Field(min_length=1, max_length=64)


class AnswerIn(Body):
    step: str = Field(min_length=1, max_length=64, description="The step being answered")
    answer: str | None = Field(
        default=None, max_length=200, description="One of the step's choices (decision steps)"
    )


class ActIn(Body):
    step: str = Field(min_length=1, max_length=64)
    index: int = Field(ge=0, le=50, description="Which of the step's actions")


class RunCommandIn(Body):
    step: str = Field(min_length=1, max_length=64)
    confirm: bool = Field(description="Must be true: the responder confirms running it")


def run_json(view: RunView) -> dict[str, Any]:
    run, step = view.run, view.step
    return {
        "run": run.number,
        "workflow": run.workflow,
        "name": view.workflow.name,
        "started_at": run.started_at.isoformat(),
        "started_by": run.started_by,
        "finished": run.finished,
        "answers": [
            {"step": a.step, "answer": a.answer, "at": a.at.isoformat(), "by": a.actor}
            for a in run.answers
        ],
        "step": None
        if step is None
        else {
            "id": step.id,
            "text": step.text,
            "choices": list(step.choices),
            "terminal": step.terminal,
            "commands": list(step.commands),
            "actions": [
                {"index": i, "does": d, "done": i not in view.pending_actions}
                for i, d in enumerate(step.actions)
            ],
            "runnable": list(step.runnable) if step.runnable is not None else None,
            "problems": list(step.problems),
        },
    }


@router.get("/{number}/runbooks")
def runbooks(number: int, request: Request, actor: Principal = Viewer) -> dict[str, Any]:
    """The workflows that fit this incident, and its runs with their current steps."""
    runtime = runtime_of(request)
    views = runtime.runbooks.runs(number, actor)
    incident = runtime.incidents.get(number, actor)
    flows = runtime.runbooks.workflows_for(incident.severity)
    return {
        "incident_id": number,
        "workflows": [
            {"id": w.id, "name": w.name, "trigger": w.trigger, "severity": w.severity}
            for w in flows
        ],
        "runs": [run_json(v) for v in views],
    }


@router.post("/{number}/runbooks", status_code=status.HTTP_201_CREATED)
def start(
    number: int, body: StartIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    return run_json(runtime_of(request).runbooks.start(number, body.workflow, actor))


@router.post("/{number}/runbooks/{run}/answer")
def answer(
    number: int, run: int, body: AnswerIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    """Answer the run's current step; 409 if the run has moved on (someone else answered)."""
    return run_json(runtime_of(request).runbooks.answer(number, run, body.step, body.answer, actor))


@router.post("/{number}/runbooks/{run}/actions")
def act(
    number: int, run: int, body: ActIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    """Carry out one action the current step offers (raise severity, open the war room,
    page someone, send a message, create a task), once."""
    done = runtime_of(request).runbooks.act(number, run, body.step, body.index, actor)
    return {"incident_id": number, "run": run, "step": body.step, "did": done}


@router.post("/{number}/runbooks/{run}/command")
def run_command(
    number: int, run: int, body: RunCommandIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    """Run the current step's command, if the playbook has one and the server allows its
    program (FIREBELL_RUNBOOK_ALLOW); off by default."""
    from firebell.errors import Invalid

    if not body.confirm:
        raise Invalid.field("confirm", "confirm that the command should run")
    result = runtime_of(request).runbooks.run_command(number, run, body.step, actor)
    return {"incident_id": number, "run": run, "step": body.step, **result}
