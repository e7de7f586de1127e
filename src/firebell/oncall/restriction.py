"""Layer restrictions: when (local weekday + time-of-day windows) a layer may be on call.

Each window occurrence is anchored on the local date it starts on, and its start and
end are resolved with the DST rules of :mod:`.localtime` (so 09:00-17:00 on any day is
8 hours, while 00:00-06:00 is 7 hours on a spring-forward night in America/Chicago).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .intervals import union
from .localtime import at_local, local_date
from .models import Interval, Restriction, TimeWindow

__all__ = ["active_intervals", "is_active", "window_occurrence"]

_FULL_DAY = TimeWindow(time(0), time(0))
_DAY = timedelta(days=1)


def window_occurrence(window: TimeWindow, day: date, tz: ZoneInfo) -> Interval:
    """The instants covered by ``window`` when it starts on local date ``day``."""
    end_day = day + _DAY if window.crosses_midnight else day
    return Interval(at_local(day, window.start, tz), at_local(end_day, window.end, tz))


def _windows(restriction: Restriction) -> tuple[TimeWindow, ...]:
    return restriction.windows or (_FULL_DAY,)


def _occurrences(
    restriction: Restriction, first: date, last: date, tz: ZoneInfo
) -> Iterator[Interval]:
    day = first
    while day <= last:
        if day.weekday() in restriction.weekdays:
            for window in _windows(restriction):
                yield window_occurrence(window, day, tz)
        day += _DAY


def active_intervals(
    restriction: Restriction, tz: ZoneInfo, since: datetime, until: datetime
) -> list[Interval]:
    """Sorted disjoint intervals within [since, until) when ``restriction`` allows coverage."""
    # A window starting up to two local days earlier can reach ``since`` (two, not one,
    # because a zone may skip a whole calendar day, as Pacific/Apia did on 2011-12-30).
    first = local_date(since, tz) - 2 * _DAY
    last = local_date(until, tz)
    clipped = (
        Interval(max(o.start, since), min(o.end, until))
        for o in _occurrences(restriction, first, last, tz)
    )
    return union(clipped)


def is_active(restriction: Restriction, tz: ZoneInfo, instant: datetime) -> bool:
    """Whether ``restriction`` allows coverage at ``instant`` (O(number of windows))."""
    today = local_date(instant, tz)
    yesterday = today - _DAY
    for window in _windows(restriction):
        # Only a window crossing midnight can reach into the next local day: anything
        # else from an earlier day ends by local midnight, which is never after instant.
        days = (yesterday, today) if window.crosses_midnight else (today,)
        for day in days:
            if day.weekday() in restriction.weekdays:
                occurrence = window_occurrence(window, day, tz)
                if occurrence.start <= instant < occurrence.end:
                    return True
    return False
