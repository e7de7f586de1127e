"""Silences and maintenance: the silences in force or to come (maintenance windows' own
silences among them), create one, end one. The same service and roles as the API."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from firebell.api.routes.silences import SilenceIn
from firebell.errors import DomainError
from firebell.intake.silences import NewSilence, Silences
from firebell.web.console import (
    console_of,
    errors_of,
    form_of,
    principal_of,
    redirect,
    require_role,
    signed_in,
    validated,
)
from firebell.web.form_values import utc_time
from firebell.web.sessions import SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)
HOME = "/console/silences"


def _service(request: Request) -> Silences:
    runtime = console_of(request).runtime
    return Silences(runtime.sessions, runtime.clock, lambda: runtime.playbook.playbook)


def _page(
    request: Request,
    who: SignedIn,
    status: int = 200,
    errors: Mapping[str, str] | None = None,
    values: Mapping[str, str] | None = None,
) -> Response:
    console = console_of(request)
    pb = console.runtime.playbook.playbook
    return console.render(
        request,
        "silences.html",
        who,
        status,
        silences=_service(request).current(),
        services=pb.services,
        can_act=principal_of(who).has("responder"),
        errors=errors or {},
        values=values or {},
    )


@router.get("/silences", response_class=HTMLResponse)
def silences_page(request: Request) -> Response:
    return _page(request, signed_in(request))


@router.post("/silences", response_model=None)
async def create(request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    service = _service(request)
    matchers = []
    if form.get("field", "").strip():
        matchers.append(
            {
                "field": form["field"].strip(),
                "op": form.get("op", "="),
                "value": form.get("value", ""),
            }
        )
    data: dict[str, Any] = {
        "service": form.get("service") or None,
        "matchers": matchers,
        "starts_at": utc_time(form.get("starts_at")),
        "ends_at": utc_time(form.get("ends_at")),
        "comment": form.get("comment", "").strip(),
    }
    try:
        body = validated(SilenceIn, data)
        new = NewSilence(
            ends_at=body.ends_at,
            comment=body.comment,
            service=body.service,
            matchers=[(m.field, m.op, m.value) for m in body.matchers],
            starts_at=body.starts_at,
        )
        await anyio.to_thread.run_sync(lambda: service.create(new, principal_of(who)))
    except DomainError as exc:
        return _page(request, who, exc.status, errors_of(exc), form)
    return redirect(HOME)


@router.post("/silences/{silence_id}/expire", response_model=None)
async def expire(silence_id: int, request: Request) -> Response:
    who = signed_in(request)
    await form_of(request, who)
    require_role(who, "responder")
    service = _service(request)
    try:
        await anyio.to_thread.run_sync(lambda: service.expire(silence_id))
    except DomainError as exc:
        return _page(request, who, exc.status, errors_of(exc))
    return redirect(HOME)
