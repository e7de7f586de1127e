"""A real HTTP receiver on loopback for the channel adapters' tests (no httpx mocks).

It records every request exactly as it arrived (method, path with query, headers, raw body)
and answers from a per-path script of `Answer`s, else the default answer.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from firebell.channels.base import Outgoing


@dataclass(frozen=True)
class Answer:
    status: int = 200
    body: bytes | str | dict[str, Any] = b"ok"
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (to make the sender time out)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, dict):
            return json.dumps(self.body).encode(), "application/json"
        if isinstance(self.body, str):
            return self.body.encode(), "text/plain; charset=utf-8"
        return self.body, "text/plain"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: dict[str, str]  # names in lower case
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def form(self) -> dict[str, str]:
        """The urlencoded body; every field must appear exactly once."""
        parsed = parse_qs(self.body.decode("ascii"), keep_blank_values=True, strict_parsing=True)
        assert all(len(v) == 1 for v in parsed.values()), parsed
        return {k: v[0] for k, v in parsed.items()}


@dataclass
class Receiver:
    server: ThreadingHTTPServer
    requests: list[Request] = field(default_factory=list)
    scripts: dict[str, list[Answer]] = field(default_factory=dict)
    default: Answer = field(default_factory=Answer)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def script(self, path: str, *answers: Answer) -> None:
        with self.lock:
            self.scripts.setdefault(path, []).extend(answers)

    def answer_for(self, path: str) -> Answer:
        with self.lock:
            queue = self.scripts.get(path.split("?", 1)[0])
            return queue.pop(0) if queue else self.default

    def record(self, request: Request) -> None:
        with self.lock:
            self.requests.append(request)

    @property
    def only(self) -> Request:
        assert len(self.requests) == 1, self.requests
        return self.requests[0]


def start_receiver() -> Receiver:
    holder: list[Receiver] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def handle_any(self) -> None:
            receiver = holder[0]
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            headers = {k.lower(): v for k, v in self.headers.items()}
            receiver.record(Request(self.command, self.path, headers, body))
            answer = receiver.answer_for(self.path)
            if answer.delay:
                time.sleep(answer.delay)
            payload, content_type = answer.encoded()
            try:
                self.send_response(answer.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except OSError:
                pass  # the sender gave up already

        do_POST = do_GET = do_PUT = handle_any

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver = Receiver(server)
    holder.append(receiver)
    threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True).start()
    return receiver


def outgoing(
    address: str,
    *,
    subject: str = "[P1] Checkout is down",
    body: str = "Incident #7 needs you. Ack: firebell ack 7",
    purpose: str = "page",
    severity: str = "P1",
    **payload: Any,
) -> Outgoing:
    return Outgoing(
        id=41,
        incident_id=7,
        purpose=purpose,
        person="alice",
        address=address,
        subject=subject,
        body=body,
        payload={"severity": severity, "title": "Checkout is down", **payload},
    )
