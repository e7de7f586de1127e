"""Receivers for the first-run tests (shared with the paging tests' support module)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.paging._support import SmtpReceiver, smtp_receiver


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    yield from smtp_receiver()
