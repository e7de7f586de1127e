"""Receivers for the first-run tests (shared with the paging and command tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.command.conftest import make_runtime, slack  # noqa: F401 - fixtures reused
from tests.paging._support import SmtpReceiver, smtp_receiver


@pytest.fixture
def smtp() -> Iterator[SmtpReceiver]:
    yield from smtp_receiver()
