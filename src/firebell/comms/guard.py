"""Checks before a message leaves: nothing internal reaches an external audience (pure)."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=256)
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


def leaks(text: str, patterns: list[str]) -> list[str]:
    """The forbidden snippets found (empty when the text is clean)."""
    found: list[str] = []
    for pattern in patterns:
        for match in _compiled(pattern).finditer(text):
            snippet = match.group(0)
            if snippet not in found:
                found.append(snippet)
    return found
