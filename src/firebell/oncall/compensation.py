"""On-call compensation for one month, per the incident playbook.

Rules (all configurable through :class:`CompensationPolicy`):

* a *day on call* is a local calendar day (in the policy's time zone) during which the
  person is on call for at least ``min_on_call_per_day`` (default: any time at all).
  A shift ending exactly at midnight does not touch the next day; a 23- or 25-hour DST
  day is still one day;
* each such day earns 8 h if it is a public holiday, else 4 h on Sat/Sun, else 2 h
  (a holiday falling on a weekend counts once, as a holiday);
* incident response outside business hours (default 09:00-17:00 Mon-Fri local,
  non-holiday) earns 1.5x the elapsed hours worked. Incident time is counted whether
  or not the responder was on call; pass only the intervals you want credited.

Everything is clipped to the month's local boundaries.
"""

from __future__ import annotations

import csv
import io
import itertools
from collections.abc import Container, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Protocol

from .intervals import overlap, union
from .localtime import at_local, zone
from .models import Interval, Weekday, require_aware

__all__ = [
    "CompensationPolicy",
    "CompensationRow",
    "TimeSpan",
    "compensation_csv",
    "holiday_calendar",
    "monthly_compensation",
    "spans_by_user",
]

_DAY = timedelta(days=1)
_CENT = Decimal("0.01")


class TimeSpan(Protocol):
    """Anything with a UTC ``start`` and ``end`` (Interval, Shift, FinalEntry...)."""

    @property
    def start(self) -> datetime: ...

    @property
    def end(self) -> datetime: ...


class UserSpan(TimeSpan, Protocol):
    @property
    def user(self) -> str: ...


@dataclass(frozen=True, slots=True)
class CompensationPolicy:
    """Playbook compensation rates and business hours."""

    time_zone: str = "UTC"
    weekday_hours: Decimal = Decimal(2)
    weekend_hours: Decimal = Decimal(4)
    holiday_hours: Decimal = Decimal(8)
    incident_multiplier: Decimal = Decimal("1.5")
    business_start: time = time(9)
    business_end: time = time(17)
    business_days: frozenset[Weekday] = frozenset(
        (Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI)
    )
    weekend_days: frozenset[Weekday] = frozenset((Weekday.SAT, Weekday.SUN))
    min_on_call_per_day: timedelta = timedelta(0)


@dataclass(frozen=True, slots=True)
class CompensationRow:
    """One person's compensation for one month."""

    user: str
    month: str  # "YYYY-MM"
    weekday_days: int
    weekend_days: int
    holiday_days: int
    incident_hours_outside_business: Decimal
    total_comp_hours: Decimal


def holiday_calendar(country: str, subdivision: str | None = None, *, years: int) -> Any:
    """Public holidays from the ``holidays`` package (a ``Container[date]``)."""
    import holidays

    return holidays.country_holidays(country, subdiv=subdivision, years=years)


def spans_by_user(entries: Iterable[UserSpan]) -> dict[str, list[Interval]]:
    """Group final-schedule entries (or anything with user/start/end) by user."""
    grouped: dict[str, list[Interval]] = {}
    for entry in entries:
        grouped.setdefault(entry.user, []).append(Interval(entry.start, entry.end))
    return grouped


def _month_days(year: int, month: int) -> list[date]:
    day, days = date(year, month, 1), []
    while day.month == month:
        days.append(day)
        day += _DAY
    return days


def _hours(duration: timedelta) -> Decimal:
    return Decimal(duration // timedelta(microseconds=1)) / Decimal(3_600_000_000)


def monthly_compensation(
    year: int,
    month: int,
    on_call: Mapping[str, Sequence[TimeSpan]],
    incidents: Mapping[str, Sequence[TimeSpan]] | None = None,
    *,
    holidays: Container[date],
    policy: CompensationPolicy | None = None,
) -> list[CompensationRow]:
    """Per-person compensation rows for ``year``-``month``, sorted by user.

    ``on_call`` maps each person to their on-call spans (e.g. final-schedule entries);
    ``incidents`` maps each person to the spans they spent responding to incidents.
    """
    policy = policy or CompensationPolicy()
    incidents = incidents or {}
    tz = zone(policy.time_zone)
    days = _month_days(year, month)
    midnights = [at_local(d, time(0), tz) for d in days]
    midnights.append(at_local(days[-1] + _DAY, time(0), tz))
    business = [
        Interval(at_local(d, policy.business_start, tz), at_local(d, policy.business_end, tz))
        for d in days
        if d.weekday() in policy.business_days and d not in holidays
    ]
    rows: list[CompensationRow] = []
    for user in sorted(set(on_call) | set(incidents)):
        spans = union(
            Interval(require_aware(s.start, "start"), require_aware(s.end, "end"))
            for s in on_call.get(user, ())
        )
        weekday = weekend = holiday = 0
        for day, (start, end) in zip(days, itertools.pairwise(midnights), strict=True):
            on = overlap(spans, start, end)
            if on <= timedelta(0) or on < policy.min_on_call_per_day:
                continue
            if day in holidays:
                holiday += 1
            elif day.weekday() in policy.weekend_days:
                weekend += 1
            else:
                weekday += 1
        worked = union(
            Interval(require_aware(s.start, "start"), require_aware(s.end, "end"))
            for s in incidents.get(user, ())
        )
        in_month = overlap(worked, midnights[0], midnights[-1])
        inside = timedelta(0)
        for window in business:
            inside += overlap(worked, window.start, window.end)
        outside_hours = _hours(in_month - inside)
        total = (
            weekday * policy.weekday_hours
            + weekend * policy.weekend_hours
            + holiday * policy.holiday_hours
            + outside_hours * policy.incident_multiplier
        )
        rows.append(
            CompensationRow(
                user=user,
                month=f"{year:04d}-{month:02d}",
                weekday_days=weekday,
                weekend_days=weekend,
                holiday_days=holiday,
                incident_hours_outside_business=outside_hours.quantize(_CENT, ROUND_HALF_UP),
                total_comp_hours=total.quantize(_CENT, ROUND_HALF_UP),
            )
        )
    return rows


CSV_HEADER = (
    "user",
    "month",
    "weekday_days",
    "weekend_days",
    "holiday_days",
    "incident_hours_outside_business",
    "total_comp_hours",
)


def compensation_csv(rows: Iterable[CompensationRow]) -> str:
    """Render rows as CSV (header first, RFC 4180 line endings)."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for row in rows:
        writer.writerow(
            (
                row.user,
                row.month,
                row.weekday_days,
                row.weekend_days,
                row.holiday_days,
                row.incident_hours_outside_business,
                row.total_comp_hours,
            )
        )
    return out.getvalue()
