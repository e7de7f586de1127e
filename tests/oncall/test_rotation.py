"""Rotation basics: the playbook rotations, monthly anchoring, O(1) lookup."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.oncall import (
    CalendarLength,
    Rotation,
    ShiftUnit,
    handoff_instant,
    on_call_at,
    shift_at,
    shifts,
)

from ._support import CHICAGO, DAILY, MONTHLY, WEEKLY, ZONES, local, rotation, utc


def test_primary_weekly_monday_0900() -> None:
    r = rotation(members="abc", start=local(CHICAGO, 2026, 1, 5, 9))  # Monday
    got = shifts(r, r.start, r.start + timedelta(weeks=52))
    assert [s.member for s in got[:4]] == ["a", "b", "c", "a"]
    for s in got:
        start = s.start.astimezone(CHICAGO)
        assert (start.weekday(), start.time()) == (0, time(9))
        assert s.start.tzinfo is UTC and s.end.tzinfo is UTC
    assert all(a.end == b.start for a, b in itertools.pairwise(got))


def test_escalation_monthly_anchored_on_the_first_at_0900() -> None:
    r = rotation(members=("lead1", "lead2"), length=MONTHLY, start=local(CHICAGO, 2026, 1, 1, 9))
    got = shifts(r, r.start, local(CHICAGO, 2027, 1, 1, 9))
    assert len(got) == 12
    assert [s.start.astimezone(CHICAGO) for s in got] == [
        local(CHICAGO, 2026, m, 1, 9) for m in range(1, 13)
    ]
    assert [s.member for s in got[:3]] == ["lead1", "lead2", "lead1"]
    # November 1 2026 is the fall-back day: the October shift is 31 days + 1 hour.
    assert got[9].end - got[9].start == timedelta(days=31, hours=1)


def test_monthly_started_on_the_31st_clamps_without_drifting() -> None:
    r = rotation(length=MONTHLY, start=local(CHICAGO, 2026, 1, 31, 9))
    dates = [handoff_instant(r, k).astimezone(CHICAGO).date().isoformat() for k in range(-1, 5)]
    assert dates == [
        "2025-12-31",
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
        "2026-05-31",
    ]
    # Lookup on the clamped boundary days is exact.
    assert on_call_at(r, local(CHICAGO, 2026, 2, 28, 8, 59)) == "a"
    assert on_call_at(r, local(CHICAGO, 2026, 2, 28, 9)) == "b"
    assert on_call_at(r, local(CHICAGO, 2026, 3, 30, 23)) == "b"
    assert on_call_at(r, local(CHICAGO, 2026, 3, 31, 9)) == "c"


def test_bi_monthly_count() -> None:
    r = rotation(length=CalendarLength(ShiftUnit.MONTHLY, 2), start=local(CHICAGO, 2026, 1, 1, 9))
    assert handoff_instant(r, 1) == local(CHICAGO, 2026, 3, 1, 9)
    assert handoff_instant(r, 6) == local(CHICAGO, 2027, 1, 1, 9)


def test_nobody_before_start_and_start_before_first_handoff() -> None:
    r = rotation(members="abc", start=local(CHICAGO, 2026, 1, 5, 7))  # 2 h before 09:00
    assert on_call_at(r, local(CHICAGO, 2026, 1, 5, 6, 59)) is None
    # [start, anchor) belongs to the shift before the anchor, i.e. the last member.
    assert on_call_at(r, local(CHICAGO, 2026, 1, 5, 7)) == "c"
    assert on_call_at(r, local(CHICAGO, 2026, 1, 5, 9)) == "a"
    first = shift_at(r, local(CHICAGO, 2026, 1, 5, 8))
    assert first is not None and first.start == r.start


def test_offset_applies_in_elapsed_time() -> None:
    r = rotation(offset=timedelta(days=3, hours=12), start=local(CHICAGO, 2026, 1, 5, 9))
    assert handoff_instant(r, 0) == local(CHICAGO, 2026, 1, 8, 21)  # Thursday 21:00


def test_far_future_lookup_is_direct() -> None:
    r = rotation(members="abcdefg", length=timedelta(hours=5), start=local(CHICAGO, 2026, 1, 5))
    far = utc(2426, 7, 1, 12)
    shift = shift_at(r, far)
    assert shift is not None and shift.start <= far < shift.end
    assert (shift.start - handoff_instant(r, 0)) % timedelta(hours=5) == timedelta(0)


def test_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        rotation(members=())
    with pytest.raises(ValueError):
        rotation(length=timedelta(0))
    with pytest.raises(ValueError):
        CalendarLength(ShiftUnit.DAILY, 0)
    with pytest.raises(ValueError):
        Rotation("r", ("a",), DAILY, time(9), "UTC", datetime(2026, 1, 1))  # naive start
    with pytest.raises(ValueError):
        on_call_at(rotation(), datetime(2026, 1, 1))


_LENGTHS = st.sampled_from(
    [
        DAILY,
        WEEKLY,
        MONTHLY,
        CalendarLength(ShiftUnit.WEEKLY, 2),
        CalendarLength(ShiftUnit.HOURLY, 8),
        CalendarLength(ShiftUnit.HOURLY, 1),
        CalendarLength(ShiftUnit.HOURLY, 5),
        timedelta(hours=36),
        timedelta(days=3, hours=12),
    ]
)


@settings(max_examples=200, deadline=None)
@given(
    tz=st.sampled_from(ZONES),
    length=_LENGTHS,
    handoff=st.times().map(lambda t: t.replace(second=0, microsecond=0)),
    offset_minutes=st.integers(min_value=0, max_value=7 * 24 * 60),
    members=st.integers(min_value=1, max_value=5),
    probe=st.datetimes(
        min_value=datetime(2010, 1, 1), max_value=datetime(2031, 1, 1), timezones=st.just(UTC)
    ),
)
def test_on_call_at_agrees_with_enumerated_shifts(
    tz: ZoneInfo,
    length: CalendarLength | timedelta,
    handoff: time,
    offset_minutes: int,
    members: int,
    probe: datetime,
) -> None:
    """O(1) lookup vs. walking the shift list from a point well before the probe."""
    start = datetime.combine(probe.date() - timedelta(days=75), handoff, tzinfo=tz)
    r = rotation(
        members="abcde"[:members],
        length=length,
        handoff=handoff,
        tz=tz,
        start=start,
        offset=timedelta(minutes=offset_minutes),
    )
    walked = shifts(r, r.start, probe + timedelta(seconds=1))
    assert walked, "probe is after start so someone is on call"
    assert all(a.end == b.start for a, b in itertools.pairwise(walked))
    assert walked[-1].start <= probe < walked[-1].end or walked[-1].end == probe + timedelta(
        seconds=1
    )
    assert on_call_at(r, probe) == walked[-1].member
