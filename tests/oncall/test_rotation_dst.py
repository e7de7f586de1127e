"""Rotations across DST transitions in America/Chicago, Europe/London,
Australia/Lord_Howe and Pacific/Apia."""

from __future__ import annotations

import itertools
from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from firebell.oncall import CalendarLength, ShiftUnit, shifts

from ._support import (
    APIA,
    CHICAGO,
    DAILY,
    LONDON,
    LORD_HOWE,
    WEEKLY,
    local,
    rotation,
    utc,
)

H = timedelta(hours=1)


@pytest.mark.parametrize(
    ("tz", "first_day", "expected"),
    [
        (CHICAGO, (2026, 3, 7), [23 * H, 24 * H]),  # spring forward Sun Mar 8 02:00
        (CHICAGO, (2026, 10, 31), [25 * H, 24 * H]),  # fall back Sun Nov 1 02:00
        (LONDON, (2026, 3, 28), [23 * H, 24 * H]),
        (LONDON, (2026, 10, 24), [25 * H, 24 * H]),
        # Lord Howe moves its clocks by only 30 minutes.
        (LORD_HOWE, (2026, 10, 3), [23.5 * H, 24 * H]),
        (LORD_HOWE, (2026, 4, 4), [24.5 * H, 24 * H]),
        (CHICAGO, (2026, 6, 1), [24 * H, 24 * H]),  # control: no transition
    ],
)
def test_daily_rotation_keeps_wall_clock_so_days_are_23_or_25_hours(
    tz: ZoneInfo, first_day: tuple[int, int, int], expected: list[timedelta]
) -> None:
    start = local(tz, *first_day, 9)
    r = rotation(length=DAILY, tz=tz, start=start)
    got = shifts(r, start, start + timedelta(days=4))
    assert [s.end - s.start for s in got[:2]] == expected
    assert {s.start.astimezone(tz).time() for s in got} == {time(9)}


def test_daily_handoff_in_spring_gap_moves_to_end_of_gap_chicago() -> None:
    start = local(CHICAGO, 2026, 3, 6, 2, 30)
    r = rotation(length=DAILY, handoff=time(2, 30), tz=CHICAGO, start=start)
    got = shifts(r, start, utc(2026, 3, 10))
    handoffs = [s.start for s in got]
    assert handoffs[:4] == [
        utc(2026, 3, 6, 8, 30),  # 02:30 CST
        utc(2026, 3, 7, 8, 30),
        utc(2026, 3, 8, 8, 0),  # 02:30 does not exist -> 03:00 CDT
        utc(2026, 3, 9, 7, 30),  # 02:30 CDT
    ]
    assert [s.end - s.start for s in got[1:3]] == [23.5 * H, 23.5 * H]


def test_daily_handoff_in_fall_fold_uses_first_occurrence_chicago() -> None:
    start = local(CHICAGO, 2026, 10, 31, 1, 30)
    r = rotation(length=DAILY, handoff=time(1, 30), tz=CHICAGO, start=start)
    got = shifts(r, start, utc(2026, 11, 3))
    assert [s.start for s in got[:3]] == [
        utc(2026, 10, 31, 6, 30),
        utc(2026, 11, 1, 6, 30),  # 01:30 CDT, the first of the two 01:30s
        utc(2026, 11, 2, 7, 30),
    ]
    assert got[1].end - got[1].start == 25 * H  # holds the repeated hour too


def test_lord_howe_half_hour_gap_and_fold() -> None:
    spring = rotation(
        length=DAILY, handoff=time(2, 15), tz=LORD_HOWE, start=local(LORD_HOWE, 2026, 10, 3, 2, 15)
    )
    got = shifts(spring, spring.start, utc(2026, 10, 6))
    assert got[1].start == utc(2026, 10, 3, 15, 30)  # 02:15 skipped -> 02:30 +11:00
    assert got[0].end - got[0].start == 23.75 * H
    assert got[1].end - got[1].start == 23.75 * H  # back to 02:15 +11 next day

    fall = rotation(
        length=DAILY, handoff=time(1, 45), tz=LORD_HOWE, start=local(LORD_HOWE, 2026, 4, 4, 1, 45)
    )
    got = shifts(fall, fall.start, utc(2026, 4, 7))
    assert got[1].start == utc(2026, 4, 4, 14, 45)  # first 01:45 (+11:00)
    assert got[1].end - got[1].start == 24.5 * H


def test_apia_missing_day_2011_12_30_daily() -> None:
    start = local(APIA, 2011, 12, 29, 9)
    r = rotation(members="abc", length=DAILY, tz=APIA, start=start)
    got = shifts(r, start, utc(2011, 12, 31, 19))
    assert [(s.member, s.start, s.end) for s in got] == [
        ("a", utc(2011, 12, 29, 19), utc(2011, 12, 30, 10)),  # Dec 29 09:00 -10 -> gap end
        ("b", utc(2011, 12, 30, 10), utc(2011, 12, 30, 19)),  # the "Dec 30" shift: 9 hours
        ("c", utc(2011, 12, 30, 19), utc(2011, 12, 31, 19)),  # Dec 31 09:00 +14
    ]


def test_apia_weekly_rotation_spanning_missing_day_lasts_six_days() -> None:
    start = local(APIA, 2011, 12, 26, 9)  # a Monday, UTC-10
    r = rotation(length=WEEKLY, tz=APIA, start=start)
    first = shifts(r, start, start + timedelta(days=8))[0]
    assert first.end == local(APIA, 2012, 1, 2, 9)
    assert first.end - first.start == timedelta(days=6)


def test_apia_had_dst_until_2021_and_none_after() -> None:
    r = rotation(length=DAILY, tz=APIA, start=local(APIA, 2021, 4, 2, 9))
    lengths = [s.end - s.start for s in shifts(r, r.start, r.start + timedelta(days=3))]
    assert lengths[:2] == [24 * H, 25 * H]  # last fall-back: 2021-04-04 04:00 -> 03:00
    r = rotation(length=DAILY, tz=APIA, start=local(APIA, 2021, 9, 20, 9))
    lengths = [s.end - s.start for s in shifts(r, r.start, r.start + timedelta(days=30))]
    assert set(lengths[:-1]) == {24 * H}  # no spring-forward in September 2021


@pytest.mark.parametrize("tz", [CHICAGO, LONDON, LORD_HOWE, APIA])
@pytest.mark.parametrize("hours", [5, 36])
def test_elapsed_lengths_stay_contiguous_in_utc(tz: ZoneInfo, hours: int) -> None:
    for length in (timedelta(hours=hours), CalendarLength(ShiftUnit.HOURLY, hours)):
        r = rotation(length=length, tz=tz, start=local(tz, 2026, 1, 5, 9))
        got = shifts(r, utc(2025, 12, 1), utc(2027, 1, 1))
        assert all(a.end == b.start for a, b in itertools.pairwise(got))
        assert {s.end - s.start for s in got[:-1]} == {timedelta(hours=hours)}


def test_timedelta_day_is_elapsed_and_drifts_on_the_wall_clock() -> None:
    r = rotation(length=timedelta(days=1), tz=CHICAGO, start=local(CHICAGO, 2026, 3, 7, 9))
    got = shifts(r, r.start, utc(2026, 3, 10))
    assert got[2].start == local(CHICAGO, 2026, 3, 9, 10)  # 24 h later reads 10:00 CDT


def test_hourly_wall_clock_grid_drops_the_hour_that_does_not_exist() -> None:
    start = local(CHICAGO, 2026, 3, 8, 0)
    r = rotation(
        members="abcdefghijklmnopqrstuvwx",
        length=CalendarLength(ShiftUnit.HOURLY),
        handoff=time(0),
        tz=CHICAGO,
        start=start,
    )
    got = shifts(r, start, local(CHICAGO, 2026, 3, 8, 5))
    # 02:00 local does not exist: its holder ("c") gets a zero-length shift, dropped.
    assert [s.member for s in got] == ["a", "b", "d", "e"]
    assert {s.end - s.start for s in got} == {H}


def test_eight_hour_wall_clock_grid_across_fall_back() -> None:
    r = rotation(
        length=CalendarLength(ShiftUnit.HOURLY, 8),
        tz=CHICAGO,
        start=local(CHICAGO, 2026, 10, 31, 9),
    )
    got = shifts(r, r.start, local(CHICAGO, 2026, 11, 1, 17))
    assert [s.start.astimezone(CHICAGO).hour for s in got] == [9, 17, 1, 9]
    assert [s.end - s.start for s in got] == [8 * H, 8 * H, 9 * H, 8 * H]


def test_weekly_across_london_fall_back_is_seven_days_and_an_hour() -> None:
    start = local(LONDON, 2026, 10, 19, 9)
    r = rotation(tz=LONDON, start=start)
    first = shifts(r, start, start + timedelta(days=14))[0]
    assert first.end == local(LONDON, 2026, 10, 26, 9)
    assert first.end - first.start == timedelta(days=7, hours=1)


def test_elapsed_offset_drifts_when_dst_falls_between_anchor_and_offset() -> None:
    # Anchored Thursday 21:00 + 84 h: normally Monday 09:00, but 10:00 CDT in the week
    # of the 2026-03-08 spring-forward (documented in docs/oncall-dst.md).
    r = rotation(tz=CHICAGO, handoff=time(21), start=local(CHICAGO, 2026, 2, 26, 21), offset=84 * H)
    got = [s.start.astimezone(CHICAGO) for s in shifts(r, r.start, utc(2026, 3, 20))][1:]
    assert [(d.date().isoformat(), d.hour) for d in got] == [
        ("2026-03-02", 9),
        ("2026-03-09", 10),
        ("2026-03-16", 9),
    ]
