"""Status page fixtures: the snapshot checks the database on every request in tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from paging._support import HttpReceiver, SmtpReceiver, http_receiver, smtp_receiver

from firebell.api.app import create_app
from firebell.runtime import Runtime


@pytest.fixture
def status_client(runtime: Runtime) -> Iterator[TestClient]:
    runtime.status_page.snapshots.check_every = 0.0
    with TestClient(create_app(runtime)) as client:
        yield client


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    yield from smtp_receiver()


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    yield from http_receiver()
