"""Fixtures shared by the console's browser tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser

from .browser import chromium


@pytest.fixture
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b
