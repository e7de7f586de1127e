from __future__ import annotations

from collections.abc import Iterator

import pytest

from paging._support import HttpReceiver, SmtpReceiver, http_receiver, smtp_receiver


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    yield from http_receiver()


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    yield from smtp_receiver()
