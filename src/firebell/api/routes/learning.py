"""Learning over HTTP: metrics, post-mortems (read, edit, review, meeting, export),
action items and the monthly review."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Query, Request, Response, status
from pydantic import AwareDatetime, Field

from firebell.api.schemas import Body
from firebell.api.security import Responder, Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.errors import Invalid
from firebell.postmortems.actions import ItemEdit, ItemFilter, NewItem, item_json
from firebell.postmortems.export import html_document, pdf_document, postmortem_markdown
from firebell.postmortems.models import Postmortem
from firebell.postmortems.service import Edit
from firebell.reports.documents import monthly_documents
from firebell.reports.serialize import metrics_json
from firebell.store.models import Incident

router = APIRouter(tags=["learning"])
Severity = Literal["P0", "P1", "P2", "P3"]
Format = Literal["md", "html", "pdf"]
MEDIA = {
    "md": "text/markdown; charset=utf-8",
    "html": "text/html; charset=utf-8",
    "pdf": "application/pdf",
}


def _aware(name: str, value: datetime) -> datetime:
    if value.tzinfo is None:
        raise Invalid.field(name, "give a time zone, e.g. 2026-11-01T00:00:00Z")
    return value


# --- metrics ------------------------------------------------------------------------------


@router.get("/api/v1/metrics")
def metrics(
    request: Request,
    since: datetime = Query(description="incidents declared at or after"),
    until: datetime = Query(description="incidents declared before"),
    severity: Severity | None = None,
    service: str | None = Query(default=None, max_length=64),
    actor: Principal = Viewer,
) -> dict[str, Any]:
    """MTTA, MTTR, MTTD (mean, median, p90, p95, Kaplan-Meier median with censored
    counts), SLA compliance, repeats, post-mortem and action-item rates, on-call load.
    Durations are in seconds; drills are excluded."""
    result = runtime_of(request).reports.metrics(
        _aware("since", since), _aware("until", until), actor, severity, service
    )
    return metrics_json(result)


# --- post-mortems -------------------------------------------------------------------------


class PostmortemIn(Body):
    body: str | None = Field(default=None, max_length=200_000)
    state: Literal["draft", "in_review", "published"] | None = None
    author: str | None = Field(default=None, min_length=1, max_length=200)
    public_summary: str | None = Field(default=None, max_length=20_000)
    revision: int | None = Field(default=None, ge=1, description="the revision you edited")


class SignoffIn(Body):
    reviewer: str = Field(min_length=1, max_length=200, description="a reviewer role")


class MeetingIn(Body):
    at: AwareDatetime | None = Field(default=None, description="default: proposed by firebell")
    invitees: list[str] | None = Field(default=None, max_length=100)


class MeetingNotesIn(Body):
    attended: list[str] = Field(max_length=100)
    notes: str = Field(max_length=50_000)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _postmortem(pm: Postmortem) -> dict[str, Any]:
    return {
        "incident_id": pm.incident_id,
        "state": pm.state,
        "author": pm.author,
        "body": pm.body,
        "public_summary": pm.public_summary,
        "reviewers": pm.reviewers,
        "signoffs": pm.signoffs,
        "missing_signoffs": [r for r in pm.reviewers if r not in pm.signoffs],
        "revision": pm.revision,
        "due_at": _iso(pm.due_at),
        "created_at": _iso(pm.created_at),
        "updated_at": _iso(pm.updated_at),
        "published_at": _iso(pm.published_at),
        "meeting": {
            "at": _iso(pm.meeting_at),
            "minutes": pm.meeting_minutes,
            "invitees": pm.meeting_invitees,
            "attended": pm.meeting_attended,
            "notes": pm.meeting_notes,
        },
    }


PM = "/api/v1/incidents/{number}/postmortem"


@router.get(PM)
def get_postmortem(number: int, request: Request, actor: Principal = Viewer) -> dict[str, Any]:
    _incident, pm = runtime_of(request).postmortems.get(number, actor)
    return _postmortem(pm)


@router.post(PM, status_code=status.HTTP_201_CREATED)
def create_postmortem(
    number: int, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    """Start a post-mortem on demand (resolving a P0/P1 starts one by itself)."""
    return _postmortem(runtime_of(request).postmortems.create(number, actor))


@router.put(PM)
def edit_postmortem(
    number: int, body: PostmortemIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    """Change the text, author, public summary or state (draft, in_review, published)."""
    edit = Edit(**body.model_dump())
    return _postmortem(runtime_of(request).postmortems.update(number, edit, actor))


@router.post(PM + "/signoffs")
def sign_off(
    number: int, body: SignoffIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    return _postmortem(runtime_of(request).postmortems.sign_off(number, body.reviewer, actor))


@router.post(PM + "/meeting")
def schedule_meeting(
    number: int, body: MeetingIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    """Schedule the review meeting (3-5 days after resolution) and e-mail the
    invitation with an iCalendar attachment to the participants."""
    pm = runtime_of(request).postmortems.schedule_meeting(number, actor, body.at, body.invitees)
    return _postmortem(pm)


@router.put(PM + "/meeting")
def meeting_notes(
    number: int, body: MeetingNotesIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    pm = runtime_of(request).postmortems.record_meeting(number, body.attended, body.notes, actor)
    return _postmortem(pm)


def export_postmortem(
    runtime_request: Request, number: int, fmt: Format, actor: Principal
) -> tuple[Incident, bytes]:
    runtime = runtime_of(runtime_request)
    incident, pm = runtime.postmortems.get(number, actor)
    items = runtime.action_items.list(ItemFilter(incident=number), actor)
    markdown = postmortem_markdown(incident, pm, items)
    if fmt == "md":
        return incident, markdown.encode()
    html = html_document(f"Post-mortem #{number}: {incident.title}", markdown, runtime.clock.now())
    return incident, (html.encode() if fmt == "html" else pdf_document(html))


@router.get(PM + "/export", response_class=Response)
def export(
    number: int, request: Request, format: Format = "md", actor: Principal = Viewer
) -> Response:
    """The post-mortem as Markdown, HTML or PDF (with action items and sign-offs)."""
    _incident, data = export_postmortem(request, number, format, actor)
    return Response(
        data,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'inline; filename="postmortem-{number}.{format}"'},
    )


# --- action items -------------------------------------------------------------------------


class ActionItemIn(Body):
    category: Literal["prevent", "detect", "respond"]
    title: str = Field(min_length=1, max_length=500)
    owner: str = Field(min_length=1, max_length=200)
    due_at: AwareDatetime | None = None
    priority: Severity = "P2"
    team: str | None = Field(default=None, max_length=64)
    links: list[str] = Field(default=[], max_length=20)


class ActionItemPatch(Body):
    title: str | None = Field(default=None, min_length=1, max_length=500)
    owner: str | None = Field(default=None, min_length=1, max_length=200)
    team: str | None = Field(default=None, max_length=64)
    due_at: AwareDatetime | None = None
    priority: Severity | None = None
    status: Literal["open", "in_progress", "done", "cancelled"] | None = None
    links: list[str] | None = Field(default=None, max_length=20)


@router.post("/api/v1/incidents/{number}/action-items", status_code=status.HTTP_201_CREATED)
def add_action_item(
    number: int, body: ActionItemIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    item = NewItem(**body.model_dump())
    return item_json(runtime_of(request).action_items.add(number, item, actor))


@router.get("/api/v1/incidents/{number}/action-items")
def incident_action_items(
    number: int, request: Request, actor: Principal = Viewer
) -> dict[str, Any]:
    runtime = runtime_of(request)
    runtime.incidents.get(number, actor)
    rows = runtime.action_items.list(ItemFilter(incident=number), actor)
    return {"items": [item_json(r) for r in rows]}


@router.get("/api/v1/action-items")
def action_items(
    request: Request,
    owner: str | None = Query(default=None, max_length=200),
    team: str | None = Query(default=None, max_length=64),
    open_only: bool = False,
    actor: Principal = Viewer,
) -> dict[str, Any]:
    """Action items per person (`owner`) or per team, soonest due first."""
    rows = runtime_of(request).action_items.list(
        ItemFilter(owner=owner, team=team, open_only=open_only), actor
    )
    return {"items": [item_json(r) for r in rows]}


@router.patch("/api/v1/action-items/{item_id}")
def edit_action_item(
    item_id: int, body: ActionItemPatch, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    edit = ItemEdit(**body.model_dump(exclude_unset=True))
    return item_json(runtime_of(request).action_items.update(item_id, edit, actor))


# --- the monthly review -------------------------------------------------------------------


@router.get("/api/v1/reports/monthly", response_model=None)
def monthly_review(
    request: Request,
    month: str = Query(pattern=r"^\d{4}-\d{2}$", description="YYYY-MM"),
    format: Literal["json", "md", "html", "pdf"] = "json",
    actor: Principal = Viewer,
) -> dict[str, Any] | Response:
    """The monthly incident review. `json` carries the Markdown (charts linked as
    `charts/<name>.svg`), the self-contained HTML and each SVG chart."""
    runtime = runtime_of(request)
    documents = monthly_documents(runtime.reports.monthly(month, actor))
    if format == "json":
        return {
            "month": month,
            "markdown": documents.markdown,
            "html": documents.html,
            "charts": documents.svgs,
        }
    data = {
        "md": documents.markdown.encode(),
        "html": documents.html.encode(),
    }.get(format) or documents.pdf()
    return Response(
        data,
        media_type=MEDIA[format],
        headers={"Content-Disposition": f'inline; filename="review-{month}.{format}"'},
    )
