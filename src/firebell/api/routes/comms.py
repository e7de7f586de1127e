"""Communications: incident facts, template previews, sending to audiences, disclosure
approvals for security incidents, and the incident's public (status page) updates."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, status
from pydantic import Field
from sqlalchemy import select

from firebell.api.schemas import Body
from firebell.api.security import Admin, Responder, Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.comms.service import Rendered
from firebell.store.models import PublicUpdate

router = APIRouter(prefix="/api/v1/incidents", tags=["communications"])


class FactsIn(Body):
    facts: dict[str, Any] = Field(
        description="Values for templates: impact, summary, actions, root_cause, eta, ... "
        "(null removes one)"
    )


class PreviewIn(Body):
    template: str = Field(min_length=1, max_length=64)
    variant: str | None = Field(default=None, max_length=64)
    fields: dict[str, Any] = {}


class NotifyIn(Body):
    template: str = Field(min_length=1, max_length=64)
    audience: str = Field(default="all", max_length=64)
    fields: dict[str, Any] = {}


class DisclosureIn(Body):
    audience: str = Field(min_length=1, max_length=64)
    reason: str = Field(min_length=1, max_length=2000)


def _rendered(r: Rendered) -> dict[str, Any]:
    return {
        "template": r.family,
        "variant": r.variant,
        "channel": r.channel,
        "subject": r.subject,
        "title": r.title,
        "body": r.body,
        "confidential": r.confidential,
        "external": r.external,
        "problems": r.problems,
    }


@router.post("/{number}/facts")
def set_facts(
    number: int, body: FactsIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    incident = runtime_of(request).comms.set_facts(number, body.facts, actor)
    return {"incident_id": number, "facts": incident.facts}


@router.post("/{number}/comms/preview")
def preview(
    number: int, body: PreviewIn, request: Request, actor: Principal = Viewer
) -> dict[str, Any]:
    """Exactly what would be sent, without sending it."""
    rendered = runtime_of(request).comms.preview(
        number, body.template, body.variant, body.fields, actor
    )
    return {"incident_id": number, "rendered": [_rendered(r) for r in rendered]}


@router.post("/{number}/notify", status_code=status.HTTP_202_ACCEPTED)
def notify(
    number: int, body: NotifyIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    """Render a template for an audience ('all' = the severity's audiences) and queue it."""
    result = runtime_of(request).comms.notify(
        number, body.template, body.audience, body.fields, actor
    )
    return {
        "incident_id": number,
        "messages": result.messages,
        "public_updates": result.public_updates,
        "skipped": result.skipped,
        "rendered": [_rendered(r) for r in result.rendered],
    }


@router.post("/{number}/disclosures", status_code=status.HTTP_201_CREATED)
def approve_disclosure(
    number: int, body: DisclosureIn, request: Request, actor: Principal = Admin
) -> dict[str, Any]:
    """Record the approval a security incident needs before a broad or external send."""
    runtime_of(request).comms.approve_disclosure(number, body.audience, body.reason, actor)
    return {"incident_id": number, "audience": body.audience, "approved_by": actor.name}


@router.get("/{number}/public-updates")
def public_updates(number: int, request: Request, actor: Principal = Viewer) -> dict[str, Any]:
    runtime = runtime_of(request)
    runtime.incidents.get(number, actor)
    with runtime.sessions() as session:
        rows = session.scalars(
            select(PublicUpdate).where(PublicUpdate.incident_id == number).order_by(PublicUpdate.id)
        )
        return {
            "incident_id": number,
            "updates": [
                {
                    "id": u.id,
                    "status": u.status,
                    "impact": u.impact,
                    "title": u.title,
                    "body": u.body,
                    "created_at": u.created_at.isoformat(),
                }
                for u in rows
            ],
        }
