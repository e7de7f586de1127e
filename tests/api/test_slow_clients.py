"""A client that sends its headers or body too slowly gets 408 and is disconnected."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from paging._support import free_port

from firebell.api.app import create_app
from firebell.api.slow_clients import BodyTimeout, GuardedH11
from firebell.runtime import Runtime


class QuickGuard(GuardedH11):
    header_timeout = 0.5


@pytest.fixture
def served(runtime: Runtime) -> Iterator[int]:
    app = create_app(runtime)
    # The body timeout, shortened for the test: the outermost middleware takes it.
    app.user_middleware[0].kwargs["timeout"] = 0.5
    assert app.user_middleware[0].cls is BodyTimeout
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, http=QuickGuard, log_level="error")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started
    yield port
    server.should_exit = True
    thread.join(timeout=10)


def read_all(sock: socket.socket, limit: float = 5.0) -> bytes:
    """Everything the server sends until it closes the connection (bounded wait)."""
    sock.settimeout(limit)
    chunks = []
    started = time.monotonic()
    while time.monotonic() - started < limit:
        try:
            chunk = sock.recv(4096)
        except TimeoutError:
            break
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
    pytest.fail(f"the server kept the connection open: {b''.join(chunks)!r}")


def test_slow_headers_get_408_and_the_connection_is_closed(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served)) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n")  # and never the blank line
        started = time.monotonic()
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"application/problem+json" in answer
    assert time.monotonic() - started < 3


def test_a_silent_connection_is_closed(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served)) as sock:
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_slow_body_gets_408(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served)) as sock:
        sock.sendall(
            b"POST /api/v1/incidents HTTP/1.1\r\nHost: x\r\ncontent-type: application/json\r\n"
            b'content-length: 100\r\n\r\n{"title":'
        )
        answer = read_all(sock)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"request body took longer" in answer


def test_a_prompt_client_is_served_on_a_kept_alive_connection(served: int) -> None:
    with socket.create_connection(("127.0.0.1", served)) as sock:
        for _ in range(2):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
            sock.settimeout(5)
            data = sock.recv(4096)
            assert data.startswith(b"HTTP/1.1 200 ")
            time.sleep(0.7)  # longer than the header timeout, between requests
