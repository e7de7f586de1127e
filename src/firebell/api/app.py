"""The HTTP application: API, web root and error handling around one Runtime."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response

from firebell import __version__
from firebell.api import problems
from firebell.api.routes import chat, command, comms, incidents, intake, oncall, system
from firebell.runtime import Runtime
from firebell.web import index

MAX_BODY_BYTES = 1024 * 1024


def create_app(runtime: Runtime) -> FastAPI:
    app = FastAPI(
        title="firebell",
        version=__version__,
        description="Self-hosted incident response driven by a playbook kept as code.",
    )
    app.state.runtime = runtime
    problems.install(app)

    @app.middleware("http")
    async def limit_body(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # Refuse an oversized body before reading it (intake routes also check as they read).
        length = request.headers.get("content-length")
        if length is not None and length.isdigit() and int(length) > MAX_BODY_BYTES:
            return problems.problem(
                413,
                "Payload too large",
                f"the body is {length} bytes; the limit is {MAX_BODY_BYTES} bytes",
            )
        return await call_next(request)

    app.include_router(system.router)
    app.include_router(incidents.router)
    app.include_router(intake.router)
    app.include_router(oncall.router)
    app.include_router(comms.router)
    app.include_router(command.router)
    app.include_router(chat.router)
    app.include_router(index.router)
    return app
