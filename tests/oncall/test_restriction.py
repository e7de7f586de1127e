"""Layer restrictions: weekday sets and time-of-day windows, incl. crossing midnight."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.oncall import Interval, Restriction, TimeWindow, Weekday, active_intervals, is_active

from ._support import APIA, CHICAGO, ZONES, local

WEEKDAYS = frozenset({Weekday.MON, Weekday.TUE, Weekday.WED, Weekday.THU, Weekday.FRI})
BUSINESS = Restriction(windows=(TimeWindow(time(9), time(17)),), weekdays=WEEKDAYS)
NIGHTS = Restriction(windows=(TimeWindow(time(22), time(6)),), weekdays=WEEKDAYS)


def test_business_hours_monday_to_friday() -> None:
    week = active_intervals(
        BUSINESS, CHICAGO, local(CHICAGO, 2026, 11, 2), local(CHICAGO, 2026, 11, 9)
    )
    assert week == [
        Interval(local(CHICAGO, 2026, 11, d, 9), local(CHICAGO, 2026, 11, d, 17))
        for d in range(2, 7)
    ]
    assert is_active(BUSINESS, CHICAGO, local(CHICAGO, 2026, 11, 6, 16, 59))
    assert not is_active(BUSINESS, CHICAGO, local(CHICAGO, 2026, 11, 6, 17))
    assert not is_active(BUSINESS, CHICAGO, local(CHICAGO, 2026, 11, 7, 12))  # Saturday


def test_window_crossing_midnight_belongs_to_the_day_it_starts() -> None:
    assert is_active(NIGHTS, CHICAGO, local(CHICAGO, 2026, 11, 7, 3))  # Fri night -> Sat
    assert not is_active(NIGHTS, CHICAGO, local(CHICAGO, 2026, 11, 9, 3))  # Sun night -> Mon
    assert is_active(NIGHTS, CHICAGO, local(CHICAGO, 2026, 11, 10, 5, 59))
    assert not is_active(NIGHTS, CHICAGO, local(CHICAGO, 2026, 11, 10, 6))
    got = active_intervals(
        NIGHTS, CHICAGO, local(CHICAGO, 2026, 11, 6), local(CHICAGO, 2026, 11, 10)
    )
    assert got == [
        Interval(local(CHICAGO, 2026, 11, 6), local(CHICAGO, 2026, 11, 6, 6)),  # Thu's night
        Interval(local(CHICAGO, 2026, 11, 6, 22), local(CHICAGO, 2026, 11, 7, 6)),
        Interval(local(CHICAGO, 2026, 11, 9, 22), local(CHICAGO, 2026, 11, 10)),
    ]


def test_night_window_across_dst_is_7_or_9_hours() -> None:
    every_night = Restriction(windows=(TimeWindow(time(22), time(6)),))
    spring = active_intervals(
        every_night, CHICAGO, local(CHICAGO, 2026, 3, 7, 12), local(CHICAGO, 2026, 3, 8, 12)
    )
    fall = active_intervals(
        every_night, CHICAGO, local(CHICAGO, 2026, 10, 31, 12), local(CHICAGO, 2026, 11, 1, 12)
    )
    assert [i.duration for i in spring] == [timedelta(hours=7)]
    assert [i.duration for i in fall] == [timedelta(hours=9)]


def test_full_day_restriction_on_apias_missing_day() -> None:
    fridays = Restriction(weekdays=frozenset({Weekday.FRI}))  # 2011-12-30 was a Friday
    got = active_intervals(fridays, APIA, local(APIA, 2011, 12, 26), local(APIA, 2012, 1, 3))
    assert got == []  # the only Friday that week never happened


def test_adjacent_windows_merge() -> None:
    r = Restriction(windows=(TimeWindow(time(0), time(12)), TimeWindow(time(12), time(0))))
    got = active_intervals(r, CHICAGO, local(CHICAGO, 2026, 1, 1), local(CHICAGO, 2026, 1, 3))
    assert got == [Interval(local(CHICAGO, 2026, 1, 1), local(CHICAGO, 2026, 1, 3))]


_WINDOWS = st.builds(
    TimeWindow,
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)


@settings(max_examples=200, deadline=None)
@given(
    tz=st.sampled_from(ZONES),
    windows=st.lists(_WINDOWS, min_size=0, max_size=3),
    weekdays=st.frozensets(st.sampled_from(list(Weekday)), min_size=1),
    probe=st.datetimes(
        min_value=datetime(2010, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
)
def test_is_active_agrees_with_active_intervals(
    tz: ZoneInfo, windows: list[TimeWindow], weekdays: frozenset[Weekday], probe: datetime
) -> None:
    r = Restriction(windows=tuple(windows), weekdays=weekdays)
    around = active_intervals(r, tz, probe - timedelta(days=3), probe + timedelta(days=3))
    expected = any(i.start <= probe < i.end for i in around)
    assert is_active(r, tz, probe) == expected
