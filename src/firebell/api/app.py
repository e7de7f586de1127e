"""The HTTP application: API, web root and error handling around one Runtime."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI, Request
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from firebell import __version__
from firebell.api import edge, openapi_problems, problems
from firebell.api.routes import (
    alerts,
    chat,
    command,
    comms,
    docs,
    drills,
    incidents,
    intake,
    learning,
    metrics,
    oncall,
    runbooks,
    silences,
    system,
    tokens,
)
from firebell.api.slow_clients import BodyTimeout
from firebell.intake import jobs
from firebell.runtime import Runtime
from firebell.statuspage import routes as status_routes
from firebell.statuspage.fast import PublicStatus
from firebell.web import index
from firebell.web import routes as console

MAX_BODY_BYTES = 1024 * 1024


class _BodyTooLarge(HTTPException):
    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is larger than the limit of {limit} bytes")


class BodyLimit:
    """Refuse a body over the limit: at once when its declared length says so, else as
    soon as the bytes that arrive (chunked uploads) pass it. Plain ASGI (not
    BaseHTTPMiddleware): it costs nothing on the intake hot path."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                await self._refuse(send, f"the body is {int(value)} bytes")
                return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    raise _BodyTooLarge(self.limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except _BodyTooLarge:
            if not started:
                await self._refuse(send, f"more than {self.limit} bytes arrived")

    async def _refuse(self, send: Send, what: str) -> None:
        body = json.dumps(
            {
                "type": "about:blank",
                "title": "Payload too large",
                "status": 413,
                "detail": f"{what}; the limit is {self.limit} bytes",
            }
        ).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", problems.PROBLEM.encode()),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class IntakeFastPath:
    """Send alert intake straight to its handler (see `intake.fast_handler`)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            handler = intake.fast_handler(scope["method"], scope["path"])
            if handler is not None:
                response = await handler(Request(scope, receive))
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)


def create_app(runtime: Runtime) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        runtime.intake_writer.prepare = jobs.prefetch
        runtime.intake_writer.start()  # group commit for alert intake
        try:
            yield
        finally:
            runtime.intake_writer.stop()

    app = FastAPI(
        title="firebell",
        version=__version__,
        description="Self-hosted incident response driven by a playbook kept as code.",
        lifespan=lifespan,
        docs_url=None,  # served from local files by routes.docs
        redoc_url=None,
        dependencies=[Depends(edge.clean_json)],  # text no database can store: 422
    )
    app.state.runtime = runtime
    problems.install(app)
    openapi_problems.install(app)  # 4xx problem responses in /openapi.json
    app.add_middleware(IntakeFastPath)
    metrics.install(app, runtime)  # /metrics, and intake counted outside the fast path
    app.add_middleware(BodyLimit)
    # the public status page runs first: an outage's crowd touches nothing else
    app.add_middleware(
        PublicStatus,
        snapshots=lambda: runtime.status_page.snapshots,
        host=lambda: runtime.playbook.playbook.status_page.host,
    )
    app.add_middleware(BodyTimeout)  # added last: it runs first (408 for a slow body)
    app.include_router(system.router)
    app.include_router(tokens.router)
    app.include_router(incidents.router)
    app.include_router(intake.router)
    app.include_router(silences.router)
    app.include_router(alerts.router)
    app.include_router(oncall.router)
    app.include_router(comms.router)
    app.include_router(command.router)
    app.include_router(runbooks.router)
    app.include_router(drills.router)
    app.include_router(chat.router)
    app.include_router(status_routes.router)
    app.include_router(status_routes.public_router)
    app.include_router(learning.router)
    app.include_router(index.router)
    console.install(app)
    docs.install(app)
    return app
