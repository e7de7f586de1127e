"""Shared test helpers: the real Alertmanager captures live in tests/fixtures."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "alertmanager"


def _load(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.fixture
def am() -> Callable[[str], Any]:
    """Load a captured payload by file name; each call returns a fresh copy to mutate."""
    return lambda name: copy.deepcopy(_load(name))


def problem_fields(exc: pytest.ExceptionInfo[Any]) -> list[str]:
    return [p.field for p in exc.value.problems]
