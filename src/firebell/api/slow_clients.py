"""Slow clients cannot hold connections open: header and body read timeouts.

uvicorn times out idle keep-alive connections, but not a client that opens a connection
and sends its request headers a byte at a time (slowloris), nor one that announces a body
and never sends it. So:

- `GuardedH11` (the HTTP protocol `serve` runs) answers `408 Request Timeout` and closes
  the connection when a request's line and headers have not all arrived within
  `header_timeout` seconds of the connection opening (or of the previous response);
- `BodyTimeout` (ASGI middleware) answers 408 when a request body has not all arrived
  within `body_timeout` seconds of the handler starting to read it.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import h11
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.h11_impl import H11Protocol

from firebell.api.problems import PROBLEM

HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 30.0


def _problem_bytes(detail: str) -> bytes:
    body = {"type": "about:blank", "title": "Request timeout", "status": 408, "detail": detail}
    return json.dumps(body).encode()


class GuardedH11(H11Protocol):
    header_timeout: float = HEADER_TIMEOUT

    _header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:
            self._arm()  # waiting for (the rest of) a request's headers
        else:
            self._disarm()  # the headers are in: the body has its own timeout

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._disarm()  # an idle keep-alive connection: uvicorn's keep-alive timeout

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(self.header_timeout, self._too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _too_slow(self) -> None:
        self._header_timer = None
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        if self.cycle is not None and not self.cycle.response_complete:
            return  # a response is still being written
        body = _problem_bytes(f"the request headers took longer than {self.header_timeout:g} s")
        head = (
            b"HTTP/1.1 408 Request Timeout\r\nconnection: close\r\n"
            + f"content-type: {PROBLEM}\r\ncontent-length: {len(body)}\r\n\r\n".encode()
        )
        self.transport.write(head + body)
        self.transport.close()


class BodyTimeout:
    """408 when a request's body does not arrive in time (plain ASGI: cheap)."""

    def __init__(self, app: ASGIApp, timeout: float = BODY_TIMEOUT) -> None:
        self.app = app
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        deadline: float | None = None
        done = False
        started = refused = False

        async def timed_receive() -> Message:
            nonlocal deadline, done, refused
            if done:
                return await receive()  # after the body: disconnect notices, no limit
            deadline = deadline or loop.time() + self.timeout
            try:
                message: Message = await asyncio.wait_for(receive(), deadline - loop.time())
            except TimeoutError:
                # Answer now, then tell the app the client is gone (whatever it does
                # with that, its own answer is dropped).
                if not started:
                    await self._refuse(send)
                refused = done = True
                return {"type": "http.disconnect"}
            done = message["type"] != "http.request" or not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if refused:
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        await self.app(scope, timed_receive, tracking_send)

    async def _refuse(self, send: Send) -> None:
        body = _problem_bytes(f"the request body took longer than {self.timeout:g} s")
        headers: list[tuple[bytes, bytes]] = [
            (b"content-type", PROBLEM.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        start: dict[str, Any] = {"type": "http.response.start", "status": 408, "headers": headers}
        await send(start)
        await send({"type": "http.response.body", "body": body})
