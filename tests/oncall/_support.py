"""Shared helpers for the on-call tests."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from firebell.oncall import CalendarLength, Rotation, ShiftUnit

CHICAGO = ZoneInfo("America/Chicago")
LONDON = ZoneInfo("Europe/London")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")
APIA = ZoneInfo("Pacific/Apia")
ZONES = (CHICAGO, LONDON, LORD_HOWE, APIA)

WEEKLY = CalendarLength(ShiftUnit.WEEKLY)
DAILY = CalendarLength(ShiftUnit.DAILY)
MONTHLY = CalendarLength(ShiftUnit.MONTHLY)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[arg-type,misc]


def local(tz: ZoneInfo, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=tz, fold=fold)  # type: ignore[arg-type,misc]


def rotation(
    members: tuple[str, ...] | str = "abc",
    length: CalendarLength | timedelta = WEEKLY,
    handoff: time = time(9),
    tz: ZoneInfo = CHICAGO,
    start: datetime | None = None,
    offset: timedelta = timedelta(0),
    id: str = "r",
) -> Rotation:
    if start is None:
        start = datetime.combine(datetime(2026, 1, 5).date(), handoff, tzinfo=tz)
    return Rotation(
        id=id,
        members=tuple(members),
        shift_length=length,
        handoff_time=handoff,
        time_zone=str(tz),
        start=start,
        offset=offset,
    )


def reference_resolve(naive: datetime, tz: ZoneInfo) -> datetime:
    """Slow oracle for the DST rule: the first minute whose local reading is >= ``naive``.

    That single rule gives both "first instant after a gap" and "first occurrence of a
    repeated time". ``naive`` must be a whole minute.
    """
    probe = naive.replace(tzinfo=UTC) - timedelta(hours=15)
    while probe.astimezone(tz).replace(tzinfo=None) < naive:
        probe += timedelta(minutes=1)
    return probe
