"""Silences and maintenance windows: matching alerts are recorded but page nobody."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import AwareDatetime, Field, model_validator

from firebell.api.schemas import Body
from firebell.api.security import Responder, Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.intake.silences import NewSilence, Silences
from firebell.store.models import Silence

router = APIRouter(prefix="/api/v1/silences", tags=["intake"])


class MatcherIn(Body):
    field: str = Field(min_length=1, max_length=200, description="labels.<name> or an event field")
    op: Literal["=", "!=", "=~", "!~"] = "="
    value: str = Field(max_length=1000)


class SilenceIn(Body):
    kind: Literal["silence", "maintenance"] = "silence"
    service: str | None = Field(default=None, max_length=64)
    matchers: list[MatcherIn] = Field(default=[], max_length=20)
    starts_at: AwareDatetime | None = None
    ends_at: AwareDatetime
    comment: str = Field(min_length=1, max_length=2000)

    @model_validator(mode="after")
    def _scoped(self) -> SilenceIn:
        if not self.matchers and self.service is None:
            raise ValueError("give matchers or a service: a silence of everything is refused")
        return self


def _out(row: Silence, now: datetime) -> dict[str, Any]:
    return {
        "id": row.id,
        "kind": row.kind,
        "service": row.service,
        "matchers": row.matchers.get("all", []),
        "starts_at": row.starts_at.isoformat(),
        "ends_at": row.ends_at.isoformat(),
        "comment": row.comment,
        "created_by": row.created_by,
        "active": row.starts_at <= now < row.ends_at,
    }


def _silences(request: Request) -> Silences:
    runtime = runtime_of(request)
    return Silences(runtime.sessions, runtime.clock, lambda: runtime.playbook.playbook)


@router.post("", status_code=status.HTTP_201_CREATED)
def create(body: SilenceIn, request: Request, actor: Principal = Responder) -> dict[str, Any]:
    service = _silences(request)
    new = NewSilence(
        ends_at=body.ends_at,
        comment=body.comment,
        kind=body.kind,
        service=body.service,
        matchers=[(m.field, m.op, m.value) for m in body.matchers],
        starts_at=body.starts_at,
    )
    return _out(service.create(new, actor), service.clock.now())


@router.get("")
def list_silences(request: Request, _actor: Principal = Viewer) -> dict[str, Any]:
    service = _silences(request)
    now = service.clock.now()
    return {"silences": [_out(r, now) for r in service.current()]}


@router.delete("/{silence_id}", status_code=204)
def expire(silence_id: int, request: Request, _actor: Principal = Responder) -> Response:
    """End a silence now (it stays in history)."""
    _silences(request).expire(silence_id)
    return Response(status_code=204)
