"""The status page, administered: components and incident overrides, maintenance windows,
subscribers (list, add, remove, CSV export and import), with a link to the public page.

Each action calls the same service as the API route beside it, with the same role:
overrides and maintenance need a responder, subscribers an admin (addresses are personal
data), and the snapshot is invalidated the way the API does it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from firebell.auth.principal import Principal
from firebell.errors import DomainError, Invalid
from firebell.statuspage import maintenance as maint
from firebell.statuspage.overview import overview
from firebell.statuspage.routes import ComponentIn, MaintenanceIn, SubscriberIn
from firebell.statuspage.rules import RANK, label
from firebell.statuspage.schema import ComponentStatus
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
HOME = "/console/status"
ANCHOR = {
    "component": "components",
    "maintenance": "maintenances",
    "subscriber": "subscribers",
    "import": "import",
}
CSV_MAX = 2_000_000  # bytes of an imported CSV
STATUSES: tuple[ComponentStatus, ...] = (  # the form's choices; the first is the default
    "degraded_performance",
    "partial_outage",
    "major_outage",
    "under_maintenance",
    "operational",
)
assert set(STATUSES) == set(RANK)


def back_to(value: str | None, default: str = HOME) -> str:
    """Where to go after a form: only a console path (never another site)."""
    value = value or ""
    ok = value.startswith("/console/") and not value.startswith("//") and "\\" not in value
    return value if ok else default


def _page(
    request: Request,
    who: SignedIn,
    status: int = 200,
    errors: Mapping[str, Mapping[str, str]] | None = None,
    values: Mapping[str, str] | None = None,
    chosen: tuple[str, ...] = (),
    imported: int | None = None,
) -> Response:
    console = console_of(request)
    runtime = console.runtime
    actor = principal_of(who)
    service = runtime.status_page
    pb = runtime.playbook.playbook
    view = overview(service, actor, runtime.incidents.visible_clause(actor))
    is_admin = actor.has("admin")
    subscribers = service.subscribers.list(include_gone=True) if is_admin else []
    counts = Counter(s.status for s in subscribers)
    return console.render(
        request,
        "status_admin.html",
        who,
        status,
        view=view,
        groups={g.id: g.name for g in pb.status_page.groups},
        maintenances=sorted(service.maintenances.list(), key=lambda m: m.starts_at, reverse=True),
        subscribers=subscribers,
        counts=counts,
        public_url=service.page_url(),
        statuses=STATUSES,
        label=label,
        can_act=actor.has("responder"),
        is_admin=is_admin,
        errors=errors or {},
        values=values or {},
        chosen=chosen,
        components=pb.status_page.components,
        imported=imported,
    )


@router.get("/status", response_class=HTMLResponse)
def status_admin_page(request: Request, imported: int | None = None) -> Response:
    return _page(request, signed_in(request), imported=imported)


async def _act(
    request: Request,
    who: SignedIn,
    form: Mapping[str, str],
    kind: str,
    work: Callable[[Principal], object],
    chosen: tuple[str, ...] = (),
) -> Response:
    try:
        await anyio.to_thread.run_sync(lambda: work(principal_of(who)))
    except DomainError as exc:
        after = back_to(form.get("next"))
        if after != HOME and kind == "component":  # came from the incident page
            return _refused_inline(request, who, exc)
        return _page(request, who, exc.status, {kind: errors_of(exc)}, form, chosen)
    return redirect(back_to(form.get("next"), f"{HOME}#{ANCHOR[kind]}"))


def _refused_inline(request: Request, who: SignedIn, exc: DomainError) -> Response:
    detail = "; ".join(f"{k}: {v}" if k else v for k, v in errors_of(exc).items())
    return console_of(request).render(
        request, "refused.html", who, exc.status, title="Status not set", detail=detail
    )


# --- components -----------------------------------------------------------------------


@router.post("/status/components", response_model=None)
async def set_component(request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    service = console_of(request).runtime.status_page
    number = form.get("incident", "").strip().lstrip("#")

    def work(actor: Principal) -> object:
        if not number.isdigit():
            raise Invalid.field("incident", "choose an open incident (a number)")
        body = validated(
            ComponentIn, {"component": form.get("component", ""), "status": form.get("status")}
        )
        return service.set_component(int(number), body.component, body.status, actor)

    return await _act(request, who, form, "component", work)


# --- maintenance ----------------------------------------------------------------------


@router.post("/status/maintenances", response_model=None)
async def schedule_maintenance(request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    service = console_of(request).runtime.status_page
    chosen = tuple(str(c) for c in (await request.form()).getlist("components"))
    data: dict[str, Any] = {
        "title": form.get("title", "").strip(),
        "components": list(chosen),
        "starts_at": utc_time(form.get("starts_at")),
        "ends_at": utc_time(form.get("ends_at")),
        "description": form.get("description", "").strip(),
    }
    for optional in ("impact", "reason"):
        if form.get(optional, "").strip():
            data[optional] = form[optional].strip()

    def work(actor: Principal) -> object:
        body = validated(MaintenanceIn, data)
        row = service.maintenances.schedule(maint.Request(**body.model_dump()), actor)
        service.snapshots.invalidate()
        return row

    return await _act(request, who, form, "maintenance", work, chosen)


@router.post("/status/maintenances/{maintenance_id}/{action}", response_model=None)
async def end_maintenance(maintenance_id: int, action: str, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "responder")
    service = console_of(request).runtime.status_page

    def work(actor: Principal) -> object:
        if action not in ("complete", "cancel"):
            raise Invalid.field("action", "complete or cancel")
        act = service.maintenances.complete if action == "complete" else service.maintenances.cancel
        row = act(maintenance_id, actor)
        service.snapshots.invalidate()
        return row

    return await _act(request, who, form, "maintenance", work)


# --- subscribers (admin) --------------------------------------------------------------


@router.post("/status/subscribers", response_model=None)
async def add_subscriber(request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "admin")
    service = console_of(request).runtime.status_page.subscribers
    chosen = tuple(str(c) for c in (await request.form()).getlist("components"))

    def work(_actor: Principal) -> object:
        body = validated(
            SubscriberIn,
            {
                "kind": form.get("kind", "email"),
                "address": form.get("address", "").strip(),
                "components": list(chosen),
            },
        )
        return service.add(body.kind, body.address, body.components)

    return await _act(request, who, form, "subscriber", work, chosen)


@router.post("/status/subscribers/{subscriber_id}/remove", response_model=None)
async def remove_subscriber(subscriber_id: int, request: Request) -> Response:
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "admin")
    service = console_of(request).runtime.status_page.subscribers
    return await _act(request, who, form, "subscriber", lambda _a: service.remove(subscriber_id))


@router.get("/status/subscribers.csv")
def export_subscribers(request: Request) -> Response:
    who = signed_in(request)
    require_role(who, "admin")
    data = console_of(request).runtime.status_page.subscribers.export_csv()
    return Response(
        data,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": 'attachment; filename="subscribers.csv"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/status/subscribers/import", response_model=None)
async def import_subscribers(request: Request) -> Response:
    """A CSV file (or pasted text) with a header: kind,address,components."""
    who = signed_in(request)
    form = await form_of(request, who)
    require_role(who, "admin")
    service = console_of(request).runtime.status_page.subscribers
    upload = (await request.form()).get("file")
    text = form.get("text", "")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(CSV_MAX + 1)
        text = raw.decode("utf-8-sig", errors="replace") if len(raw) <= CSV_MAX else ""
        if len(raw) > CSV_MAX:
            return _page(request, who, 413, {"import": {"file": f"at most {CSV_MAX} bytes"}}, form)

    if not text.strip():
        problem = {"import": {"file": "choose a CSV file or paste its text"}}
        return _page(request, who, 422, problem, form)
    try:
        count = await anyio.to_thread.run_sync(lambda: service.import_csv(text))
    except DomainError as exc:
        return _page(request, who, exc.status, {"import": errors_of(exc)}, form)
    return redirect(f"{HOME}?imported={count}#import")
