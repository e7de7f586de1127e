"""The incidents list, live: a server-sent-events stream that sends the re-rendered list
whenever an incident this user may see is declared or changes (see
`incidents/changes.py` for why a private incident's change is never sent, not even as
a signal, to someone who may not see it)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from firebell.incidents.changes import highest_event, visible_change
from firebell.web.console import Console, console_of, principal_of, signed_in
from firebell.web.sessions import SignedIn
from firebell.web.views.incidents import (
    HEARTBEAT,
    LIVE_FOR,
    LIVE_POLL,
    ListFilters,
    list_context,
    list_filters,
)

router = APIRouter(prefix="/console", include_in_schema=False)


def _changed(console: Console, who: SignedIn, seen: int) -> tuple[int, int | None]:
    """(the new counter, the newest visible event since `seen` or None)."""
    runtime = console.runtime
    with runtime.sessions() as session:
        top = highest_event(session)
        if top <= seen:
            return seen, None
        return top, visible_change(session, runtime.incidents, principal_of(who), seen, top)


def _render(console: Console, who: SignedIn, filters: ListFilters) -> str:
    runtime = console.runtime
    context = list_context(runtime, who, filters)
    return console.templates.get_template("_incident_list.html").render(
        who=who, csrf=who.csrf, now=runtime.clock.now(), **context
    )


@router.get("/incidents/live", response_model=None)
async def live_list(
    request: Request,
    after: int = 0,
    status: str = "open",
    severity: str = "",
    service: str = "",
    mine: int = 0,
    before: int = 0,
) -> Response:
    who = signed_in(request)
    console = console_of(request)
    filters = list_filters(console.runtime, status, severity, service, mine, before)
    last_id = request.headers.get("last-event-id", "")
    start = int(last_id) if last_id.isdigit() else max(after, 0)

    async def stream() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        ends = loop.time() + LIVE_FOR
        quiet_since = loop.time()
        seen = start
        yield "retry: 1000\n\n"
        while loop.time() < ends and not await request.is_disconnected():
            seen, changed = await anyio.to_thread.run_sync(_changed, console, who, seen)
            if changed is not None:
                html = await anyio.to_thread.run_sync(_render, console, who, filters)
                # The id is the newest *visible* event: nothing about others' activity.
                yield f"id: {changed}\nevent: list\ndata: {json.dumps({'html': html})}\n\n"
                quiet_since = loop.time()
            elif loop.time() - quiet_since > HEARTBEAT:
                yield ": still here\n\n"
                quiet_since = loop.time()
            await asyncio.sleep(LIVE_POLL)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
