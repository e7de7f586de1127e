"""Immutable value types for on-call schedules.

Frozen, slotted dataclasses rather than pydantic models: this package is a pure
functional core evaluated on hot paths ("who is on call now" for every schedule),
and the API layer can still validate/serialise them with ``pydantic.TypeAdapter``.
Every instant is a timezone-aware ``datetime``; results are always in UTC.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import IntEnum, StrEnum
from typing import Literal
from zoneinfo import ZoneInfo

__all__ = [
    "ALL_WEEKDAYS",
    "CalendarLength",
    "FinalEntry",
    "FinalSchedule",
    "Handoff",
    "Interval",
    "Layer",
    "OnCall",
    "Override",
    "Restriction",
    "Rotation",
    "Schedule",
    "Shift",
    "ShiftUnit",
    "Source",
    "TimeWindow",
    "Weekday",
    "require_aware",
]


def require_aware(value: datetime, name: str) -> datetime:
    """Return ``value`` converted to UTC, rejecting naive datetimes (they have no instant)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be a timezone-aware datetime, got naive {value!r}")
    return value.astimezone(UTC)


def _set_utc(obj: object, name: str) -> None:
    object.__setattr__(obj, name, require_aware(getattr(obj, name), name))


class ShiftUnit(StrEnum):
    """Calendar units whose hand-offs stay on local wall-clock time."""

    HOURLY = "hourly"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"


class Weekday(IntEnum):
    """Day of week numbered like ``date.weekday()`` (Monday is 0)."""

    MON = 0
    TUE = 1
    WED = 2
    THU = 3
    FRI = 4
    SAT = 5
    SUN = 6


ALL_WEEKDAYS: frozenset[Weekday] = frozenset(Weekday)


@dataclass(frozen=True, slots=True)
class CalendarLength:
    """A shift length of ``count`` calendar units, e.g. 1 week or 2 months.

    Calendar lengths follow local wall-clock time (see docs/oncall-dst.md), except
    ``hourly`` counts that neither divide nor are a multiple of 24, which cannot stay on
    a daily wall-clock grid and therefore run in elapsed time.
    """

    unit: ShiftUnit
    count: int = 1

    def __post_init__(self) -> None:
        if self.count < 1:
            raise ValueError(f"shift count must be >= 1, got {self.count}")


@dataclass(frozen=True, slots=True)
class Rotation:
    """Members taking turns in fixed-length shifts.

    The hand-off grid is anchored at ``handoff_time`` on the local date (in
    ``time_zone``) of ``start``; ``members[0]`` holds the shift that begins at that
    anchor, then members follow in order, wrapping around. ``offset`` is added in
    elapsed time to every hand-off. Nobody from the rotation is on call before
    ``start``. ``shift_length`` is a :class:`CalendarLength` (wall-clock) or a
    ``timedelta`` (exactly that much elapsed time).
    """

    id: str
    members: tuple[str, ...]
    shift_length: CalendarLength | timedelta
    handoff_time: time
    time_zone: str
    start: datetime
    offset: timedelta = timedelta(0)
    # Turn-taking mode: the roster advances only over shifts with hours in these
    # restrictions' windows, so everyone takes turns (see turns.py). Empty: by the clock.
    turns_over: tuple[Restriction, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "members", tuple(self.members))
        if not self.members:
            raise ValueError(f"rotation {self.id!r} needs at least one member")
        if isinstance(self.shift_length, timedelta) and self.shift_length <= timedelta(0):
            raise ValueError(f"rotation {self.id!r}: shift length must be positive")
        if self.handoff_time.tzinfo is not None:
            raise ValueError("handoff_time is a local wall-clock time; give it without tzinfo")
        ZoneInfo(self.time_zone)  # raises ZoneInfoNotFoundError for unknown names
        _set_utc(self, "start")


@dataclass(frozen=True, slots=True)
class Shift:
    """One member's turn in a rotation, as a half-open UTC interval [start, end)."""

    member: str
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Interval:
    """A half-open UTC interval [start, end)."""

    start: datetime
    end: datetime

    @property
    def duration(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A local time-of-day window, e.g. 09:00-17:00.

    ``end <= start`` means the window crosses midnight (22:00-06:00 ends the next
    day); ``end == start`` means a full 24 hours of wall-clock time.
    """

    start: time
    end: time

    @property
    def crosses_midnight(self) -> bool:
        return self.end <= self.start


@dataclass(frozen=True, slots=True)
class Restriction:
    """When a layer may be on call: windows that *start* on one of ``weekdays``.

    A window crossing midnight belongs to the day it starts on, so Mon-Fri 22:00-06:00
    covers Friday night into Saturday morning but not early Monday morning. No
    windows means whole days. Evaluated in the layer rotation's time zone.
    """

    windows: tuple[TimeWindow, ...] = ()
    weekdays: frozenset[Weekday] = ALL_WEEKDAYS

    def __post_init__(self) -> None:
        object.__setattr__(self, "windows", tuple(self.windows))
        object.__setattr__(self, "weekdays", frozenset(Weekday(d) for d in self.weekdays))


@dataclass(frozen=True, slots=True)
class Layer:
    """A rotation with optional restrictions; higher ``priority`` overrides lower layers."""

    id: str
    rotation: Rotation
    priority: int
    # One restriction, or several: the layer is active in any of them (their union).
    restriction: Restriction | tuple[Restriction, ...] | None = None

    @property
    def restrictions(self) -> tuple[Restriction, ...]:
        if self.restriction is None:
            return ()
        if isinstance(self.restriction, Restriction):
            return (self.restriction,)
        return self.restriction


@dataclass(frozen=True, slots=True)
class Override:
    """``user`` is on call for [start, end) instead of the layers.

    Where overrides overlap, the one created last wins on the overlap only.
    """

    id: str
    user: str
    start: datetime
    end: datetime
    created_at: datetime

    def __post_init__(self) -> None:
        for name in ("start", "end", "created_at"):
            _set_utc(self, name)
        if self.end <= self.start:
            raise ValueError(f"override {self.id!r} must end after it starts")


@dataclass(frozen=True, slots=True)
class Schedule:
    """Layers plus overrides; the unit for which "who is on call" is answered."""

    id: str
    name: str
    layers: tuple[Layer, ...] = ()
    overrides: tuple[Override, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        object.__setattr__(self, "overrides", tuple(self.overrides))
        priorities = [layer.priority for layer in self.layers]
        if len(set(priorities)) != len(priorities):
            raise ValueError(f"schedule {self.id!r}: layer priorities must be unique")


@dataclass(frozen=True, slots=True)
class Source:
    """Where an on-call assignment came from: a layer or an override, by id."""

    kind: Literal["layer", "override"]
    id: str


@dataclass(frozen=True, slots=True)
class OnCall:
    """The answer to "who is on call at this instant"."""

    user: str
    source: Source


@dataclass(frozen=True, slots=True)
class FinalEntry:
    """A maximal stretch [start, end) during which ``user`` is continuously on call.

    ``sources`` lists, in order of first appearance, every layer/override that
    contributed to the stretch (one user may continue across sources).
    """

    user: str
    start: datetime
    end: datetime
    sources: tuple[Source, ...]

    @property
    def source(self) -> Source:
        """The source at the start of the entry."""
        return self.sources[0]


@dataclass(frozen=True, slots=True)
class FinalSchedule:
    """Resolved coverage of [since, until): entries and the gaps with nobody on call."""

    since: datetime
    until: datetime
    entries: tuple[FinalEntry, ...] = ()
    gaps: tuple[Interval, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class Handoff:
    """At ``at`` on-call duty passes from ``outgoing`` to ``incoming`` (None = nobody)."""

    at: datetime
    outgoing: str | None
    incoming: str | None
