"""Turn-taking over restricted hours: whose turn a shift is when only shifts that have
active hours count.

A restricted rotation on the clock (``members[k mod n]`` for shift ``k``) can starve
people: a daily rotation of 7 restricted to Monday-Friday gives the two members whose
turns always land on a weekend no hours at all. In turn-taking mode the roster advances
only over *active* shifts (those overlapping a restriction window), so over any ``n``
consecutive active shifts each of the ``n`` members holds one.

Activity is decided on the rotation's local wall-clock grid, where a weekday/time
restriction repeats every week: the pattern of active shifts repeats every
``lcm(shift, 1 week) / shift`` shifts (at most 168), so whose turn shift ``k`` is costs
O(1) after a per-rotation table is built. Monthly shifts always contain every weekday,
so every one is active.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache

from .localtime import local_naive, zone
from .models import Restriction, Rotation, ShiftUnit, TimeWindow

__all__ = ["ActivePattern", "active_pattern", "starved_members", "turn_index"]

_DAY = timedelta(days=1)
_WEEK = timedelta(weeks=1)
_FULL_DAY = TimeWindow(datetime.min.time(), datetime.min.time())
_MAX_PERIOD = 7 * 24 * 60  # shifts per repeating pattern we are willing to tabulate


@dataclass(frozen=True, slots=True)
class ActivePattern:
    """Which shifts of one repeating period have active hours: ``active[i]`` for
    shift ``k`` with ``k mod period == i``; ``before[i]`` active shifts precede ``i``."""

    active: tuple[bool, ...]
    before: tuple[int, ...]

    @property
    def period(self) -> int:
        return len(self.active)

    @property
    def per_period(self) -> int:
        return self.before[-1] + self.active[-1]

    def count_before(self, k: int) -> int:
        """Active shifts in [0, k) (negative for k < 0: minus those in [k, 0))."""
        cycles, i = divmod(k, self.period)
        return cycles * self.per_period + self.before[i]


def _naive_step(rotation: Rotation) -> timedelta | None:
    length = rotation.shift_length
    if isinstance(length, timedelta):
        return length
    if length.unit is ShiftUnit.MONTHLY:
        return None
    unit = {ShiftUnit.HOURLY: timedelta(hours=1), ShiftUnit.DAILY: _DAY}.get(length.unit, _WEEK)
    return length.count * unit


def _windows(
    restrictions: Iterable[Restriction], first: date, last: date
) -> list[tuple[datetime, datetime]]:
    spans = []
    day = first
    while day <= last:
        for r in restrictions:
            if day.weekday() not in r.weekdays:
                continue
            for w in r.windows or (_FULL_DAY,):
                end_day = day + _DAY if w.crosses_midnight else day
                spans.append((datetime.combine(day, w.start), datetime.combine(end_day, w.end)))
        day += _DAY
    return spans


def _overlaps(start: datetime, end: datetime, restrictions: tuple[Restriction, ...]) -> bool:
    spans = _windows(restrictions, start.date() - _DAY, end.date())
    return any(s < end and start < e for s, e in spans)


@lru_cache(maxsize=1024)
def active_pattern(rotation: Rotation, restrictions: tuple[Restriction, ...]) -> ActivePattern:
    """The repeating pattern of active shifts of ``rotation`` under ``restrictions``."""
    step = _naive_step(rotation)
    if step is None or not restrictions:  # monthly shifts hold every weekday
        return ActivePattern((True,), (0,))
    seconds = int(step.total_seconds())
    period = math.lcm(seconds, int(_WEEK.total_seconds())) // seconds
    if period > _MAX_PERIOD:  # an odd elapsed length: count every shift as a turn
        return ActivePattern((True,), (0,))
    tz = zone(rotation.time_zone)
    anchor = datetime.combine(local_naive(rotation.start, tz).date(), rotation.handoff_time)
    anchor += rotation.offset
    active = tuple(
        _overlaps(anchor + i * step, anchor + (i + 1) * step, restrictions) for i in range(period)
    )
    before = tuple(sum(active[:i]) for i in range(period))
    return ActivePattern(active, before)


def turn_index(rotation: Rotation, k: int) -> int:
    """Index into the roster of shift ``k`` in turn-taking mode."""
    pattern = active_pattern(rotation, rotation.turns_over)
    return pattern.count_before(k) % len(rotation.members)


def starved_members(rotation: Rotation, restrictions: tuple[Restriction, ...]) -> list[str]:
    """Members who never hold an active shift when the roster follows the clock
    (shift ``k`` to ``members[k mod n]``) under ``restrictions``. Empty when everyone
    takes turns (or in turn-taking mode, which cannot starve anyone)."""
    if rotation.turns_over:
        return []
    pattern = active_pattern(rotation, restrictions)
    n = len(rotation.members)
    if pattern.per_period == 0:
        return list(dict.fromkeys(rotation.members))
    cycle = math.lcm(n, pattern.period)
    served = {rotation.members[k % n] for k in range(cycle) if pattern.active[k % pattern.period]}
    return [m for m in dict.fromkeys(rotation.members) if m not in served]
