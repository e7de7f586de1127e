"""Drills over HTTP: start one from a playbook scenario, the history, a report."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Query, Request, status
from fastapi.responses import HTMLResponse, PlainTextResponse
from pydantic import Field

from firebell.api.schemas import Body
from firebell.api.security import Responder, Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.workflows.drill_report import render_html
from firebell.workflows.drill_schedule import UpcomingDrill, reminders_of
from firebell.workflows.drill_schedule import zone_of as drill_schedule_zone
from firebell.workflows.drill_service import MAX_SCHEDULE_DAYS
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
        "schedule": pb.drills.schedule.notes,
    }


def upcoming_json(drill: UpcomingDrill, reminders: list[str]) -> dict[str, Any]:
    return {
        "plan": drill.plan,
        "scenario": drill.scenario,
        "scenario_name": drill.scenario_name,
        "severity": drill.severity,
        "starts_at": drill.starts_at.isoformat(),
        "local": drill.local.isoformat(),
        "timezone": drill.timezone,
        "duration_minutes": int(drill.duration.total_seconds() // 60),
        "organisers": list(drill.organisers),
        "participants": list(drill.participants),
        "command": drill.command,
        "reminders": reminders,
    }


@router.get("/schedule")
def schedule(
    request: Request,
    days: int = Query(366, ge=1, le=MAX_SCHEDULE_DAYS, description="How far ahead to look."),
    actor: Principal = Viewer,
) -> dict[str, Any]:
    """The planned drills of the playbook's programme in the next `days` days, with when
    their organisers are reminded."""
    runtime = runtime_of(request)
    pb = runtime.playbook.playbook
    drills = runtime.drills.schedule(days)
    return {
        "timezone": str(drill_schedule_zone(pb)),
        "reminders": [str(r) for r in pb.drills.schedule.reminders],
        "drills": [
            upcoming_json(d, [r.due_at.isoformat() for r in reminders_of(pb, d)]) for d in drills
        ],
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
    number: int,
    request: Request,
    format: Literal["json", "markdown", "html"] = "json",
    actor: Principal = Viewer,
) -> dict[str, Any] | PlainTextResponse | HTMLResponse:
    """A drill's score: JSON, Markdown, or a self-contained HTML page."""
    runtime = runtime_of(request)
    if format == "html":
        detail = runtime.drills.report_detail(number, actor)
        return HTMLResponse(render_html(detail, runtime.clock.now()))
    score = runtime.drills.report(number, actor)
    if format == "markdown":
        return PlainTextResponse(
            report_markdown(score, runtime.playbook.playbook), media_type="text/markdown"
        )
    return score_json(score)
