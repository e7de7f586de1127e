"""My pages: the console as a paging method, and the inbox of everything addressed to me.

- `/console/pages`: every message firebell addressed to my playbook person (any method):
  when, incident, how, delivered or shown, acknowledged.
- `/console/pages/live`: server-sent events carrying my console pages that wait to be
  shown; `/console/pages/waiting` is the same as JSON, for the browser's fallback poll.
- `POST /console/pages/{id}/shown` (CSRF): the browser showed that page (notification
  and banner); only now is it counted as delivered.

Only the addressee's consoles receive a page, and a page about a private incident goes
only to its addressee, who was paged and so is one of its members.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator

import anyio
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from firebell.channels.console import NOTE
from firebell.web.console import console_of, form_of, signed_in

router = APIRouter(prefix="/console", include_in_schema=False)

POLL = 1.0  # seconds between looks for waiting pages on a live stream
LIVE_FOR = 300.0  # the stream ends after this; the browser reconnects by itself
HEARTBEAT = 15.0


@router.get("/pages", response_class=HTMLResponse)
def pages_page(request: Request) -> Response:
    who = signed_in(request)
    console = console_of(request)
    person = who.user.person
    rows = console.runtime.console_pages.inbox(person) if person else []
    return console.render(request, "pages.html", who, rows=rows, person=person, note=NOTE)


@router.get("/pages/waiting")
def waiting(request: Request) -> Response:
    """The fallback poll: my console pages waiting to be shown."""
    who = signed_in(request)
    person = who.user.person
    pages = console_of(request).runtime.console_pages.waiting(person) if person else []
    return JSONResponse(
        {"pages": [p.to_json() for p in pages]}, headers={"Cache-Control": "no-store"}
    )


@router.get("/pages/live", response_model=None)
async def live(request: Request) -> Response:
    who = signed_in(request)
    person = who.user.person
    pages = console_of(request).runtime.console_pages

    async def stream() -> AsyncIterator[str]:
        loop = asyncio.get_running_loop()
        ends = loop.time() + LIVE_FOR
        quiet_since = loop.time()
        told: set[int] = set()
        yield "retry: 2000\n\n"
        while person and loop.time() < ends and not await request.is_disconnected():
            found = await anyio.to_thread.run_sync(pages.waiting, person)
            fresh = [p for p in found if p.id not in told]
            for page in fresh:
                told.add(page.id)
                yield f"event: page\ndata: {json.dumps(page.to_json())}\n\n"
            if fresh:
                quiet_since = loop.time()
            elif loop.time() - quiet_since > HEARTBEAT:
                yield ": still here\n\n"
                quiet_since = loop.time()
            await asyncio.sleep(POLL)

    return StreamingResponse(
        stream(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.post("/pages/{message_id}/shown")
async def shown(message_id: int, request: Request) -> Response:
    """The browser displayed this page: delivered now (once; later calls say so)."""
    who = signed_in(request)
    await form_of(request, who)
    person = who.user.person
    pages = console_of(request).runtime.console_pages
    done = bool(person) and await anyio.to_thread.run_sync(pages.shown, person or "", message_id)
    return JSONResponse({"delivered": done}, status_code=200 if done else 409)
