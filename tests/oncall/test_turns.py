"""Restricted rotations: by the clock a restriction can starve people; in turn-taking
mode the roster advances only over shifts with active hours, so everyone takes turns.
A layer with several restrictions is active in all of them (their union)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from firebell.oncall import (
    CalendarLength,
    Layer,
    Restriction,
    Rotation,
    Schedule,
    ShiftUnit,
    TimeWindow,
    Weekday,
    final_schedule,
    starved_members,
    who_is_on_call,
)
from firebell.oncall.turns import active_pattern

from ._support import CHICAGO, DAILY, local, rotation

WEEKDAYS = Restriction(weekdays=frozenset(Weekday(d) for d in range(5)))
SEVEN = tuple(f"m{i}" for i in range(7))


def hours_by_member(layer: Layer, weeks: int) -> Counter[str]:
    start = layer.rotation.start
    schedule = Schedule("s", "S", (layer,))
    hours: Counter[str] = Counter({m: 0 for m in layer.rotation.members})
    for entry in final_schedule(schedule, start, start + timedelta(weeks=weeks)).entries:
        hours[entry.user] += int((entry.end - entry.start).total_seconds() // 3600)
    return hours


def turns(r: Rotation, *restrictions: Restriction) -> Rotation:
    return Rotation(
        r.id, r.members, r.shift_length, r.handoff_time, r.time_zone, r.start, r.offset,
        turns_over=restrictions,
    )  # fmt: skip


def test_by_the_clock_a_weekday_restriction_starves_two_of_seven() -> None:
    clock = rotation(SEVEN, DAILY, handoff=time(0))
    hours = hours_by_member(Layer("l", clock, 0, WEEKDAYS), weeks=10)
    assert sorted(m for m, h in hours.items() if h == 0) == ["m5", "m6"]
    assert starved_members(clock, (WEEKDAYS,)) == ["m5", "m6"]
    fourteen = rotation(tuple(f"m{i}" for i in range(14)), DAILY, handoff=time(0))
    assert len(starved_members(fourteen, (WEEKDAYS,))) == 4


def test_in_turn_taking_mode_everyone_gets_the_same_share() -> None:
    taking = turns(rotation(SEVEN, DAILY, handoff=time(0)), WEEKDAYS)
    hours = hours_by_member(Layer("l", taking, 0, WEEKDAYS), weeks=7)
    assert set(hours.values()) == {5 * 24}  # 35 weekdays, 5 each
    assert starved_members(taking, (WEEKDAYS,)) == []
    # Monday 2026-01-05 is m0's, Friday m4's, the next Monday m5's (not m0's again).
    schedule = Schedule("s", "S", (Layer("l", taking, 0, WEEKDAYS),))
    on_call = [who_is_on_call(schedule, local(CHICAGO, 2026, 1, d, 12)) for d in (5, 9, 10, 12)]
    assert [c.user if c else None for c in on_call] == ["m0", "m4", None, "m5"]


def test_all_restrictions_apply_their_union() -> None:
    business = Restriction((TimeWindow(time(9), time(17)),), WEEKDAYS.weekdays)
    weekend = Restriction((TimeWindow(time(10), time(14)),), frozenset({Weekday.SAT, Weekday.SUN}))
    layer = Layer("l", rotation("ab", DAILY), 0, (business, weekend))
    schedule = Schedule("s", "S", (layer,))
    saturday_noon = local(CHICAGO, 2026, 1, 10, 12)
    assert who_is_on_call(schedule, saturday_noon) is not None
    assert who_is_on_call(schedule, local(CHICAGO, 2026, 1, 10, 15)) is None
    week = final_schedule(schedule, local(CHICAGO, 2026, 1, 5), local(CHICAGO, 2026, 1, 12))
    total = sum((e.end - e.start for e in week.entries), timedelta(0))
    assert total == timedelta(hours=5 * 8 + 2 * 4)


def test_the_pattern_repeats_every_week_of_shifts() -> None:
    hourly = rotation("abc", CalendarLength(ShiftUnit.HOURLY, 6), handoff=time(0))
    pattern = active_pattern(hourly, (WEEKDAYS,))
    assert pattern.period == 28 and pattern.per_period == 20
    assert pattern.count_before(28) == 20 and pattern.count_before(-28) == -20


# --- property: any roster, any weekday/time restriction set --------------------------------

times = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))
windows = st.builds(TimeWindow, times, times)
restrictions = st.builds(
    Restriction,
    st.lists(windows, max_size=2).map(tuple),
    st.frozensets(st.sampled_from(list(Weekday)), min_size=1),
)
lengths = st.sampled_from(
    [
        CalendarLength(ShiftUnit.DAILY),
        CalendarLength(ShiftUnit.DAILY, 2),
        CalendarLength(ShiftUnit.WEEKLY),
        CalendarLength(ShiftUnit.HOURLY, 8),
        CalendarLength(ShiftUnit.HOURLY, 12),
    ]
)


@settings(max_examples=60, deadline=None)
@given(
    size=st.integers(min_value=2, max_value=20),
    rules=st.lists(restrictions, min_size=1, max_size=3).map(tuple),
    length=lengths,
    handoff=st.sampled_from([time(0), time(9), time(17, 30)]),
)
def test_everyone_gets_a_shift_within_members_active_windows(
    size: int, rules: tuple[Restriction, ...], length: CalendarLength, handoff: time
) -> None:
    members = tuple(f"p{i}" for i in range(size))
    base = rotation(members, length, handoff=handoff, tz=ZoneInfo("UTC"))
    layer = Layer("l", turns(base, *rules), 0, rules)
    # Enough time for `size` active shifts: each repeating period has at least one.
    span = timedelta(weeks=(size + 1) * (2 if length.count == 2 else 1))
    start = base.start
    entries = final_schedule(Schedule("s", "S", (layer,)), start, start + span).entries
    holders: list[str] = []  # who holds each successive shift with active hours
    shift_of = {}
    for entry in entries:
        shift = (entry.start - start.astimezone(UTC)) // _step(length)
        if shift not in shift_of:
            shift_of[shift] = entry.user
            holders.append(entry.user)
    assert len(holders) >= size
    assert set(holders[:size]) == set(members)


def _step(length: CalendarLength) -> timedelta:
    unit = {ShiftUnit.HOURLY: timedelta(hours=1), ShiftUnit.DAILY: timedelta(days=1)}
    return length.count * unit.get(length.unit, timedelta(weeks=1))
