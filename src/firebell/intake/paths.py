"""Paths into decoded JSON for the generic webhook: dotted paths and a small JSONPath subset.

Accepted syntax:

- dotted: ``alert.labels.service``, ``alerts.0.id`` — a segment of digits indexes an array, or
  is an object key when the value there is an object;
- JSONPath: ``$`` followed by ``.name``, ``['any key']`` / ``["any key"]`` (backslash escapes
  the quote and itself) and ``[0]`` (array index), e.g. ``$.alert.name``, ``$['a b'].c``,
  ``$.items[0].x``. No wildcards, filters, slices, negative indexes or recursive descent: a path
  names exactly one value.

:func:`compile_path` raises ValueError for a malformed path (a configuration error, reported
when the integration is saved); :func:`lookup` never raises.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Literal, NamedTuple


class Step(NamedTuple):
    kind: Literal["key", "index", "key_or_index"]
    key: str
    position: int = -1


_NAME = re.compile(r"[^.\[\]'\"\s]+")


@lru_cache(maxsize=1024)
def compile_path(path: str) -> tuple[Step, ...]:
    """Parse a path once; raise ValueError saying what is wrong and where."""
    if not path or not path.strip():
        raise ValueError("a path must not be empty")
    if path.startswith("$"):
        return _jsonpath(path)
    steps: list[Step] = []
    for position, segment in enumerate(path.split(".")):
        if not segment:
            raise ValueError(f"empty segment {position} in path {path!r}")
        if segment.isdigit():
            steps.append(Step("key_or_index", segment, int(segment)))
        else:
            steps.append(Step("key", segment))
    return tuple(steps)


def _jsonpath(path: str) -> tuple[Step, ...]:
    steps: list[Step] = []
    i = 1
    while i < len(path):
        char = path[i]
        if char == ".":
            match = _NAME.match(path, i + 1)
            if match is None:
                raise ValueError(f"expected a name after '.' at offset {i} in {path!r}")
            steps.append(Step("key", match.group()))
            i = match.end()
        elif char == "[":
            i = _bracket(path, i + 1, steps)
        else:
            raise ValueError(f"unexpected {char!r} at offset {i} in {path!r}")
    return tuple(steps)


def _bracket(path: str, i: int, steps: list[Step]) -> int:
    """Parse ``[0]`` or ``['key']`` starting after ``[``; return the offset after ``]``."""
    if i < len(path) and path[i] in "'\"":
        quote, i, key = path[i], i + 1, []
        while i < len(path) and path[i] != quote:
            if path[i] == "\\" and i + 1 < len(path):
                i += 1
            key.append(path[i])
            i += 1
        if i + 1 >= len(path) or path[i + 1] != "]":
            raise ValueError(f"unterminated quoted key in {path!r}")
        steps.append(Step("key", "".join(key)))
        return i + 2
    end = path.find("]", i)
    digits = path[i:end] if end != -1 else ""
    if not digits.isdigit() or not digits.isascii():
        raise ValueError(f"expected [index] or ['key'] at offset {i - 1} in {path!r}")
    steps.append(Step("index", digits, int(digits)))
    return end + 1


def lookup(document: Any, path: str) -> tuple[bool, Any]:
    """``(True, value)`` if the path names a value in the document (null counts as absent)."""
    current = document
    for step in compile_path(path):
        if isinstance(current, dict) and step.kind != "index":
            if step.key not in current:
                return False, None
            current = current[step.key]
        elif isinstance(current, list) and step.kind != "key":
            if step.position >= len(current):
                return False, None
            current = current[step.position]
        else:
            return False, None
    return current is not None, current
