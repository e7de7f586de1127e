"""The playbook's secondary: weekly, handing off 3.5 days after the primary."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.oncall import on_call_at, shifts, staggered_rotation

from ._support import CHICAGO, LONDON, ZONES, local, rotation

HALF_WEEK = timedelta(days=3, hours=12)


def test_secondary_hands_off_thursday_2100_local_all_year() -> None:
    for tz in (CHICAGO, LONDON):
        primary = rotation(members="abc", tz=tz, start=local(tz, 2026, 1, 5, 9))
        secondary = staggered_rotation(primary, id="secondary", offset=HALF_WEEK)
        got = shifts(secondary, primary.start, primary.start + timedelta(weeks=52))
        for s in got[1:]:  # the first shift starts at the rotation start
            start = s.start.astimezone(tz)
            assert (start.weekday(), start.time()) == (3, time(21)), start
        assert all(a.end == b.start for a, b in itertools.pairwise(got))


def test_outgoing_primary_becomes_secondary() -> None:
    primary = rotation(members="abc", start=local(CHICAGO, 2026, 1, 5, 9))
    secondary = staggered_rotation(primary, id="s", offset=HALF_WEEK)
    thursday_night = local(CHICAGO, 2026, 1, 15, 22)  # week 2, after secondary hand-off
    assert on_call_at(primary, thursday_night) == "b"
    assert on_call_at(secondary, thursday_night) == "a"  # last week's primary


def test_naive_offset_of_the_same_roster_would_collide() -> None:
    """Why staggered_rotation rotates the roster: a pure 3.5-day shift collides."""
    primary = rotation(members="abc", start=local(CHICAGO, 2026, 1, 5, 9))
    naive = rotation(members="abc", start=primary.start, offset=HALF_WEEK)
    friday = local(CHICAGO, 2026, 1, 9, 12)
    assert on_call_at(primary, friday) == on_call_at(naive, friday) == "a"


def test_two_people_cannot_be_staggered() -> None:
    primary = rotation(members="ab")
    with pytest.raises(ValueError, match=">= 3 members"):
        staggered_rotation(primary, id="s", offset=HALF_WEEK)


@settings(max_examples=300, deadline=None)
@given(
    tz=st.sampled_from(ZONES),
    size=st.integers(min_value=3, max_value=7),
    offset_minutes=st.one_of(
        st.just(int(HALF_WEEK.total_seconds()) // 60),
        st.integers(min_value=0, max_value=7 * 24 * 60 - 1),
    ),
    probe=st.datetimes(
        min_value=datetime(2011, 1, 4), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)
    ),
)
def test_never_primary_and_secondary_at_once(
    tz: ZoneInfo, size: int, offset_minutes: int, probe: datetime
) -> None:
    members = tuple(f"user{i}" for i in range(size))
    primary = rotation(members=members, tz=tz, start=local(tz, 2011, 1, 3, 9))
    secondary = staggered_rotation(primary, id="s", offset=timedelta(minutes=offset_minutes))
    assert secondary.members == (members[-1], *members[:-1])  # same people, same cycle
    p, s = on_call_at(primary, probe), on_call_at(secondary, probe)
    assert p is not None and s is not None
    assert p != s
