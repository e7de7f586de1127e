"""Post-mortem rules as pure decisions: who reviews, when it is due, when to remind,
when to meet, and which state changes are allowed."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from firebell.errors import Conflict, Invalid
from firebell.playbook.schema import Playbook

STATES = ("draft", "in_review", "published")
# draft -> in_review -> published; a review can send it back to draft.
TRANSITIONS = {
    "draft": {"in_review"},
    "in_review": {"draft", "published"},
    "published": set(),
}
_ONLY = re.compile(r"^(?P<role>.*?)\s*\((?P<sevs>(?:P[0-3][ ,/]*)+)\s*only\)\s*$")
MEETING_EARLIEST = timedelta(days=3)
MEETING_LATEST = timedelta(days=5)
MEETING_HOUR = time(15, 0)


def required(playbook: Playbook, severity: str) -> bool:
    return playbook.severity(severity).postmortem.required == "always"


def reviewers_for(playbook: Playbook, severity: str) -> list[str]:
    """The playbook's reviewer roles for a severity: 'VP Engineering (P0 only)' applies
    to P0 alone."""
    chosen = []
    for entry in playbook.postmortems.reviewers:
        match = _ONLY.match(entry)
        if match is None:
            chosen.append(entry.strip())
        elif severity in re.findall(r"P[0-3]", match.group("sevs")):
            chosen.append(match.group("role").strip())
    return chosen


def due_at(playbook: Playbook, severity: str, resolved_at: datetime) -> datetime | None:
    due = playbook.severity(severity).postmortem.due
    return due.after(resolved_at) if due else None


def reminder_times(created_at: datetime, due: datetime) -> list[datetime]:
    """Remind the author halfway to the deadline and a quarter of the time before it
    (for a 48 h deadline: at 24 h and 36 h), never in the past."""
    window = due - created_at
    if window <= timedelta(0):
        return []
    return [created_at + window / 2, due - window / 4]


def check_transition(current: str, target: str) -> None:
    if target not in STATES:
        raise Invalid.field("state", f"must be one of {', '.join(STATES)}")
    if target == current:
        return
    if target not in TRANSITIONS[current]:
        raise Conflict(f"a post-mortem in state '{current}' cannot move to '{target}'")


def missing_signoffs(reviewers: list[str], signoffs: dict[str, object]) -> list[str]:
    return [r for r in reviewers if r not in signoffs]


def propose_meeting(resolved_at: datetime, zone: str) -> datetime:
    """The first working day at least 3 days after resolution, 15:00 in the
    organisation's zone (so never later than 5 days after: at most a weekend between)."""
    tz = ZoneInfo(zone)
    day = (resolved_at + MEETING_EARLIEST).astimezone(tz).date()
    while True:
        candidate = datetime.combine(day, MEETING_HOUR, tzinfo=tz).astimezone(UTC)
        if candidate.astimezone(tz).weekday() < 5 and candidate >= resolved_at + MEETING_EARLIEST:
            return candidate
        day += timedelta(days=1)


def check_meeting(resolved_at: datetime, at: datetime) -> None:
    if (
        not resolved_at + MEETING_EARLIEST
        <= at
        <= resolved_at + MEETING_LATEST + timedelta(hours=23, minutes=59)
    ):
        raise Invalid.field(
            "at", "the review meeting belongs 3 to 5 days after resolution (not immediate)"
        )
