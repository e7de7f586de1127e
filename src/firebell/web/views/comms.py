"""An incident's communications: preview any template, send it to an audience."""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from firebell.comms.service import Rendered
from firebell.errors import DomainError
from firebell.web.console import (
    console_of,
    errors_of,
    form_of,
    principal_of,
    redirect,
    require_role,
    signed_in,
)
from firebell.web.sessions import SignedIn

router = APIRouter(prefix="/console", include_in_schema=False)
FACTS = (
    "summary",
    "impact",
    "actions",
    "eta",
    "root_cause",
    "workaround",
)  # what templates ask for


def more_facts(text: str) -> dict[str, str]:
    """'name: value' lines (blank and malformed lines skipped)."""
    found = {}
    for row in text.splitlines()[:50]:
        name, sep, value = row.partition(":")
        if sep and name.strip() and value.strip():
            found[name.strip()[:64]] = value.strip()[:2000]
    return found


def _page(
    request: Request,
    who: SignedIn,
    number: int,
    template: str,
    audience: str,
    status: int = 200,
    errors: dict[str, str] | None = None,
) -> Response:
    console = console_of(request)
    runtime = console.runtime
    actor = principal_of(who)
    errors = dict(errors or {})
    try:
        incident = runtime.incidents.get(number, actor)
    except DomainError as exc:
        return console.render(
            request, "refused.html", who, 404, title="No such incident", detail=exc.detail
        )
    pb = runtime.playbook.playbook
    families = {
        fid: fam
        for fid, fam in pb.communications.templates.items()
        if not fam.applies_to or incident.severity in fam.applies_to
    }
    template = template if template in families else next(iter(families), "")
    rendered: list[Rendered] = []
    if template:
        try:
            rendered = runtime.comms.preview(number, template, None, {}, actor)
        except DomainError as exc:
            errors.update(errors_of(exc))
    return console.render(
        request,
        "comms.html",
        who,
        status,
        i=incident,
        families=families,
        chosen=template,
        audiences=pb.communications.audiences,
        audience=audience,
        rendered=rendered,
        errors=errors,
        facts=FACTS,
        can_act=actor.has("responder"),
    )


@router.get("/incidents/{number}/comms", response_class=HTMLResponse)
def comms_page(
    number: int, request: Request, template: str = "", audience: str = "all"
) -> Response:
    return _page(request, signed_in(request), number, template, audience)


@router.post("/incidents/{number}/comms", response_model=None)
async def send(number: int, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runtime = console_of(request).runtime
    template, audience = form.get("template", ""), form.get("audience", "all")
    try:
        await anyio.to_thread.run_sync(
            lambda: runtime.comms.notify(number, template, audience, {}, principal_of(who))
        )
    except DomainError as exc:
        return _page(request, who, number, template, audience, exc.status, errors_of(exc))
    return redirect(f"/console/incidents/{number}#timeline")


@router.post("/incidents/{number}/facts", response_model=None)
async def set_facts(number: int, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    runtime = console_of(request).runtime
    facts = {k: v.strip()[:2000] for k in FACTS if (v := form.get(k, "")).strip()}
    facts.update(more_facts(form.get("more", "")))
    template = form.get("template", "")
    try:
        await anyio.to_thread.run_sync(
            lambda: runtime.comms.set_facts(number, facts, principal_of(who))
        )
    except DomainError as exc:
        return _page(request, who, number, template, "all", exc.status, errors_of(exc))
    return redirect(f"/console/incidents/{number}/comms?template={template}")
