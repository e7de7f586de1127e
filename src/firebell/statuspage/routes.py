"""HTTP: component overrides, maintenance and subscribers for the team (token), and the
public subscription forms (no sign-in, plain HTML forms, no JavaScript).

The public documents themselves (`/status`, `/api/v2/*.json`, feeds) are served from the
snapshot by `fast.PublicStatus` before routing."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Request, Response, status
from fastapi.responses import HTMLResponse
from pydantic import AwareDatetime, Field

from firebell.api.ratelimit import retry_after
from firebell.api.schemas import Body
from firebell.api.security import Admin, Responder, Viewer, runtime_of
from firebell.auth.principal import Principal
from firebell.errors import DomainError
from firebell.statuspage import maintenance as maint
from firebell.statuspage import subscribers as subs
from firebell.statuspage.html import _css, _env
from firebell.statuspage.schema import ComponentStatus
from firebell.statuspage.service import StatusPageService

router = APIRouter(tags=["status page"])
# The public forms (no token): also served by `python -m firebell.statuspage.public`.
public_router = APIRouter(include_in_schema=False)
SUBSCRIBE_PER_MINUTE = 10


def _service(request: Request) -> StatusPageService:
    return runtime_of(request).status_page


class ComponentIn(Body):
    component: str = Field(min_length=1, max_length=64)
    status: ComponentStatus


@router.post("/api/v1/incidents/{number}/components")
def set_component(
    number: int, body: ComponentIn, request: Request, actor: Principal = Responder
) -> dict[str, Any]:
    """Set or override a component's status for this incident (on its timeline)."""
    return _service(request).set_component(number, body.component, body.status, actor)


class MaintenanceIn(Body):
    title: str = Field(min_length=1, max_length=500)
    components: list[str] = Field(min_length=1, max_length=100)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    description: str = Field(default="", max_length=10_000)
    impact: str = Field(default="Services may be briefly unavailable.", max_length=2000)
    reason: str = Field(default="Planned maintenance.", max_length=2000)


@router.post("/api/v1/maintenances", status_code=status.HTTP_201_CREATED)
def schedule(body: MaintenanceIn, request: Request, actor: Principal = Responder) -> dict[str, Any]:
    service = _service(request)
    row = service.maintenances.schedule(maint.Request(**body.model_dump()), actor)
    service.snapshots.invalidate()
    return maint.describe(row)


@router.get("/api/v1/maintenances")
def list_maintenances(request: Request, _actor: Principal = Viewer) -> dict[str, Any]:
    return {"maintenances": [maint.describe(r) for r in _service(request).maintenances.list()]}


@router.post("/api/v1/maintenances/{maintenance_id}/{action}")
def end_maintenance(
    maintenance_id: int,
    action: Literal["complete", "cancel"],
    request: Request,
    actor: Principal = Responder,
) -> dict[str, Any]:
    service = _service(request)
    act = service.maintenances.complete if action == "complete" else service.maintenances.cancel
    row = act(maintenance_id, actor)
    service.snapshots.invalidate()
    return maint.describe(row)


class SubscriberIn(Body):
    kind: Literal["email", "webhook"] = "email"
    address: str = Field(min_length=3, max_length=1000)
    components: list[str] = Field(default=[], max_length=100)


@router.get("/api/v1/subscribers")
def list_subscribers(request: Request, _actor: Principal = Admin) -> dict[str, Any]:
    return {"subscribers": [subs.describe(r) for r in _service(request).subscribers.list()]}


@router.post("/api/v1/subscribers", status_code=status.HTTP_201_CREATED)
def add_subscriber(
    body: SubscriberIn, request: Request, _actor: Principal = Admin
) -> dict[str, Any]:
    service = _service(request).subscribers
    row = service.add(body.kind, body.address, body.components)
    out = subs.describe(row)
    if row.kind == "webhook":
        out["secret"] = service.webhook_secret(row.id)  # verifies X-Firebell-Signature
    return out


@router.delete("/api/v1/subscribers/{subscriber_id}", status_code=204)
def remove_subscriber(subscriber_id: int, request: Request, _actor: Principal = Admin) -> Response:
    _service(request).subscribers.remove(subscriber_id)
    return Response(status_code=204)


@router.get("/api/v1/subscribers.csv")
def export_subscribers(request: Request, _actor: Principal = Admin) -> Response:
    return Response(_service(request).subscribers.export_csv(), media_type="text/csv")


@router.post("/api/v1/subscribers/import")
async def import_subscribers(request: Request, _actor: Principal = Admin) -> dict[str, Any]:
    """Body: CSV with a header (kind,address,components; components space-separated)."""
    text = (await request.body()).decode("utf-8", errors="replace")
    return {"imported": _service(request).subscribers.import_csv(text)}


# --- public forms -----------------------------------------------------------------------


def _page(request: Request, heading: str, text: str, code: int = 200, **form: str) -> HTMLResponse:
    pb = runtime_of(request).playbook.playbook
    body = (
        _env()
        .get_template("message.html")
        .render(
            title=pb.status_page.title or pb.organization.name,
            css=_css(),
            heading=heading,
            text=text,
            action=form.get("action"),
            button=form.get("button"),
        )
    )
    return HTMLResponse(body, status_code=code, headers={"Cache-Control": "no-store"})


@public_router.post("/status/subscribe")
async def subscribe(request: Request) -> HTMLResponse:
    runtime = runtime_of(request)
    client = request.client.host if request.client else "?"
    wait = runtime.rate_limits.take(f"status-subscribe:{client}", SUBSCRIBE_PER_MINUTE, 5)
    if wait:
        response = _page(request, "Too many requests", "Please try again in a minute.", 429)
        response.headers["Retry-After"] = retry_after(wait)
        return response
    form = await request.form()
    email = str(form.get("email") or "")
    components = [str(c) for c in form.getlist("component")]
    try:
        runtime.status_page.subscribers.subscribe_email(email, components)
    except DomainError as exc:
        return _page(request, "Subscription not saved", exc.detail, 422)
    return _page(
        request,
        "Check your inbox",
        f"We sent a confirmation link to {email}. Nothing is sent until you follow it.",
    )


def _link_page(request: Request, purpose: str, subscriber_id: int, token: str) -> HTMLResponse:
    service = _service(request).subscribers
    if not service.check(purpose, subscriber_id, token):
        return _page(request, "Link not valid", "This link is not valid or has expired.", 404)
    wording = {
        "confirm": ("Confirm your subscription", "Confirm"),
        "unsubscribe": ("Unsubscribe", "Unsubscribe"),
    }[purpose]
    return _page(
        request,
        wording[0],
        "One more click:",
        action=f"/status/{purpose}/{subscriber_id}/{token}",
        button=wording[1],
    )


async def _link_done(
    request: Request, purpose: str, subscriber_id: int, token: str
) -> HTMLResponse:
    service = _service(request).subscribers
    act = service.confirm if purpose == "confirm" else service.unsubscribe
    try:
        act(subscriber_id, token)
    except DomainError as exc:
        return _page(request, "Link not valid", exc.detail, 404)
    if purpose == "confirm":
        return _page(request, "Subscribed", "You will receive status updates by e-mail.")
    return _page(request, "Unsubscribed", "You will receive no more status updates.")


@public_router.get("/status/{purpose}/{subscriber_id}/{token}")
def link_page(
    purpose: Literal["confirm", "unsubscribe"], subscriber_id: int, token: str, request: Request
) -> HTMLResponse:
    """A page with a button: mail scanners that open links must not (un)subscribe anyone."""
    return _link_page(request, purpose, subscriber_id, token)


@public_router.post("/status/{purpose}/{subscriber_id}/{token}")
async def link_done(
    purpose: Literal["confirm", "unsubscribe"], subscriber_id: int, token: str, request: Request
) -> HTMLResponse:
    """Also the RFC 8058 one-click unsubscribe target (List-Unsubscribe-Post)."""
    return await _link_done(request, purpose, subscriber_id, token)
