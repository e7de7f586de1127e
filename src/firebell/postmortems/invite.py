"""The review meeting's invitation as iCalendar (RFC 5545, METHOD:REQUEST)."""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText


def invitation(
    *,
    uid: str,
    title: str,
    start: datetime,
    minutes: int,
    organizer: str,
    attendees: list[str],
    description: str,
    stamp: datetime,
) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//firebell//post-mortem review//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "REQUEST")
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", start)
    event.add("dtend", start + timedelta(minutes=minutes))
    event.add("summary", title)
    event.add("description", description)
    event["organizer"] = vCalAddress(f"mailto:{organizer}")
    for address in attendees:
        attendee = vCalAddress(f"mailto:{address}")
        attendee.params["role"] = vText("REQ-PARTICIPANT")
        attendee.params["rsvp"] = vText("TRUE")
        event.add("attendee", attendee, encode=False)
    calendar.add_component(event)
    data: bytes = calendar.to_ical()
    return data
