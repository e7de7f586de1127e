"""Fixtures: a real HTTP receiver on loopback, and an address that refuses connections."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from channels._support import Receiver, start_receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = start_receiver()
    try:
        yield r
    finally:
        r.server.shutdown()
        r.server.server_close()


@pytest.fixture
def dead_url() -> str:
    """A loopback URL nothing listens on: connections are refused."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}"
