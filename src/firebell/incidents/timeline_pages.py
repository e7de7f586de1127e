"""An incident's timeline a page at a time, newest page first.

A storm incident gathers thousands of events; one response with all of them is megabytes.
A page holds at most `limit` events in time order; the first page is the newest events;
`older` is an opaque cursor for the page before it (None when there is none). A cursor
names the oldest event of the page it came with, by (time, id): stable while new events
keep arriving.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from firebell.errors import Invalid
from firebell.store.models import TimelineEvent

DEFAULT_LIMIT = 200
MAX_LIMIT = 1000


@dataclass(frozen=True)
class TimelinePage:
    events: list[TimelineEvent]  # oldest first
    older: str | None  # cursor for the page before this one


@dataclass(frozen=True)
class Position:
    """Where a page starts: before the event at `at` with `id`."""

    at: datetime
    id: int

    def encode(self) -> str:
        raw = f"{self.at.isoformat()}|{self.id}".encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")

    @classmethod
    def decode(cls, cursor: str) -> Position:
        try:
            raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
            at, ident = raw.split("|")
            position = cls(datetime.fromisoformat(at), int(ident))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            raise Invalid.field("cursor", "not a cursor this server gave out") from None
        if position.at.tzinfo is None:
            raise Invalid.field("cursor", "not a cursor this server gave out")
        return position


def check_limit(limit: int) -> int:
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid.field("limit", f"must be between 1 and {MAX_LIMIT}")
    return limit


def read_page(
    session: Session, incident_id: int, limit: int = DEFAULT_LIMIT, cursor: str | None = None
) -> TimelinePage:
    """The `limit` newest events before `cursor` (the newest of all without one)."""
    check_limit(limit)
    query = select(TimelineEvent).where(TimelineEvent.incident_id == incident_id)
    if cursor is not None:
        before = Position.decode(cursor)
        query = query.where(
            or_(
                TimelineEvent.at < before.at,
                and_(TimelineEvent.at == before.at, TimelineEvent.id < before.id),
            )
        )
    query = query.order_by(TimelineEvent.at.desc(), TimelineEvent.id.desc()).limit(limit + 1)
    newest_first = list(session.scalars(query))
    page = newest_first[:limit]
    page.reverse()
    older = Position(page[0].at, page[0].id).encode() if len(newest_first) > limit else None
    return TimelinePage(page, older)
