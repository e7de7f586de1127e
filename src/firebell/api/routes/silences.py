"""Silences and maintenance windows: matching alerts are recorded but page nobody."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from fastapi import APIRouter, Request, Response, status
from pydantic import AwareDatetime, Field, model_validator
from sqlalchemy import select

from firebell.api.schemas import Body
from firebell.api.security import Responder, Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.errors import Invalid, NotFound
from firebell.intake.routing import Matcher
from firebell.store.db import reading, transaction
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


@router.post("", status_code=status.HTTP_201_CREATED)
def create(body: SilenceIn, request: Request, actor: Principal = Responder) -> dict[str, Any]:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    starts = body.starts_at or now
    if body.ends_at <= starts:
        raise Invalid.field("ends_at", "must be after starts_at")
    if body.service is not None and runtime.playbook.playbook.service(body.service) is None:
        raise Invalid.field("service", f"unknown service '{body.service}'")
    for i, m in enumerate(body.matchers):
        try:
            Matcher(m.field, m.op, m.value)
        except ValueError as exc:
            raise Invalid.field(f"matchers[{i}]", str(exc)) from None
    with transaction(runtime.sessions) as session:
        row = Silence(
            kind=body.kind,
            service=body.service,
            matchers={"all": [m.model_dump() for m in body.matchers]},
            starts_at=starts,
            ends_at=body.ends_at,
            comment=body.comment,
            created_by=actor.name,
            created_at=now,
        )
        session.add(row)
        session.flush()
        return _out(row, now)


@router.get("")
def list_silences(request: Request, _actor: Principal = Viewer) -> dict[str, Any]:
    runtime = runtime_of(request)
    now = runtime.clock.now()
    with reading(runtime.sessions) as session:
        rows = session.scalars(
            select(Silence).where(Silence.ends_at > now).order_by(Silence.starts_at)
        )
        return {"silences": [_out(r, now) for r in rows]}


@router.delete("/{silence_id}", status_code=204)
def expire(silence_id: int, request: Request, _actor: Principal = Responder) -> Response:
    """End a silence now (it stays in history)."""
    runtime = runtime_of(request)
    with transaction(runtime.sessions) as session:
        row = session.get(Silence, silence_id)
        if row is None:
            raise NotFound(f"no silence #{silence_id}")
        row.ends_at = min(row.ends_at, runtime.clock.now())
    return Response(status_code=204)
