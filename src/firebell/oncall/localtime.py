"""Turning local wall-clock times into instants, with firebell's DST rules.

* A local time inside a spring-forward gap resolves to the first valid instant after
  the gap, i.e. the transition itself (02:30 on a 02:00->03:00 night becomes 03:00).
* A local time that occurs twice (fall-back) resolves to its first occurrence (fold=0).

See docs/oncall-dst.md for worked examples.
"""

from __future__ import annotations

import math
from calendar import monthrange
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

__all__ = ["add_months", "at_local", "local_date", "local_naive", "resolve_local", "zone"]


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for an IANA name (cached)."""
    return ZoneInfo(name)


@lru_cache(maxsize=65536)
def resolve_local(local: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant at which naive wall-clock time ``local`` happens in ``tz``.

    Equivalently: the first instant whose local reading is at or after ``local``.
    Memoised because the same hand-off and window boundaries are resolved over and over
    by "who is on call now" queries; the cache is bounded.
    """
    first = local.replace(tzinfo=tz, fold=0)
    off_before = first.utcoffset()
    off_after = local.replace(tzinfo=tz, fold=1).utcoffset()
    assert off_before is not None and off_after is not None
    if off_before >= off_after:
        # Ordinary time, or an ambiguous one where fold=0 is the first occurrence.
        return (local - off_before).replace(tzinfo=UTC)
    return _gap_end(local - off_after, local - off_before, off_before, tz)


def _gap_end(lo: datetime, hi: datetime, off_before: timedelta, tz: ZoneInfo) -> datetime:
    """The transition instant that opened the gap: first instant in (lo, hi] past it.

    ``lo``/``hi`` are naive UTC bounds; zone transitions happen on whole seconds, so
    a binary search over integer POSIX seconds finds it exactly.
    """
    lo_ts = math.floor(lo.replace(tzinfo=UTC).timestamp())
    hi_ts = math.ceil(hi.replace(tzinfo=UTC).timestamp())
    while hi_ts - lo_ts > 1:
        mid = (lo_ts + hi_ts) // 2
        if datetime.fromtimestamp(mid, tz).utcoffset() == off_before:
            lo_ts = mid
        else:
            hi_ts = mid
    return datetime.fromtimestamp(hi_ts, UTC)


def local_naive(instant: datetime, tz: ZoneInfo) -> datetime:
    """The naive wall-clock reading of ``instant`` in ``tz``."""
    return instant.astimezone(tz).replace(tzinfo=None)


def local_date(instant: datetime, tz: ZoneInfo) -> date:
    """The local calendar date of ``instant`` in ``tz``."""
    return instant.astimezone(tz).date()


def add_months(anchor: datetime, months: int) -> datetime:
    """``anchor`` moved by whole months, clamping the day to the month's length.

    The clamp is always computed from the anchor, so a rotation anchored on the 31st
    hands off on Jan 31, Feb 28/29, Mar 31, Apr 30, ... (it never drifts to the 28th).
    """
    years, month0 = divmod(anchor.month - 1 + months, 12)
    year = anchor.year + years
    day = min(anchor.day, monthrange(year, month0 + 1)[1])
    return datetime.combine(date(year, month0 + 1, day), anchor.time())


def at_local(day: date, clock: time, tz: ZoneInfo) -> datetime:
    """The instant of wall-clock time ``clock`` on ``day`` in ``tz`` (DST rules applied)."""
    return resolve_local(datetime.combine(day, clock), tz)
