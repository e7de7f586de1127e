"""Turning plain form values into what the API's request models take (pure).

Browsers send `<input type="datetime-local">` as `2026-12-01T10:00` and `type="date"` as
`2026-12-10`, with no zone. The console labels these inputs "UTC", so a value without a
zone is read as UTC; one with a zone (from a script or a pasted ISO time) is kept.
"""

from __future__ import annotations

import re

_HAS_ZONE = re.compile(r"(Z|[+-]\d\d:?\d\d)$", re.IGNORECASE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def utc_time(value: str | None) -> str | None:
    """'' -> None; '2026-12-01T10:00' -> '2026-12-01T10:00Z'; zoned values unchanged.
    Anything else is passed on for the model to refuse with its own words."""
    text = (value or "").strip()
    if not text:
        return None
    if _DATE.match(text):
        return f"{text}T00:00Z"
    return text if _HAS_ZONE.search(text) else f"{text}Z"


def end_of_day(value: str | None) -> str | None:
    """A due date ('2026-12-10') means the end of that day in UTC."""
    text = (value or "").strip()
    if _DATE.match(text):
        return f"{text}T23:59Z"
    return utc_time(text)


def words(value: str | None) -> list[str]:
    """'a, b c' -> ['a', 'b', 'c'] (commas or spaces, blanks dropped)."""
    return [w for w in re.split(r"[\s,]+", value or "") if w]
