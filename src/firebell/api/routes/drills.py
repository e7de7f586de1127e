"""Drills over HTTP: start one from a playbook scenario, the history, a report."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from fastapi.responses import PlainTextResponse
from pydantic import Field

from firebell.api.schemas import Body
from firebell.api.security import Responder, Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.workflows.drills import DrillScore, report_markdown

router = APIRouter(prefix="/api/v1/drills", tags=["drills"])


class DrillIn(Body):
    scenario: str = Field(min_length=1, max_length=64)
    participants: list[str] = Field(min_length=1, max_length=50)


def score_json(score: DrillScore) -> dict[str, Any]:
    return {
        "incident_id": score.incident,
        "scenario": score.scenario,
        "severity": score.severity,
        "participants": list(score.participants),
        "declared_at": score.declared_at.isoformat(),
        "met": score.met,
        "scored": score.scored,
        "measures": [
            {"name": m.name, "target": m.target, "actual": m.actual, "met": m.met}
            for m in score.measures
        ],
    }


@router.get("/scenarios")
def scenarios(request: Request, actor: Principal = Viewer) -> dict[str, Any]:
    pb = runtime_of(request).playbook.playbook
    return {
        "scenarios": [s.model_dump(mode="json") for s in pb.drills.scenarios],
        "schedule": pb.drills.schedule,
    }


@router.post("", status_code=status.HTTP_201_CREATED)
def start(body: DrillIn, request: Request, actor: Principal = Responder) -> dict[str, Any]:
    """Declare a drill: a real incident, flagged, that pages and tells only its participants."""
    incident = runtime_of(request).drills.start(body.scenario, body.participants, actor)
    return {
        "incident_id": incident.id,
        "title": incident.title,
        "severity": incident.severity,
        "participants": incident.drill_participants,
    }


@router.get("")
def history(request: Request, actor: Principal = Viewer) -> dict[str, Any]:
    return {"drills": [score_json(s) for s in runtime_of(request).drills.history(actor)]}


@router.get("/{number}/report", response_model=None)
def report(
    number: int, request: Request, format: str = "json", actor: Principal = Viewer
) -> dict[str, Any] | PlainTextResponse:
    runtime = runtime_of(request)
    score = runtime.drills.report(number, actor)
    if format == "markdown":
        return PlainTextResponse(
            report_markdown(score, runtime.playbook.playbook), media_type="text/markdown"
        )
    return score_json(score)
