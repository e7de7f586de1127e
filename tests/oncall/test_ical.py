"""iCalendar export: parses back, UTC times, stable UIDs, per-person filtering."""

from __future__ import annotations

from datetime import UTC, timedelta

import icalendar

from firebell.oncall import (
    FinalEntry,
    Layer,
    Schedule,
    Source,
    final_schedule,
    person_to_ical,
    schedule_to_ical,
)

from ._support import CHICAGO, local, rotation, utc

STAMP = utc(2026, 11, 1, 12)


def _entries() -> tuple[FinalEntry, ...]:
    start = local(CHICAGO, 2026, 10, 26, 9)
    layer = Layer("primary", rotation(members="abc", start=start), 0)
    return final_schedule(
        Schedule("s", "Primary", (layer,)), start, start + timedelta(weeks=3)
    ).entries


def test_round_trip_through_icalendar() -> None:
    entries = _entries()
    raw = schedule_to_ical("Primary", entries, generated_at=STAMP, schedule_id="s")
    assert isinstance(raw, bytes)
    cal = icalendar.Calendar.from_ical(raw)
    events = list(cal.walk("VEVENT"))
    assert len(events) == 3
    for event, entry in zip(events, entries, strict=True):
        assert str(event["SUMMARY"]) == "On call: Primary"
        assert event.decoded("DTSTART") == entry.start
        assert event.decoded("DTEND") == entry.end
        assert event.decoded("DTSTART").utcoffset() == timedelta(0)
        assert str(event["X-FIREBELL-USER"]) == entry.user
    # DST: the first week crosses the Nov 1 fall-back and is 7 days + 1 hour long.
    assert events[0].decoded("DTEND") - events[0].decoded("DTSTART") == timedelta(days=7, hours=1)
    text = raw.decode()
    assert "DTSTART:20261026T140000Z" in text
    assert "DTEND:20261102T150000Z" in text


def test_uids_are_stable_and_unique() -> None:
    entries = _entries()
    first = icalendar.Calendar.from_ical(schedule_to_ical("Primary", entries, generated_at=STAMP))
    again = icalendar.Calendar.from_ical(
        schedule_to_ical("Primary", list(reversed(entries)), generated_at=STAMP + timedelta(days=1))
    )
    uids = [str(e["UID"]) for e in first.walk("VEVENT")]
    assert uids == [str(e["UID"]) for e in again.walk("VEVENT")]
    assert len(set(uids)) == len(uids)
    renamed = schedule_to_ical("Renamed", entries, generated_at=STAMP, schedule_id="Primary")
    assert [str(e["UID"]) for e in icalendar.Calendar.from_ical(renamed).walk("VEVENT")] == uids


def test_output_is_deterministic() -> None:
    entries = _entries()
    assert schedule_to_ical("P", entries, generated_at=STAMP) == schedule_to_ical(
        "P", entries, generated_at=STAMP
    )


def test_person_export_keeps_only_that_person() -> None:
    entries = _entries()
    raw = person_to_ical("Primary", entries, "b", generated_at=STAMP)
    events = list(icalendar.Calendar.from_ical(raw).walk("VEVENT"))
    assert [str(e["X-FIREBELL-USER"]) for e in events] == ["b"]
    assert events[0].decoded("DTSTART") == local(CHICAGO, 2026, 11, 2, 9).astimezone(UTC)


def test_empty_export_is_a_valid_calendar() -> None:
    raw = schedule_to_ical("Nobody", [], generated_at=STAMP)
    assert list(icalendar.Calendar.from_ical(raw).walk("VEVENT")) == []
    entry = FinalEntry("z", utc(2026, 1, 1), utc(2026, 1, 2), (Source("override", "o"),))
    assert b"BEGIN:VEVENT" in schedule_to_ical("X", [entry], generated_at=STAMP)
