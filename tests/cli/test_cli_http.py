"""The CLI's own HTTP client (standard library, no httpx import at start-up) against a
real HTTP server on loopback: query, bodies, errors, as httpx sent them."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from firebell.cli.client import Client, CliError


class Seen:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []


@pytest.fixture
def server() -> Iterator[tuple[str, Seen]]:
    seen = Seen()

    class Handler(BaseHTTPRequestHandler):
        def _answer(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            seen.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "auth": self.headers.get("authorization"),
                    "type": self.headers.get("content-type"),
                    "body": body,
                }
            )
            if self.path.startswith("/missing"):
                status, payload = 404, {"status": 404, "detail": "no such thing", "errors": []}
            elif self.path.startswith("/empty"):
                status, payload = 204, None
            else:
                status, payload = 200, {"ok": True}
            data = b"" if payload is None else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _answer

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_query_and_bodies_are_sent_like_httpx(server: tuple[str, Seen]) -> None:
    url, seen = server
    client = Client(url, "tok")
    assert client.request("GET", "/a", params={"open_only": True, "x": None, "n": 3}) == {
        "ok": True
    }
    client.request("GET", "/b", params=[("status", "open"), ("status", "x y"), ("limit", 5)])
    client.request("POST", "/c", json={"title": "é"})
    client.request("POST", "/d", content=b"kind,address\n")
    assert client.request("GET", "/empty") is None
    assert [r["path"] for r in seen.requests] == [
        "/a?open_only=true&x=&n=3",
        "/b?status=open&status=x+y&limit=5",
        "/c",
        "/d",
        "/empty",
    ]
    assert all(r["auth"] == "Bearer tok" for r in seen.requests)
    assert json.loads(seen.requests[2]["body"]) == {"title": "é"}
    assert seen.requests[2]["type"] == "application/json"
    assert seen.requests[3]["body"] == b"kind,address\n"


def test_errors_are_one_line_with_the_problem(server: tuple[str, Seen]) -> None:
    url, _ = server
    with pytest.raises(CliError) as refused:
        Client(url, "tok").request("GET", "/missing")
    assert refused.value.code == 1
    assert str(refused.value) == "HTTP 404: no such thing"
    assert refused.value.problem["detail"] == "no such thing"
    with pytest.raises(CliError) as unreachable:
        Client("http://127.0.0.1:9", "tok").request("GET", "/a")
    assert unreachable.value.code == 2
    assert "cannot reach firebell at http://127.0.0.1:9 (ConnectError" in str(unreachable.value)
    with pytest.raises(CliError) as no_token:
        Client(url, None).request("GET", "/a")
    assert no_token.value.code == 2
