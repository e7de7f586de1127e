"""A local server that speaks the parts of Slack's Web API firebell uses, and records
every request so tests can check the exact calls."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class SlackCall:
    method: str
    auth: str | None
    body: dict[str, Any]


@dataclass
class FakeSlack:
    url: str
    calls: list[SlackCall] = field(default_factory=list)
    channels: dict[str, str] = field(default_factory=dict)

    def named(self, method: str) -> list[SlackCall]:
        return [c for c in self.calls if c.method == method]


@contextmanager
def fake_slack() -> Iterator[FakeSlack]:
    state: FakeSlack

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            raw = self.rfile.read(length)
            method = self.path.removeprefix("/api/")
            body = json.loads(raw) if raw else {}
            state.calls.append(SlackCall(method, self.headers.get("authorization"), body))
            answer: dict[str, Any] = {"ok": True}
            if method == "conversations.create":
                name = body["name"]
                if name in state.channels:
                    answer = {"ok": False, "error": "name_taken"}
                else:
                    state.channels[name] = f"C{len(state.channels) + 1:05d}"
                    answer["channel"] = {"id": state.channels[name], "name": name}
            elif method == "conversations.list":
                answer["channels"] = [{"id": i, "name": n} for n, i in state.channels.items()]
                answer["response_metadata"] = {"next_cursor": ""}
            elif method == "chat.postMessage":
                answer.update({"channel": body.get("channel"), "ts": "1700000000.000100"})
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = FakeSlack(f"http://127.0.0.1:{server.server_address[1]}")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
