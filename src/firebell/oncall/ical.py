"""iCalendar export of final-schedule entries (whole schedule or one person).

Each entry becomes a VEVENT with DTSTART/DTEND in UTC and a UID derived from the
schedule, user and interval, so re-exporting the same entries yields the same UIDs and
calendar clients update events instead of duplicating them. The output is
deterministic: DTSTAMP comes from the caller (``generated_at``), not the clock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime

from icalendar import Calendar, Event

from .models import FinalEntry, require_aware

__all__ = ["entry_uid", "person_to_ical", "schedule_to_ical"]

PRODID = "-//firebell//on-call schedule//EN"


def entry_uid(schedule_key: str, entry: FinalEntry) -> str:
    """Stable UID for ``entry``: a hash of schedule, user and UTC interval."""
    raw = "|".join(
        (
            schedule_key,
            entry.user,
            entry.start.astimezone(UTC).isoformat(),
            entry.end.astimezone(UTC).isoformat(),
        )
    )
    return f"{hashlib.sha256(raw.encode()).hexdigest()[:32]}@firebell"


def schedule_to_ical(
    schedule_name: str,
    entries: Iterable[FinalEntry],
    *,
    generated_at: datetime,
    schedule_id: str | None = None,
) -> bytes:
    """An iCalendar (RFC 5545) document with one VEVENT per entry.

    ``schedule_id`` (default: the name) seeds the UIDs; pass the schedule's id so UIDs
    survive a rename.
    """
    stamp = require_aware(generated_at, "generated_at")
    key = schedule_id if schedule_id is not None else schedule_name
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", f"On call: {schedule_name}")
    for entry in sorted(entries, key=lambda e: (e.start, e.user)):
        event = Event()
        event.add("uid", entry_uid(key, entry))
        event.add("dtstamp", stamp)
        event.add("dtstart", require_aware(entry.start, "entry.start"))
        event.add("dtend", require_aware(entry.end, "entry.end"))
        event.add("summary", f"On call: {schedule_name}")
        event.add("description", f"{entry.user} is on call for {schedule_name}")
        event.add("x-firebell-user", entry.user)
        event.add("transp", "TRANSPARENT")
        calendar.add_component(event)
    result: bytes = calendar.to_ical()
    return result


def person_to_ical(
    schedule_name: str,
    entries: Iterable[FinalEntry],
    user: str,
    *,
    generated_at: datetime,
    schedule_id: str | None = None,
) -> bytes:
    """Like :func:`schedule_to_ical`, keeping only ``user``'s entries."""
    mine = [entry for entry in entries if entry.user == user]
    return schedule_to_ical(schedule_name, mine, generated_at=generated_at, schedule_id=schedule_id)
