from __future__ import annotations

from collections.abc import Iterator

import pytest
from paging._support import HttpReceiver, http_receiver


@pytest.fixture
def receiver() -> Iterator[HttpReceiver]:
    yield from http_receiver()
