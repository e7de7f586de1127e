"""Text checked at the edge, before any route writes it.

JSON can carry text that no database or encoder downstream accepts: a lone surrogate
(`"\\ud800"`) is valid JSON but not valid UTF-8, so it is stored and then fails every
response that tries to show it (the incident's timeline, for everyone); NUL is refused by
PostgreSQL. Such a request gets a 422 naming the field, and nothing is written.

Alert intake checks its own payloads (`firebell.intake.validation`); this covers the JSON
bodies of every other API route.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from firebell.errors import Invalid

INTAKE_PREFIXES = ("/api/v1/intake/", "/v2/")
MAX_DEPTH = 32


def _text_problem(text: str) -> str | None:
    if "\x00" in text:
        return "contains a NUL character"
    for char in text:
        if "\ud800" <= char <= "\udfff":
            return f"contains a lone surrogate (U+{ord(char):04X}), which is not valid Unicode"
    return None


def bad_text(value: Any, path: str = "", depth: int = 0) -> tuple[str, str] | None:
    """The first (field, reason) whose text cannot be stored, in keys or values; None if
    all is well. Pure."""
    if depth > MAX_DEPTH:
        return (path or "body", f"is nested more than {MAX_DEPTH} levels deep")
    if isinstance(value, str):
        reason = _text_problem(value)
        return (path or "body", reason) if reason else None
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{path}.{key}" if path else str(key)
            reason = _text_problem(str(key))
            if reason:
                return (path or "body", f"a key {reason}")
            found = bad_text(item, where, depth + 1)
            if found:
                return found
    if isinstance(value, list):
        for index, item in enumerate(value):
            found = bad_text(item, f"{path}.{index}" if path else str(index), depth + 1)
            if found:
                return found
    return None


async def clean_json(request: Request) -> None:
    """A dependency for every route: refuse a JSON body whose text cannot be stored."""
    if request.method in ("GET", "HEAD", "DELETE", "OPTIONS"):
        return
    if request.url.path.startswith(INTAKE_PREFIXES):
        return
    if "json" not in request.headers.get("content-type", ""):
        return
    body = await request.body()
    if not body:
        return
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON: the route's own validation says so
    found = bad_text(payload)
    if found:
        field, reason = found
        raise Invalid.field(field, reason)
