"""Communications: incident facts, template previews, sending to audiences, disclosure
approvals for security incidents, and the incident's public (status page) updates."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Request, status
from pydantic import AfterValidator, Field
from sqlalchemy import select

from firebell.api.schemas import Body
from firebell.api.security import Admin, Responder, Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.comms.context import RESERVED
from firebell.comms.service import Rendered
from firebell.store.db import reading
from firebell.store.models import PublicUpdate

router = APIRouter(prefix="/api/v1/incidents", tags=["communications"])


def _json_safe(value: Any) -> Any:
    """Template values are stored as JSON: no NaN/infinity, no reserved names."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("NaN and infinite numbers are not allowed")
    if isinstance(value, dict):
        for item in value.values():
            _json_safe(item)
    elif isinstance(value, list):
        for item in value:
            _json_safe(item)
    return value


def _template_values(values: dict[str, Any]) -> dict[str, Any]:
    reserved = sorted(set(values) & RESERVED)
    if reserved:
        raise ValueError(f"{', '.join(reserved)} are set by firebell and cannot be given")
    return _json_safe(values)  # type: ignore[no-any-return]


TemplateValues = Annotated[dict[str, Any], AfterValidator(_template_values)]


class FactsIn(Body):
    facts: TemplateValues = Field(
        description="Values for templates: impact, summary, actions, root_cause, eta, ... "
        "(null removes one)"
    )


class PreviewIn(Body):
    template: str = Field(min_length=1, max_length=64)
    variant: str | None = Field(default=None, max_length=64)
    fields: TemplateValues = {}


class NotifyIn(Body):
    template: str = Field(min_length=1, max_length=64)
    audience: str = Field(default="all", max_length=64)
    fields: TemplateValues = {}


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
        "missing": r.missing,
        "blocking": r.blocking,
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
    with reading(runtime.sessions) as session:
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
