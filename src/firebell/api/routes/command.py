"""Incident command over HTTP: roles, tasks with confirmation, decisions, the war room."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, status
from pydantic import Field

from firebell.api.schemas import Body
from firebell.api.security import Responder, Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.errors import NotFound
from firebell.store.db import reading, transaction
from firebell.store.models import Incident, Task, WarRoom

router = APIRouter(prefix="/api/v1/incidents", tags=["incident command"])


class RoleIn(Body):
    role: str = Field(min_length=1, max_length=64, description="ic, tech_lead, comms_lead, ...")
    person: str = Field(min_length=1, max_length=200)


class TaskIn(Body):
    assignee: str = Field(min_length=1, max_length=200)
    text: str = Field(min_length=1, max_length=2000)


class TaskStepIn(Body):
    status: Literal["acknowledged", "done"]


class DecisionIn(Body):
    options: list[str] = Field(min_length=2, max_length=10)
    choice: str = Field(min_length=1, max_length=500)
    made_by: str | None = Field(default=None, max_length=200)
    rationale: str | None = Field(default=None, max_length=5000)


def _task(task: Task) -> dict[str, Any]:
    return {
        "id": task.id,
        "incident_id": task.incident_id,
        "assignee": task.assignee,
        "text": task.text,
        "status": task.status,
        "created_at": task.created_at.isoformat(),
        "created_by": task.created_by,
        "acknowledged_at": task.acknowledged_at.isoformat() if task.acknowledged_at else None,
        "done_at": task.done_at.isoformat() if task.done_at else None,
    }


@router.get("/{number}/roles")
def roles(number: int, request: Request, actor: Principal = Viewer) -> dict[str, Any]:
    """Who holds each role, the required roles still missing, and the hand-over history."""
    return runtime_of(request).command.roles(number, actor)


@router.post("/{number}/roles", status_code=status.HTTP_201_CREATED)
def assign_role(
    number: int, body: RoleIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    runtime = runtime_of(request)
    runtime.command.assign_role(number, body.role, body.person, actor)
    return runtime.command.roles(number, actor)


@router.delete("/{number}/roles/{role}/{person}")
def release_role(
    number: int, role: str, person: str, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    """Take a role back from a person (not the commander: assign another one instead)."""
    runtime = runtime_of(request)
    runtime.command.release_role(number, role, person, actor)
    return runtime.command.roles(number, actor)


@router.get("/{number}/tasks")
def tasks(
    number: int, request: Request, open_only: bool = False, actor: Principal = Viewer
) -> dict[str, Any]:
    rows = runtime_of(request).command.tasks(number, actor, open_only)
    return {"incident_id": number, "tasks": [_task(t) for t in rows]}


@router.post("/{number}/tasks", status_code=status.HTTP_201_CREATED)
def add_task(
    number: int, body: TaskIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    """'Person X, please do Y. Confirm?'"""
    return _task(runtime_of(request).command.add_task(number, body.assignee, body.text, actor))


@router.post("/{number}/tasks/{task_id}")
def move_task(
    number: int, task_id: int, body: TaskStepIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    return _task(runtime_of(request).command.move_task(number, task_id, body.status, actor))


@router.post("/{number}/decisions", status_code=status.HTTP_201_CREATED)
def decide(
    number: int, body: DecisionIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    """Record a decision: the options considered, the choice and who made it."""
    runtime_of(request).command.decide(
        number, body.options, body.choice, body.made_by, body.rationale, actor
    )
    return {"incident_id": number, "choice": body.choice}


@router.get("/{number}/war-room")
def war_room(number: int, request: Request, actor: Principal = Viewer) -> dict[str, Any]:
    runtime = runtime_of(request)
    runtime.incidents.get(number, actor)
    with reading(runtime.sessions) as session:
        row = session.get(WarRoom, number)
        if row is None:
            raise NotFound(f"incident #{number} has no war room")
        return {
            "incident_id": number,
            "state": row.state,
            "rule": row.rule,
            "channel": f"#{row.channel_name}",
            "channel_id": row.channel_id,
            "topic": row.topic,
            "bridge_url": row.bridge_url,
            "invitees": row.invitees.get("people", []),
            "last_error": row.last_error,
            "opened_at": row.opened_at.isoformat() if row.opened_at else None,
        }


@router.post("/{number}/war-room", status_code=status.HTTP_202_ACCEPTED)
def open_war_room(number: int, request: Request, actor: Principal = Responder) -> dict[str, Any]:
    """Open the war room now, whatever the activation rules say."""
    runtime = runtime_of(request)
    runtime.incidents.get(number, actor)
    now = runtime.clock.now()
    with transaction(runtime.sessions) as session:
        incident = session.get(Incident, number)
        assert incident is not None
        asked = runtime.war_rooms.request(session, incident, f"manual:{actor.name}", now)
    return {"incident_id": number, "requested": asked}
