"""The console's routes, installed into the app with one call (`install`)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from firebell.web.console import HERE, Console, install_handlers, redirect, signed_in
from firebell.web.views import (
    auth,
    catalog,
    comms,
    drills,
    incidents,
    learning,
    live_list,
    metrics,
    oncall,
    pages,
    profile,
    runbooks,
    silences,
    sso,
    status_admin,
    tokens,
)
from firebell.web.views import command as command_views

router = APIRouter(prefix="/console", include_in_schema=False)
STATIC = {
    "console.css": "text/css; charset=utf-8",
    "console.js": "text/javascript; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
_cache: dict[str, bytes] = {}


@router.get("/static/{name}")
def static(name: str) -> Response:
    """Our own CSS and JS (a fixed list: no path from the request reaches the disk)."""
    kind = STATIC.get(name)
    if kind is None:
        return Response("not found", status_code=404, media_type="text/plain")
    if name not in _cache:
        _cache[name] = (HERE / "static" / name).read_bytes()
    return Response(
        _cache[name],
        media_type=kind,
        headers={"Cache-Control": "public, max-age=3600", "X-Content-Type-Options": "nosniff"},
    )


@router.get("/go")
def go(request: Request, number: str = "") -> Response:
    """The top bar's 'incident number' box."""
    signed_in(request)
    digits = number.strip().lstrip("#")
    return redirect(f"/console/incidents/{digits}" if digits.isdigit() else "/console/incidents")


@router.get("")
def console_root() -> Response:
    return redirect("/console/")


def install(app: FastAPI) -> None:
    app.state.console = Console.build(app.state.runtime)
    install_handlers(app)
    app.include_router(router)
    for module in (
        learning,  # before incidents: '/incidents/{n}/postmortem' is not an incident action
        metrics,
        status_admin,
        silences,
        auth,
        comms,
        command_views,
        runbooks,
        live_list,
        incidents,
        oncall,
        catalog,
        profile,
        drills,
        pages,
        sso,
        tokens,
    ):  # comms first: its paths are more specific
        app.include_router(module.router)
