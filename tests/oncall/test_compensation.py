"""Compensation for November 2026 in America/Chicago (US holidays)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest

from firebell.oncall import (
    CompensationPolicy,
    CompensationRow,
    Interval,
    Layer,
    Schedule,
    compensation_csv,
    final_schedule,
    holiday_calendar,
    monthly_compensation,
    spans_by_user,
)

from ._support import APIA, CHICAGO, local, rotation, utc

POLICY = CompensationPolicy(time_zone="America/Chicago")
US_2026 = holiday_calendar("US", years=2026)


def _november_on_call() -> dict[str, list[Interval]]:
    # Weekly Monday 09:00 rotation alice -> bob -> carol starting Monday Oct 26:
    # alice Oct 26-Nov 2, bob Nov 2-9, carol Nov 9-16, alice Nov 16-23, bob Nov 23-30,
    # carol Nov 30-Dec 7.
    start = local(CHICAGO, 2026, 10, 26, 9)
    layer = Layer("primary", rotation(members=("alice", "bob", "carol"), start=start), 0)
    final = final_schedule(Schedule("s", "Primary", (layer,)), utc(2026, 10, 1), utc(2026, 12, 15))
    return spans_by_user(final.entries)


INCIDENTS = {
    # Thanksgiving (a holiday): 2 h, all outside business hours.
    "bob": [
        Interval(local(CHICAGO, 2026, 11, 26, 10), local(CHICAGO, 2026, 11, 26, 12)),
        # Tuesday 16:00-18:30: 1.5 h after 17:00.
        Interval(local(CHICAGO, 2026, 11, 24, 16), local(CHICAGO, 2026, 11, 24, 18, 30)),
    ],
    # 01:30 CDT -> 01:30 CST on the fall-back night: 1 elapsed hour, not 0.
    "alice": [Interval(utc(2026, 11, 1, 6, 30), utc(2026, 11, 1, 7, 30))],
}


def test_us_holidays_for_november_2026() -> None:
    assert {d.isoformat() for d in US_2026 if d.month == 11} == {"2026-11-11", "2026-11-26"}


def test_november_2026_figures() -> None:
    rows = monthly_compensation(
        2026, 11, _november_on_call(), INCIDENTS, holidays=US_2026, policy=POLICY
    )
    assert rows == [
        # Nov 1 (Sun, 25-hour day), Nov 2 (Mon, until 09:00), Nov 16-23.
        # weekdays 2,16,17,18,19,20,23 = 7; weekend 1,21,22 = 3 -> 14 + 12 + 1.5 = 27.5
        CompensationRow("alice", "2026-11", 7, 3, 0, Decimal("1.00"), Decimal("27.50")),
        # Nov 2-9: weekdays 2,3,4,5,6,9 + weekend 7,8; Nov 23-30: weekdays 23,24,25,27,30,
        # weekend 28,29, Thanksgiving 26 -> 11*2 + 4*4 + 8 + 3.5*1.5 = 51.25
        CompensationRow("bob", "2026-11", 11, 4, 1, Decimal("3.50"), Decimal("51.25")),
        # Nov 9-16: weekdays 9,10,12,13,16 + weekend 14,15 + Veterans Day 11; Nov 30.
        # -> 6*2 + 2*4 + 8 = 28
        CompensationRow("carol", "2026-11", 6, 2, 1, Decimal("0.00"), Decimal("28.00")),
    ]


def test_minimum_time_per_day() -> None:
    strict = CompensationPolicy(
        time_zone="America/Chicago", min_on_call_per_day=timedelta(hours=10)
    )
    rows = monthly_compensation(2026, 11, _november_on_call(), holidays=US_2026, policy=strict)
    alice = next(r for r in rows if r.user == "alice")
    # Nov 2 and Nov 23 (00:00-09:00 = 9 h each) no longer count; Nov 16 (09:00-24:00,
    # 15 h) and the full days still do.
    assert (alice.weekday_days, alice.weekend_days) == (5, 3)


def test_shift_ending_at_midnight_does_not_count_the_next_day() -> None:
    on_call = {"dan": [Interval(local(CHICAGO, 2026, 11, 2), local(CHICAGO, 2026, 11, 3))]}
    rows = monthly_compensation(2026, 11, on_call, holidays=US_2026, policy=POLICY)
    assert (rows[0].weekday_days, rows[0].weekend_days) == (1, 0)


def test_time_outside_the_month_is_ignored() -> None:
    incidents = {
        "eve": [Interval(local(CHICAGO, 2026, 10, 31, 23), local(CHICAGO, 2026, 11, 1, 1))]
    }
    rows = monthly_compensation(2026, 11, {}, incidents, holidays=US_2026, policy=POLICY)
    assert rows[0].incident_hours_outside_business == Decimal("1.00")


def test_apia_missing_day_is_never_a_day_on_call() -> None:
    samoa = CompensationPolicy(time_zone="Pacific/Apia")
    all_month = {"sam": [Interval(local(APIA, 2011, 12, 1), local(APIA, 2012, 1, 1))]}
    rows = monthly_compensation(2011, 12, all_month, holidays=frozenset(), policy=samoa)
    assert rows[0].weekday_days + rows[0].weekend_days == 30  # 31 days minus Dec 30


def test_csv_rendering() -> None:
    rows = monthly_compensation(
        2026, 11, _november_on_call(), INCIDENTS, holidays=US_2026, policy=POLICY
    )
    assert compensation_csv(rows).splitlines() == [
        "user,month,weekday_days,weekend_days,holiday_days,"
        "incident_hours_outside_business,total_comp_hours",
        "alice,2026-11,7,3,0,1.00,27.50",
        "bob,2026-11,11,4,1,3.50,51.25",
        "carol,2026-11,6,2,1,0.00,28.00",
    ]


@pytest.mark.parametrize(("subdivision", "day_after_thanksgiving"), [(None, False), ("CA", True)])
def test_holiday_calendar_is_configurable(
    subdivision: str | None, day_after_thanksgiving: bool
) -> None:
    calendar = holiday_calendar("US", subdivision, years=2026)
    assert date(2026, 11, 26) in calendar
    assert (date(2026, 11, 27) in calendar) is day_after_thanksgiving


def test_holiday_on_a_weekend_counts_once_as_a_holiday() -> None:
    # July 4 2026 is a Saturday; the holidays package also lists Friday July 3 (observed).
    on_call = {"fay": [Interval(local(CHICAGO, 2026, 7, 3), local(CHICAGO, 2026, 7, 6))]}
    rows = monthly_compensation(2026, 7, on_call, holidays=US_2026, policy=POLICY)
    assert (rows[0].weekday_days, rows[0].weekend_days, rows[0].holiday_days) == (0, 1, 2)
    assert rows[0].total_comp_hours == Decimal("20.00")
