"""The public documents straight from the snapshot, before FastAPI's routing: a plain
ASGI layer, so an outage's crowd costs a dict lookup and a send per request."""

from __future__ import annotations

from collections.abc import Callable

from anyio import to_thread
from starlette.types import ASGIApp, Receive, Scope, Send

from firebell.statuspage.snapshot import Snapshots, matches

ALIASES = {"/status/": "/status", "/status.json": "/api/v2/status.json"}


class PublicStatus:
    def __init__(
        self,
        app: ASGIApp,
        snapshots: Callable[[], Snapshots | None],
        host: Callable[[], str | None],
    ) -> None:
        self.app = app
        self.snapshots = snapshots
        self.host = host

    def _path(self, scope: Scope) -> str | None:
        path: str = scope["path"]
        path = ALIASES.get(path, path)
        if path == "/":
            wanted = self.host()
            if wanted is None:
                return None
            for name, value in scope.get("headers", ()):
                if name == b"host":
                    hostname = value.decode("latin-1").rsplit(":", 1)[0].lower()
                    return "/status" if hostname == wanted.lower() else None
            return None
        if path in ("/status", "/history.atom", "/history.rss") or (
            path.startswith("/api/v2/") and path.endswith(".json")
        ):
            return path
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        snapshots = self.snapshots()
        path = self._path(scope) if scope["type"] == "http" and snapshots else None
        if path is None or snapshots is None or scope["method"] not in ("GET", "HEAD"):
            await self.app(scope, receive, send)
            return
        if snapshots.fresh():
            doc = snapshots.cached(path)
        else:
            doc = await to_thread.run_sync(snapshots.get, path)
        if doc is None:
            await self.app(scope, receive, send)  # an unknown /api/v2 path: 404 there
            return
        if_none_match = next(
            (v.decode("latin-1") for n, v in scope.get("headers", ()) if n == b"if-none-match"),
            None,
        )
        if matches(if_none_match, doc.etag):
            await send({"type": "http.response.start", "status": 304, "headers": doc.headers_304})
            await send({"type": "http.response.body", "body": b""})
            return
        start = {"type": "http.response.start", "status": 200, "headers": doc.headers_200}
        await send(start)
        body = b"" if scope["method"] == "HEAD" else doc.body
        await send({"type": "http.response.body", "body": body})
